"""Writes whose answers are lost (the simulators' `drop_after`: the vendor did it, hub never heard): nothing is
repeated, nothing is left half-made, and hub's own unfinished work is never blamed on the vendor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub

from hub.clock import FakeClock
from hub.model import Automation
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.state import StateStore
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
EMAIL = {"subject": "July news", "from": {"name": "Acme", "email": "hello@acme.example"},
         "body_markdown": "Hi {{ first_name }}!\n\n[Unsubscribe]({{ unsubscribe_url }})"}


def provider(name: str) -> Any:
    return make_plugins().registry.get(name)


def writes_planned(h: Harness) -> list[Any]:
    return [c for c in h.plan().changes if c.writes]


def campaign_client(name: str, schedule: str = "2026-07-01 09:30") -> Any:
    return make_client(name, audience={
        "lists": [{"id": "news", "name": "News"}],
        "contacts": [{"email": "a@example.com", "first_name": "Ada", "lists": ["news"]}],
    }, campaigns=[{"id": "july", "name": "July news", "audience": {"list": "news"}, "schedule": schedule,
                   "email": EMAIL}])


def with_automation(client: Any) -> Any:
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"}, "enrol": {"list": "news"},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "{{ unsubscribe_url }}"}}]}))
    return client


# -- 1. an action that cannot be read back is never repeated -------------------------------------------------


def bound_journey(h: Harness) -> dict[str, Any]:
    from hub_mailchimp.simulator import MailchimpSimulator as Sim

    journey = h.simulator.add_journey(Sim.SANDBOX_ACCOUNT, "Welcome", Sim.SANDBOX_AUDIENCE)
    h.provider.settings = type(h.provider.settings).model_validate({**h.provider.settings.model_dump(),
        "journeys": {"welcome": {"journey_id": journey["journey_id"], "step_id": journey["step_id"]}}})
    return journey


def test_a_journey_trigger_whose_answer_is_lost_is_never_sent_again(tmp_path: Path) -> None:
    from hub_mailchimp.simulator import MailchimpSimulator as Sim

    h = Harness(provider("mailchimp"), with_automation(campaign_client("mailchimp", "draft")), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        journey = bound_journey(h)
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/customer-journeys", count=3))
        report = h.apply()
        assert len(h.simulator.journey_triggers(Sim.SANDBOX_ACCOUNT, journey["journey_id"])) == 1
        [unknown] = report.unknown
        assert unknown.id == "welcome/a@example.com" and unknown.result == "unknown"
        assert "hub resolve acme enrolment:welcome/a@example.com --done" in unknown.error
        # later plans say so and never trigger again by themselves
        [change] = [c for c in h.plan().changes if c.kind == "enrolment"]
        assert change.action == "manual" and "outcome unknown" in change.reason and "--retry" in change.reason
        assert not h.apply().unknown
        assert len(h.simulator.journey_triggers(Sim.SANDBOX_ACCOUNT, journey["journey_id"])) == 1
        # the consultant looks at the journey's report in Mailchimp and says it arrived
        [rec] = [r for r in h.state.items(kind="enrolment") if "unknown" in r.data]
        h.state.resolve(rec, done=True)
        assert writes_planned(h) == [] and not [c for c in h.plan().changes if c.action == "manual"]
    finally:
        h.close()


def test_a_journey_trigger_interrupted_by_a_crash_waits_for_the_user(tmp_path: Path) -> None:
    from hub_mailchimp.simulator import MailchimpSimulator as Sim

    h = Harness(provider("mailchimp"), with_automation(campaign_client("mailchimp", "draft")), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        journey = bound_journey(h)
        change = next(c for c in h.plan().changes if c.kind == "enrolment")
        refs = build_refs(h.state, h.account)
        refs.add("automation", "welcome", f"journey/{journey['journey_id']}/{journey['step_id']}")
        h.state.begin("killed", "acme", "main", "mailchimp", "enrolment",
                      [(change.id, "create", change.natural_key, change.fingerprint)])
        h.provider.resource("enrolment").create(change.desired(), refs)  # hub was killed before the answer
        report = h.apply()
        assert report.unknown == [] and not report.failed
        assert [c.action for c in report.changes if c.kind == "enrolment"] == ["manual"]
        assert len(h.simulator.journey_triggers(Sim.SANDBOX_ACCOUNT, journey["journey_id"])) == 1
        # told it did not happen, hub triggers it (once) on the next apply
        [rec] = h.state.items(kind="enrolment")
        h.state.resolve(rec, done=False)
        assert not h.apply().failed
        assert len(h.simulator.journey_triggers(Sim.SANDBOX_ACCOUNT, journey["journey_id"])) == 2
        assert writes_planned(h) == []
    finally:
        h.close()


def test_a_classic_automation_queue_with_a_lost_answer_is_looked_up(tmp_path: Path) -> None:
    from hub_mailchimp.simulator import MailchimpSimulator as Sim

    h = Harness(provider("mailchimp"), with_automation(campaign_client("mailchimp", "draft")), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        built = h.simulator.add_classic_automation(Sim.SANDBOX_ACCOUNT, Sim.SANDBOX_AUDIENCE, title="Welcome")
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/automations", count=1))
        report = h.apply()
        assert not report.failed and not report.unknown
        queue = h.simulator.automation_queue(Sim.SANDBOX_ACCOUNT, built["workflow_id"], built["email_ids"][0])
        assert [q["email_address"] for q in queue] == ["a@example.com"]
        assert writes_planned(h) == []
    finally:
        h.close()


def test_an_activecampaign_enrolment_with_a_lost_answer_is_made_once(tmp_path: Path) -> None:
    h = Harness(provider("activecampaign"), with_automation(campaign_client("activecampaign", "draft")), tmp_path,
                FakeClock())
    try:
        assert not h.apply().failed
        h.simulator.add_automation("sandbox", "Welcome")
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/api/3/contactAutomations", count=2))
        assert not h.apply().failed
        assert [e["email"] for e in h.simulator.enrolments("sandbox")] == ["a@example.com"]
        assert writes_planned(h) == []
    finally:
        h.close()


def sms_club() -> Any:
    client = make_client("sms", audience={"lists": [{"id": "club", "name": "Club"}], "contacts": [
        {"phone": "+447700900001", "lists": ["club"], "consent": {"sms": "subscribed"}}]})
    client.automations.append(Automation.model_validate({
        "id": "hello", "name": "Hello", "trigger": {"joined_list": "club"}, "enrol": {"list": "club"},
        "steps": [{"send_sms": {"body": "Welcome to the club"}}]}))
    return client


def test_a_studio_execution_with_a_lost_answer_is_found_not_started_again(tmp_path: Path) -> None:
    h = Harness(provider("sms"), sms_club(), tmp_path, FakeClock(utc=datetime(2026, 3, 2, 12)))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/v2/Flows/FW", count=1))
        report = h.apply()
        assert not report.failed and not report.unknown
        assert [e["contact_channel_address"] for e in h.simulator.executions()] == ["+447700900001"]
        assert writes_planned(h) == []
    finally:
        h.close()


SINGLE_STEP_CREATES = [  # provider, the create's path, the vendor's items of that kind by name
    ("mailerlite", "/groups", lambda sim: [g["name"] for g in sim.groups()]),
    ("mailerlite", "/fields", lambda sim: [f["name"] for f in sim.fields() if f["name"] == "Favourite"]),
    ("mailchimp", "/lists/", lambda sim: [s["name"] for s in sim.segments()]),
    ("mailchimp", "/lists/", lambda sim: [f["tag"] for f in sim.merge_fields() if f["tag"] == "FAVOURITE"]),
    ("activecampaign", "/api/3/lists", lambda sim: [x["name"] for x in sim.lists()]),
    ("activecampaign", "/api/3/tags", lambda sim: [t["tag"] for t in sim.tags()]),
]


@pytest.mark.parametrize(("name", "path", "items"), SINGLE_STEP_CREATES)
def test_a_create_whose_answer_is_lost_is_found_not_made_twice(name: str, path: str, items: Any,
                                                               tmp_path: Path) -> None:
    from hub.testing import sample_client

    h = Harness(provider(name), sample_client(name), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=path, count=1))
        assert not h.apply().failed
        found = items(h.simulator)
        assert found and len(found) == len(set(found)), found
        assert writes_planned(h) == [] and not [c for c in h.plan().changes if c.drift]
    finally:
        h.close()


def test_a_studio_flow_whose_create_answer_is_lost_exists_once(tmp_path: Path) -> None:
    h = Harness(provider("sms"), sms_club(), tmp_path, FakeClock(utc=datetime(2026, 3, 2, 12)))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/v2/Flows", count=1))
        assert not h.apply().failed
        assert [f["friendly_name"] for f in h.simulator.flows()] == ["Hello"]
        assert len(h.simulator.executions()) == 1 and writes_planned(h) == []
    finally:
        h.close()


# -- 2. a multi-step create is finished, never adopted half-made -----------------------------------------------


def test_a_mailchimp_campaign_whose_create_answer_is_lost_is_finished_in_the_same_apply(tmp_path: Path) -> None:
    h = Harness(provider("mailchimp"), campaign_client("mailchimp"), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/campaigns", count=1))
        assert not h.apply().failed
        [c] = h.simulator.campaigns()
        assert c["status"] == "schedule" and "Hi *|FNAME|*" in c["content"]["html"]
        assert writes_planned(h) == [] and not [x for x in h.plan().changes if x.drift]
    finally:
        h.close()


def test_a_lost_answer_to_a_later_step_is_finished_too(tmp_path: Path) -> None:
    h = Harness(provider("mailchimp"), campaign_client("mailchimp"), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/campaigns/", count=1))  # the schedule
        assert not h.apply().failed
        [c] = h.simulator.campaigns()
        assert c["status"] == "schedule" and writes_planned(h) == []
    finally:
        h.close()


def test_a_mailerlite_campaign_whose_create_answer_is_lost_ends_ready_not_draft(tmp_path: Path) -> None:
    h = Harness(provider("mailerlite"), campaign_client("mailerlite"), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/campaigns", count=1))
        assert not h.apply().failed
        [c] = h.simulator.campaigns()
        assert c["status"] == "ready"
        assert writes_planned(h) == []
    finally:
        h.close()


def test_an_activecampaign_field_whose_create_answer_is_lost_is_on_every_list(tmp_path: Path) -> None:
    client = make_client("activecampaign", audience={"lists": [{"id": "news", "name": "News"}],
                                                     "fields": [{"id": "loaf", "name": "Favourite loaf"}]})
    h = Harness(provider("activecampaign"), client, tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/api/3/fields", count=1))
        assert not h.apply().failed
        [field] = h.simulator.fields()
        live = h.provider.resource("field").read_live(build_refs(h.state, h.account))
        assert live[field["perstag"]].payload["all_lists"] is True
        assert writes_planned(h) == [] and not [x for x in h.plan().changes if x.drift]
    finally:
        h.close()


def test_an_activecampaign_campaign_with_a_lost_message_answer_leaves_no_orphan(tmp_path: Path) -> None:
    h = Harness(provider("activecampaign"), campaign_client("activecampaign"), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/admin/api.php", count=1))
        assert not h.apply().failed
        assert [m["subject"] for m in h.simulator.messages()] == ["July news"]
        [campaign] = h.simulator.campaigns()
        assert list(campaign["messages"]) == [h.simulator.messages()[0]["id"]]
        assert writes_planned(h) == []
    finally:
        h.close()


def test_a_create_whose_later_step_failed_is_finished_next_time_not_called_drift(tmp_path: Path) -> None:
    h = Harness(provider("mailchimp"), campaign_client("mailchimp"), tmp_path, FakeClock(utc=MARCH))
    try:
        h.simulator.inject(Fault("status", status=400, method="PUT", path_prefix="/campaigns", count=1))
        report = h.apply()
        assert [c.id for c in report.failed] == ["july"]
        [change] = [c for c in h.plan().changes if c.kind == "email_campaign"]
        assert change.action == "update" and not change.drift and "finishing what hub started" in change.reason
        assert not h.apply().failed
        [c] = h.simulator.campaigns()
        assert c["status"] == "schedule" and c["content"]["html"]
        assert writes_planned(h) == []
    finally:
        h.close()


def test_a_crash_between_the_steps_of_a_create_is_finished_not_called_drift(tmp_path: Path) -> None:
    full = campaign_client("mailerlite")
    h = Harness(provider("mailerlite"), full.model_copy(update={"campaigns": []}), tmp_path, FakeClock(utc=MARCH))
    try:
        assert not h.apply().failed
        h.account.client = full
        change = next(c for c in h.plan().changes if c.kind == "email_campaign")
        [jid] = h.state.begin("killed", "acme", "main", "mailerlite", change.kind,
                              [(change.id, "create", change.natural_key, change.fingerprint)])
        vendor_id = h.provider.resource("email_campaign").create(change.desired(), build_refs(h.state, h.account))
        h.state.progress(jid, vendor_id)  # hub was killed here, before scheduling it
        h.applier().reconcile()
        [change] = [c for c in h.plan().changes if c.kind == "email_campaign"]
        assert change.action == "update" and not change.drift and "finishing what hub started" in change.reason
        assert not h.apply().failed
        [c] = h.simulator.campaigns()
        assert c["status"] == "ready" and c["id"] == vendor_id
        assert writes_planned(h) == []
    finally:
        h.close()


# -- 3. a tag that failed once is not lost for good -------------------------------------------------------------


def tagged_client(*, tag: bool = True, name: str = "mailchimp") -> Any:
    return make_client(name, audience={
        "lists": [{"id": "news", "name": "News"}], "tags": [{"id": "vip", "name": "VIP"}] if tag else [],
        "contacts": [{"email": f"p{i}@example.com", "lists": ["news"], "tags": ["vip"] if tag else []}
                     for i in range(3)]})


def member_tags(h: Harness) -> dict[str, set[str]]:
    return {m["email_address"]: {t["name"] for t in m["tags"]} for m in h.simulator.members()}


def test_a_tag_whose_create_answer_is_lost_is_found_not_made_again(tmp_path: Path) -> None:
    h = Harness(provider("mailchimp"), tagged_client(tag=False), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.account.client = tagged_client()
        plan = h.plan()  # reads the audience's tags (no VIP yet)
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"/lists/{_audience()}/segments", count=1))
        report = h.apply(plan)
        assert not report.failed, [c.error for c in report.failed]
        assert [s["name"] for s in h.simulator.segments()].count("VIP") == 1
        assert set(map(frozenset, member_tags(h).values())) == {frozenset({"News", "VIP"})}
        assert writes_planned(h) == []
    finally:
        h.close()


def test_members_pushed_without_a_tag_that_failed_get_it_on_the_next_apply(tmp_path: Path) -> None:
    h = Harness(provider("mailchimp"), tagged_client(tag=False), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.account.client = tagged_client()
        h.simulator.inject(Fault("status", status=400, method="POST", path_prefix=f"/lists/{_audience()}/segments"))
        report = h.apply()
        assert [c.kind for c in report.failed] == ["tag"]
        assert set(map(frozenset, member_tags(h).values())) == {frozenset({"News"})}
        pending = writes_planned(h)
        assert {c.kind for c in pending} == {"tag", "contact"}
        assert all("not finished last time" in c.reason for c in pending if c.kind == "contact")
        assert not h.apply().failed
        assert set(map(frozenset, member_tags(h).values())) == {frozenset({"News", "VIP"})}
        assert writes_planned(h) == []
    finally:
        h.close()


def test_a_member_tag_change_whose_answer_is_lost_is_sent_again_not_asked(tmp_path: Path) -> None:
    """Setting a member's tags names each tag's status (active/inactive): sending it twice does what once did,
    so a lost answer is simply sent again, not left for the user to settle."""
    one = {"lists": [{"id": "news", "name": "News"}], "tags": [{"id": "vip", "name": "VIP"}]}
    before = make_client("mailchimp", audience={**one, "contacts": [{"email": "a@example.com", "lists": ["news"]}]})
    after = make_client("mailchimp", audience={**one, "contacts": [{"email": "a@example.com", "lists": ["news"],
                                                                    "tags": ["vip"]}]})
    h = Harness(provider("mailchimp"), before, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.account.client = after
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"/lists/{_audience()}/members", count=1))
        report = h.apply()
        assert not report.failed, [c.error for c in report.failed]
        assert member_tags(h) == {"a@example.com": {"News", "VIP"}}
        assert writes_planned(h) == []
        assert not [r for r in h.state.items() if "unknown" in r.data]
    finally:
        h.close()


def test_mailerlite_subscribers_pushed_without_a_group_that_failed_get_it_on_the_next_apply(tmp_path: Path) -> None:
    """A group whose create failed no longer fails the whole batch of 50 subscribers: they are pushed into
    the groups that exist, and the next apply adds the one left out."""
    h = Harness(provider("mailerlite"), tagged_client(tag=False, name="mailerlite"), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.account.client = tagged_client(name="mailerlite")
        h.simulator.inject(Fault("status", status=422, method="POST", path_prefix="/api/groups", count=1))
        report = h.apply()
        assert [c.kind for c in report.failed] == ["tag"]
        groups = {s["email"]: {g["name"] for g in s["groups"]} for s in h.simulator.subscribers()}
        assert set(map(frozenset, groups.values())) == {frozenset({"News"})}
        pending = writes_planned(h)
        assert {c.kind for c in pending} == {"tag", "contact"}
        assert all("not finished last time" in c.reason for c in pending if c.kind == "contact")
        assert not h.apply().failed
        groups = {s["email"]: {g["name"] for g in s["groups"]} for s in h.simulator.subscribers()}
        assert set(map(frozenset, groups.values())) == {frozenset({"News", "VIP"})}
        assert writes_planned(h) == []
    finally:
        h.close()


def _audience() -> str:
    from hub_mailchimp.simulator import MailchimpSimulator as Sim

    return Sim.SANDBOX_AUDIENCE


# -- the command line: status and resolve -----------------------------------------------------------------------------


def test_status_counts_unknown_outcomes_and_resolve_settles_them(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    state = StateStore(root / ".hub" / "sandbox" / "state.db")
    [jid] = state.begin("run", "yoga-studio", "mailchimp", "mailchimp", "enrolment",
                        [("welcome-series/ana@example.com", "create", "ana@example.com", "fp")])
    from hub.state.store import Settlement

    state.settle([Settlement(jid, "unknown", error="the answer was lost")])
    state.close()
    listed = hub(capsys, "resolve", "-w", str(root), "--sandbox", "--json")
    assert listed.code == 0, listed.err
    [row] = listed.json()["unknown"]
    assert (row["client"], row["kind"], row["id"]) == ("yoga-studio", "enrolment", "welcome-series/ana@example.com")
    assert hub(capsys, "resolve", "-w", str(root), "--sandbox", "yoga-studio", "enrolment:nobody").code == 2
    missing = hub(capsys, "resolve", "-w", str(root), "--sandbox", "yoga-studio", "enrolment:nobody", "--done")
    assert missing.code == 4 and "welcome-series/ana@example.com" in missing.err
    done = hub(capsys, "resolve", "-w", str(root), "--sandbox", "yoga-studio",
               "enrolment:welcome-series/ana@example.com", "--retry", "--json")
    assert done.code == 0 and done.json()["resolved"]["outcome"] == "retry"
    assert hub(capsys, "resolve", "-w", str(root), "--sandbox", "--json").json()["unknown"] == []
    audit = StateStore(root / ".hub" / "sandbox" / "state.db").audit("yoga-studio")
    assert audit[-1].action == "resolve" and audit[-1].result == "retry"
