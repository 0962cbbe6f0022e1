"""Mailchimp behaviour a consultant relies on, through the real SDK, the engine and the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import mailchimp_marketing
import pytest

from hub.clock import FakeClock
from hub.model import Automation, Contact
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.testing import Harness, make_client, sample_client
from hub_mailchimp import mapping as m
from hub_mailchimp.simulator import MailchimpSimulator

ACCOUNT, AUDIENCE = MailchimpSimulator.SANDBOX_ACCOUNT, MailchimpSimulator.SANDBOX_AUDIENCE


@pytest.fixture
def mc() -> Any:
    return make_plugins().registry.get("mailchimp")


@pytest.fixture
def harness(mc: Any, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(mc, sample_client("mailchimp"), tmp_path, FakeClock(utc=datetime(2026, 3, 1)))
    yield h
    h.close()


def actions(plan: Any, kind: str) -> dict[str, str]:
    return {c.id: c.action for c in plan.changes if c.kind == kind}


# -- pure translation ---------------------------------------------------------------------------------


def test_merge_tags_and_defaults() -> None:
    tags = m.MailchimpTags({"favourite": "FAVOURITE"})
    text, missing = tags.translate('{{ first_name | default("friend") }} {{ fields.favourite }} {{ unsubscribe_url }}')
    assert text == "*|IF:FNAME|**|FNAME|**|ELSE:|*friend*|END:IF|* *|FAVOURITE|* *|UNSUB|*"
    assert missing == [] and tags.translate("{{ nickname }}")[1] == ["nickname"]


def test_known_members_are_never_resubscribed_by_what_hub_sends() -> None:
    payload = m.contact_member(Contact(email="A@x.com", lists=["news"]), {})
    assert m.member_write(payload, {"list:news": "News"}, new=True)["status"] == "subscribed"
    known = m.member_write(payload, {}, new=False)
    assert known["status_if_new"] == "subscribed" and "status" not in known
    unsub = m.contact_member(Contact.model_validate({"email": "b@x.com", "consent": {"email": "unsubscribed"}}), {})
    assert m.member_write(unsub, {}, new=False)["status"] == "unsubscribed"


def test_validation_catches_long_merge_tags_and_off_quarter_schedules(mc: Any) -> None:
    client = make_client("mailchimp", audience={"fields": [{"id": "favourite_loaf", "name": "Loaf"}]}, campaigns=[{
        "id": "c", "name": "C", "audience": {"list": "x"}, "schedule": "2026-07-01 09:10",
        "email": {"subject": "s", "body_html": "{{ unsubscribe_url }}"}}])
    problems = [p.message for p in mc.check_client(client, "main")]
    assert any("FAVOURITE_LOAF" in p and "10 characters" in p for p in problems)
    assert any("quarter hour" in p for p in problems)


def test_a_date_field_cannot_become_the_audiences_own_birthday_field(mc: Any) -> None:
    """Every audience has BIRTHDAY (month and day, a type a merge field cannot leave): a `birthday` date field would
    be adopted as it, lose the year and differ in every plan. Validation says so and what to do."""
    client = make_client("mailchimp", audience={"fields": [{"id": "birthday", "name": "Birthday", "type": "date"},
                                                           {"id": "born", "name": "Born", "type": "date"}]})
    [problem] = [p.message for p in mc.check_client(client, "main")]
    assert "'birthday'" in problem and "'BIRTHDAY'" in problem
    assert "month and day" in problem and "another id" in problem


# -- against the simulator ----------------------------------------------------------------------------------


def test_apply_builds_the_audience(harness: Harness) -> None:
    report = harness.apply()
    assert not report.failed, [c.error for c in report.failed]
    sim = harness.simulator
    members = {x["email"]: x for x in sim.members(ACCOUNT, AUDIENCE)}
    assert set(members) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    assert members["cy@example.com"]["status"] == "unsubscribed"
    assert {t["name"] for t in members["ada@example.com"]["tags"]} == {"Newsletter", "VIP"}
    assert members["ada@example.com"]["merge_fields"]["FAVOURITE"] == "rye"
    [campaign] = sim.campaigns(ACCOUNT)
    assert campaign["status"] == "save" and campaign["settings"]["title"] == "Spring launch"
    assert "*|UNSUB|*" in campaign["content"]["html"]


def test_an_unsubscribe_at_mailchimp_is_never_undone(harness: Harness) -> None:
    harness.apply()
    harness.simulator.set_member_status(ACCOUNT, AUDIENCE, "ada@example.com", "unsubscribed")
    client = harness.account.client
    client.audience.contacts[0] = client.audience.contacts[0].model_copy(update={"first_name": "Ada L."})
    assert not harness.apply().failed
    ada = harness.simulator.member("ada@example.com", ACCOUNT, AUDIENCE)
    assert ada["status"] == "unsubscribed" and ada["merge_fields"]["FNAME"] == "Ada L."


def test_contacts_already_at_mailchimp_are_upserted_not_resubscribed(mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": [
        {"email": f"p{i}@example.com", "first_name": f"P{i}", "lists": ["news"]} for i in range(8)]})
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        # three of them signed up (and one left) before the consultant wrote them into the workspace
        for i in range(3):
            h.simulator.call("PUT", f"/3.0/lists/{AUDIENCE}/members/{m.subscriber_hash(f'p{i}@example.com')}",
                             {"email_address": f"p{i}@example.com", "status_if_new": "subscribed"}, account=ACCOUNT)
        h.simulator.set_member_status(ACCOUNT, AUDIENCE, "p0@example.com", "unsubscribed")
        assert not h.apply().failed
        members = {x["email"]: x for x in h.simulator.members(ACCOUNT, AUDIENCE)}
        assert len(members) == 8
        assert members["p0@example.com"]["status"] == "unsubscribed"
        assert all({t["name"] for t in x["tags"]} == {"News"} for x in members.values())
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


def test_leaving_a_list_removes_the_tag(harness: Harness) -> None:
    harness.apply()
    client = harness.account.client
    client.audience.contacts[1] = client.audience.contacts[1].model_copy(update={"lists": ["newsletter"]})
    assert not harness.apply().failed
    bob = harness.simulator.member("bob@example.com", ACCOUNT, AUDIENCE)
    assert {t["name"] for t in bob["tags"]} == {"Newsletter"}


def test_saved_segment_conditions_refer_to_tags(mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={
        "lists": [{"id": "news", "name": "News"}], "fields": [{"id": "level", "name": "Level"}],
        "segments": [{"id": "adv", "name": "Advanced", "rules": [{"list": "news"},
                                                                {"field": "level", "op": "equals", "value": "adv"}]}],
        "contacts": [{"email": "a@x.com", "lists": ["news"], "fields": {"level": "adv"}},
                     {"email": "b@x.com", "lists": ["news"], "fields": {"level": "beginner"}}]})
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        seg = next(s for s in h.simulator.segments(ACCOUNT, AUDIENCE) if s["name"] == "Advanced")
        assert seg["type"] == "saved" and seg["member_emails"] == ["a@x.com"]
        assert [c for c in h.plan().changes if c.writes] == []  # conditions read back as neutral refs
    finally:
        h.close()


def test_scheduled_on_the_quarter_hour_then_rescheduled(mc: Any, tmp_path: Path) -> None:
    def client_at(when: str) -> Any:
        return make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}],
                                                  "contacts": [{"email": "a@x.com", "lists": ["news"]}]},
                           campaigns=[{"id": "july", "name": "July news", "audience": {"list": "news"},
                                       "schedule": when,
                                       "email": {"subject": "July", "from": {"name": "A", "email": "a@x.com"},
                                                 "body_markdown": "[unsubscribe]({{ unsubscribe_url }})"}}])

    h = Harness(mc, client_at("2026-07-01 09:30"), tmp_path, FakeClock(utc=datetime(2026, 6, 1)))
    try:
        assert not h.apply().failed
        [c] = h.simulator.campaigns(ACCOUNT)
        assert c["status"] == "schedule" and c["send_time"].startswith("2026-07-01T08:30")
        h.account.client = client_at("2026-07-02 10:00")
        plan = h.plan()
        assert actions(plan, "email_campaign") == {"july": "update"}
        assert not h.apply(plan).failed
        [c] = h.simulator.campaigns(ACCOUNT)
        assert c["status"] == "schedule" and c["send_time"].startswith("2026-07-02T09:00")
        assert [x for x in h.plan().changes if x.writes] == []
    finally:
        h.close()


def test_a_campaign_that_cannot_be_sent_names_the_checklist(mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}]}, campaigns=[{
        "id": "now", "name": "Empty list", "audience": {"list": "news"}, "schedule": "now",
        "email": {"subject": "Hi", "from": {"name": "A", "email": "a@x.com"},
                  "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}}])
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        report = h.apply()
        [failed] = report.failed
        assert failed.kind == "email_campaign" and "checklist" in failed.error
        assert "no subscribed contacts" in failed.error and "mailchimp:" not in failed.error
    finally:
        h.close()


def test_journey_binding_and_enrolment_happen_once(mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}],
                                                "contacts": [{"email": "a@x.com", "lists": ["news"]},
                                                             {"email": "b@x.com", "lists": ["news"]}]})
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"}, "enrol": {"list": "news"},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "{{ unsubscribe_url }}"}}]}))
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        plan = h.plan()
        assert actions(plan, "automation") == {"welcome": "manual"}
        assert set(actions(plan, "enrolment").values()) == {"manual"}
        assert "API trigger" in next(c for c in plan.changes if c.kind == "automation").details["build_sheet"]
        h.apply(plan)
        journey = h.simulator.add_journey(ACCOUNT, "Welcome", AUDIENCE)
        h.provider.settings = type(h.provider.settings).model_validate({**h.provider.settings.model_dump(),
            "journeys": {"welcome": {"journey_id": journey["journey_id"], "step_id": journey["step_id"]}}})
        plan = h.plan()
        assert actions(plan, "enrolment") == {"welcome/a@x.com": "create", "welcome/b@x.com": "create"}
        assert not h.apply(plan).failed
        assert not h.apply().failed  # a second apply triggers nobody again
        triggered = [t["email_address"] for t in h.simulator.journey_triggers(ACCOUNT, journey["journey_id"])]
        assert sorted(triggered) == ["a@x.com", "b@x.com"]
    finally:
        h.close()


def test_push_under_20_percent_faults_keeps_everyone_once_with_their_status(mc: Any, tmp_path: Path) -> None:
    statuses = ["subscribed", "subscribed", "unsubscribed", "bounced"]
    contacts = [{"email": f"p{i}@example.com", "lists": ["news"], "consent": {"email": statuses[i % 4]}}
                for i in range(1200)]
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        # a batch subscribe that lands but whose answer is lost, then one refused, then random faults
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"/lists/{AUDIENCE}", count=1))
        h.simulator.inject(Fault("status", status=503, method="POST", path_prefix=f"/lists/{AUDIENCE}", count=1))
        h.simulator.fault_rate(0.2, seed=5)
        report = h.apply()
        if report.failed:
            report = h.apply()
        assert not report.failed, report.failed[0].error
        h.simulator.fault_rate(0)
        held = {x["email"]: x["status"] for x in h.simulator.members(ACCOUNT, AUDIENCE)}
        want = {"subscribed": "subscribed", "unsubscribed": "unsubscribed", "bounced": "cleaned"}
        assert held == {c["email"]: want[c["consent"]["email"]] for c in contacts}
        assert any(e.fault for e in h.simulator.log)
    finally:
        h.close()


def test_a_batch_job_of_upserts_whose_start_is_lost_is_started_again(mc: Any, tmp_path: Path) -> None:
    """The job's operations (member upserts, tags set by status) may all be sent twice, so a lost answer to its
    start is no reason to fail the contacts: a second job does what the first may have done."""
    contacts = [{"email": f"k{i}@example.com", "first_name": "Kim", "lists": ["news"]} for i in range(8)]
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.account.client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": [
            {**c, "first_name": "Kit"} for c in contacts]})
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/3.0/batches", count=1))
        report = h.apply()
        assert not report.failed, report.failed[0].error
        assert len([e for e in h.simulator.log if e.method == "POST" and e.path == "/3.0/batches"]) == 2
        names = {x["email_address"]: x["merge_fields"]["FNAME"] for x in h.simulator.members(ACCOUNT, AUDIENCE)}
        assert names == {c["email"]: "Kit" for c in contacts}
    finally:
        h.close()


def _renamed_through_a_batch_job(mc: Any, tmp_path: Path, sim: MailchimpSimulator, clock: FakeClock,
                                 jobs_before: int = 0) -> Any:
    """Push 8 members, rename them all (8 upserts: one /batches job, queued behind `jobs_before` others started
    just before) and return the second apply's report."""
    contacts = [{"email": f"k{i}@example.com", "first_name": "Kim", "lists": ["news"]} for i in range(8)]
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(mc, client, tmp_path, clock, simulator=sim)
    try:
        assert not h.apply().failed
        sdk = mailchimp_marketing.Client()
        sdk.set_config({"api_key": sim.SANDBOX_KEY, "server": "us1"})
        sdk.api_client.host, sdk.api_client.server = sim.base_url, ""
        for _ in range(jobs_before):
            sdk.batches.start({"operations": [{"method": "GET", "path": "/ping"}]})
        h.account.client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}], "contacts": [
            {**c, "first_name": "Kit"} for c in contacts]})
        return h.apply()
    finally:
        h.close()


def test_a_slow_batch_job_is_seen_done_soon_after_it_ends_without_polling_it_to_death(
        mc: Any, tmp_path: Path) -> None:
    """Polls come a quarter of the job's age apart (at least half a second): a job of 80 vendor seconds is seen done
    within a quarter of its time, in under 25 polls."""
    clock = FakeClock()
    with MailchimpSimulator(clock, batch_poll_advance=False, batch_seconds=80) as sim:
        report = _renamed_through_a_batch_job(mc, tmp_path, sim, clock)
        assert not report.failed
        [start] = [e.time for e in sim.log if e.method == "POST" and e.path == "/3.0/batches"]
        polls = [e.time - start for e in sim.log if e.method == "GET" and e.path.startswith("/3.0/batches/")]
        assert 80 <= polls[-1] <= 80 * 1.25 and len(polls) < 25


def test_a_job_that_waited_behind_another_is_polled_by_its_own_time_not_its_wait(mc: Any, tmp_path: Path) -> None:
    """Mailchimp runs an account's jobs one at a time: hub's job waits 400 vendor seconds (`pending`) behind ten
    others, then takes 40 itself. It is seen done within a quarter of its own time, not of the 440 since it was
    started."""
    clock = FakeClock()
    with MailchimpSimulator(clock, batch_poll_advance=False, batch_seconds=40) as sim:
        report = _renamed_through_a_batch_job(mc, tmp_path, sim, clock, jobs_before=10)
        assert not report.failed
        *_, start = [e.time for e in sim.log if e.method == "POST" and e.path == "/3.0/batches"]  # (hub's is last)
        polls = [e.time - start for e in sim.log if e.method == "GET" and e.path.startswith("/3.0/batches/")]
        assert 440 <= polls[-1] <= 440 + 40 * 0.25


def test_a_batch_job_that_never_ends_fails_its_contacts_after_twenty_vendor_minutes(
        mc: Any, tmp_path: Path) -> None:
    clock = FakeClock()
    with MailchimpSimulator(clock, batch_poll_advance=False, batch_seconds=4 * 3600) as sim:
        report = _renamed_through_a_batch_job(mc, tmp_path, sim, clock)
        assert len(report.failed) == 8 and "did not finish in time" in report.failed[0].error
        polls = [e.time for e in sim.log if e.method == "GET" and e.path.startswith("/3.0/batches/")]
        assert 20 * 60 <= polls[-1] - polls[0] <= 21 * 60


def test_never_more_than_ten_connections_to_one_account(mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={"lists": [{"id": f"l{i}", "name": f"List {i}"} for i in range(30)]})
    from hub.clock import ScaledClock

    h = Harness(mc, client, tmp_path, ScaledClock(1.0))
    try:
        h.simulator.inject(Fault("latency", seconds=0.02, count=-1))
        assert not h.apply().failed
        assert not [e for e in h.simulator.log if e.status == 429], "hub exceeded 10 concurrent connections"
    finally:
        h.simulator.clear_faults()
        h.close()


def test_a_classic_automation_of_the_same_name_is_verified_and_enrols_through_its_queue(
        mc: Any, tmp_path: Path) -> None:
    client = make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}],
                                                "contacts": [{"email": "a@x.com", "lists": ["news"]}]})
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"}, "enrol": {"list": "news"},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "{{ unsubscribe_url }}"}}]}))
    h = Harness(mc, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        built = h.simulator.add_classic_automation(ACCOUNT, AUDIENCE, title="Welcome")
        plan = h.plan()
        auto = next(c for c in plan.changes if c.kind == "automation")
        assert auto.action == "noop" and "verified" in auto.reason
        assert actions(plan, "enrolment") == {"welcome/a@x.com": "create"}
        assert not h.apply(plan).failed
        queued = h.simulator.automation_queue(ACCOUNT, built["workflow_id"], built["email_ids"][0])
        assert [q["email_address"] for q in queued] == ["a@x.com"]
        assert not h.apply().failed and len(h.simulator.automation_queue(
            ACCOUNT, built["workflow_id"], built["email_ids"][0])) == 1
    finally:
        h.close()


# -- lists as audiences of their own -----------------------------------------------------------------------

CONTACT = {"company": "Acme", "address1": "1 High St", "city": "Bristol", "state": "Avon", "zip": "BS1 1AA",
           "country": "GB", "from_email": "hello@acme.example"}


def audiences_client() -> Any:
    return make_client("mailchimp", audience={
        "lists": [{"id": "news", "name": "News"}, {"id": "trade", "name": "Trade"}],
        "tags": [{"id": "vip", "name": "VIP"}],
        "fields": [{"id": "level", "name": "Level"}],
        "segments": [{"id": "keen", "name": "Keen", "rules": [{"list": "news"}, {"tag": "vip"}]}],
        "contacts": [
            {"email": "a@x.com", "first_name": "A", "lists": ["news", "trade"], "tags": ["vip"],
             "fields": {"level": "1"}},
            {"email": "b@x.com", "first_name": "B", "lists": ["news"]},
            {"email": "c@x.com", "first_name": "C", "lists": ["trade"], "consent": {"email": "unsubscribed"}}]},
        campaigns=[{"id": "offer", "name": "Trade offer", "audience": {"list": "trade"}, "schedule": "draft",
                    "email": {"subject": "Offer", "from": {"name": "A", "email": "a@acme.example"},
                              "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}},
                   {"id": "keen", "name": "For the keen", "audience": {"list": "news", "segment": "keen"},
                    "schedule": "draft", "email": {"subject": "Hi", "from": {"name": "A", "email": "a@acme.example"},
                                                   "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}}])


def test_each_list_can_be_an_audience_of_its_own(mc: Any, tmp_path: Path) -> None:
    h = Harness(mc, audiences_client(), tmp_path, FakeClock(),
                settings={"lists_as": "audiences", "audience_contact": CONTACT})
    try:
        assert "tag" not in [r.kind for r in h.provider.resources]  # tags live in each audience, by name
        report = h.apply()
        assert not report.failed, [c.error for c in report.failed]
        sim = h.simulator
        audiences = {x["name"]: x["id"] for x in sim.lists(ACCOUNT)}
        news, trade = audiences["News"], audiences["Trade"]
        assert {x["email"]: x["status"] for x in sim.members(ACCOUNT, news)} == {
            "a@x.com": "subscribed", "b@x.com": "subscribed"}
        assert {x["email"]: x["status"] for x in sim.members(ACCOUNT, trade)} == {
            "a@x.com": "subscribed", "c@x.com": "unsubscribed"}
        assert {t["name"] for t in sim.member("a@x.com", ACCOUNT, news)["tags"]} == {"VIP"}
        assert "LEVEL" in {f["tag"] for f in sim.merge_fields(ACCOUNT, news)}
        assert "LEVEL" in {f["tag"] for f in sim.merge_fields(ACCOUNT, trade)}
        [keen] = [x for x in sim.segments(ACCOUNT, news) if x["type"] == "saved"]
        assert keen["member_emails"] == ["a@x.com"]
        by_title = {c["settings"]["title"]: c for c in sim.campaigns(ACCOUNT)}
        assert by_title["Trade offer"]["recipients"]["list_id"] == trade
        assert by_title["For the keen"]["recipients"]["segment_opts"]["saved_segment_id"] == int(keen["id"])
        assert [c.public() for c in h.plan().changes if c.writes] == []
        # b leaves News: archived there; a leaves Trade
        client = h.account.client
        client.audience.contacts[1] = client.audience.contacts[1].model_copy(update={"lists": ["trade"]})
        assert not h.apply().failed
        assert sim.member("b@x.com", ACCOUNT, news)["status"] == "archived"
        assert sim.member("b@x.com", ACCOUNT, trade)["status"] == "subscribed"
        assert [c.public() for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


def test_without_an_address_hub_asks_for_the_audiences_to_be_built(mc: Any, tmp_path: Path) -> None:
    h = Harness(mc, audiences_client(), tmp_path, FakeClock(), settings={"lists_as": "audiences"})
    try:
        plan = h.plan()
        assert {c.id: c.action for c in plan.changes if c.kind == "list"} == {"news": "manual", "trade": "manual"}
        assert "audience_contact" in next(c for c in plan.changes if c.kind == "list").reason
        h.simulator.create_audience(ACCOUNT, "News")
        h.simulator.create_audience(ACCOUNT, "Trade")
        plan = h.plan()
        assert {c.id: c.action for c in plan.changes if c.kind == "list"} == {"news": "noop", "trade": "noop"}
    finally:
        h.close()


def test_with_lists_as_audiences_a_segment_needs_its_list(mc: Any) -> None:
    from hub.model.workspace import Account as AccountConfig

    client = make_client("mailchimp", audience={
        "lists": [{"id": "news", "name": "News"}], "tags": [{"id": "vip", "name": "VIP"}],
        "segments": [{"id": "vips", "name": "VIPs", "rules": [{"tag": "vip"}]}]})
    client.config.accounts["main"] = AccountConfig.model_validate({"provider": "mailchimp", "lists_as": "audiences"})
    [problem] = mc.check_client(client, "main")
    assert "segment 'vips'" in problem.message and "exactly one `list:` rule" in problem.message
    assert mc.check_client(make_client("mailchimp", audience={"segments": []}), "main") == []
    with pytest.raises(ValueError, match="audience_id"):
        mc.Settings.model_validate({"api_key": "k-us1"})  # one audience needs naming
