"""MailerLite behaviour a consultant relies on, against the simulator through the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.model import Contact
from hub.model.personalisation import find_variables
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.testing import Harness, make_client, sample_client
from hub_mailerlite import mapping as m

ACCOUNT = "sandbox"


@pytest.fixture
def ml() -> Any:
    return make_plugins().registry.get("mailerlite")


@pytest.fixture
def harness(ml: Any, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(ml, sample_client("mailerlite"), tmp_path, FakeClock(utc=datetime(2026, 3, 1)))
    yield h
    h.close()


def by_action(plan: Any, kind: str) -> dict[str, str]:
    return {c.id: c.action for c in plan.changes if c.kind == kind}


# -- pure translation ---------------------------------------------------------------------------------


def test_merge_tags_translate_neutral_variables() -> None:
    tags = m.MailerLiteTags({"favourite": "favourite"})
    text, missing = tags.translate('Hi {{ first_name | default("friend") }}, {{ fields.favourite }} '
                                   '<a href="{{ unsubscribe_url }}">x</a> {{ phone }}')
    assert text == "Hi {$name|default('friend')}, {$favourite} <a href=\"{$unsubscribe}\">x</a> {$phone}"
    assert missing == []
    assert tags.translate("{{ fields.unknown }}")[1] == ["fields.unknown"]


def test_subscribed_contacts_never_carry_a_status() -> None:
    sub = m.contact_payload(Contact(email="A@X.com", first_name="A", lists=["news"]), {})
    assert sub == {"email": "a@x.com", "fields": {"name": "A"}, "groups": ["list:news"]}
    unsub = m.contact_payload(Contact.model_validate({"email": "b@x.com", "consent": {"email": "unsubscribed"}}), {})
    assert unsub["status"] == "unsubscribed"


def test_schedule_is_sent_in_the_clients_local_time() -> None:
    body = m.schedule_request({"mode": "at", "at": "2026-07-01T08:30:00Z", "timezone": "Europe/London"},
                              {"Europe/London": "356"})
    assert body == {"delivery": "scheduled",
                    "schedule": {"date": "2026-07-01", "hours": "09", "minutes": "30", "timezone_id": "356"}}
    assert m.schedule_request({"mode": "now"}, {}) == {"delivery": "instant"}
    assert m.schedule_request({"mode": "draft"}, {}) is None


def test_field_keys_follow_the_vendors_derivation() -> None:
    assert m.derive_field_key("Favourite loaf") == "favourite_loaf"
    assert m.derive_field_key("ZIP") == "z_i_p"


# -- against the simulator --------------------------------------------------------------------------------


def test_apply_creates_groups_fields_subscribers_and_a_draft_campaign(harness: Harness) -> None:
    report = harness.apply()
    assert not report.failed, [c.error for c in report.failed]
    sim = harness.simulator
    assert {g["name"] for g in sim.groups(ACCOUNT)} == {"Newsletter", "Wholesale buyers", "VIP"}
    assert "favourite" in {f["key"] for f in sim.fields(ACCOUNT)}
    subs = {s["email"]: s for s in sim.subscribers(ACCOUNT)}
    assert set(subs) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    assert subs["cy@example.com"]["status"] == "unsubscribed"
    assert subs["ada@example.com"]["fields"]["favourite"] == "rye"
    assert {g["name"] for g in subs["ada@example.com"]["groups"]} == {"Newsletter", "VIP"}
    [campaign] = sim.campaigns(ACCOUNT)
    assert campaign["status"] == "draft" and campaign["name"] == "Spring launch"
    assert "{$unsubscribe}" in campaign["emails"][0]["content"]


def test_an_unsubscribe_at_the_vendor_is_never_undone(harness: Harness) -> None:
    harness.apply()
    harness.simulator.set_subscriber_status(ACCOUNT, "ada@example.com", "unsubscribed")
    client = harness.account.client
    ada = client.audience.contacts[0]
    client.audience.contacts[0] = ada.model_copy(update={"first_name": "Ada L."})
    report = harness.apply()
    assert not report.failed
    sub = harness.simulator.subscriber("ada@example.com", ACCOUNT)
    assert sub["status"] == "unsubscribed" and sub["fields"]["name"] == "Ada L."


def test_leaving_a_list_in_yaml_leaves_the_group(harness: Harness) -> None:
    harness.apply()
    client = harness.account.client
    bob = client.audience.contacts[1]
    client.audience.contacts[1] = bob.model_copy(update={"lists": ["newsletter"]})
    harness.apply()
    groups = {g["name"] for g in harness.simulator.subscriber("bob@example.com", ACCOUNT)["groups"]}
    assert groups == {"Newsletter"}


def test_renamed_group_shows_as_drift_and_apply_restores_it(harness: Harness) -> None:
    harness.apply()
    gid = next(g["id"] for g in harness.simulator.groups(ACCOUNT) if g["name"] == "Newsletter")
    harness.simulator.call("PUT", f"/api/groups/{gid}", {"name": "Renamed by hand"}, account=ACCOUNT)
    plan = harness.plan()
    change = next(c for c in plan.changes if c.kind == "list" and c.id == "newsletter")
    assert change.action == "update" and change.drift and "Renamed by hand" in change.reason
    harness.apply(plan)
    assert "Newsletter" in {g["name"] for g in harness.simulator.groups(ACCOUNT)}


def test_segment_is_manual_until_built_then_verified_by_name(ml: Any, tmp_path: Path) -> None:
    client = make_client("mailerlite", audience={
        "lists": [{"id": "news", "name": "News"}],
        "segments": [{"id": "fans", "name": "Big fans", "rules": [{"list": "news"}]}]})
    h = Harness(ml, client, tmp_path, FakeClock())
    try:
        plan = h.plan()
        seg = next(c for c in plan.changes if c.kind == "segment")
        assert (seg.action, seg.fidelity) == ("manual", "manual")
        assert "Big fans" in seg.details["build_sheet"] and "'News'" in seg.details["build_sheet"]
        h.apply(plan)
        h.simulator.add_segment(ACCOUNT, "Big fans")
        seg = next(c for c in h.plan().changes if c.kind == "segment")
        assert seg.action == "noop" and "verified" in seg.reason
    finally:
        h.close()


def automation_client() -> Any:
    client = make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}],
                                                 "contacts": [{"email": "a@x.com", "lists": ["news"]},
                                                              {"email": "b@x.com"}]})
    from hub.model import Automation

    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"},
        "enrol": {"contacts": ["b@x.com"]},
        "steps": [{"send_email": {"subject": "Welcome!", "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}},
                  {"wait": {"days": 2}},
                  {"send_email": {"subject": "Still there?", "body_html": "{{ unsubscribe_url }}"}}]}))
    return client


def test_automation_build_sheet_verification_and_enrolment(ml: Any, tmp_path: Path) -> None:
    h = Harness(ml, automation_client(), tmp_path, FakeClock())
    try:
        plan = h.plan()
        auto = next(c for c in plan.changes if c.kind == "automation")
        assert auto.action == "manual" and "joins a group" in auto.details["build_sheet"]
        assert by_action(plan, "enrolment") == {"welcome/b@x.com": "manual"}  # waits for the automation
        h.apply(plan)
        gid = next(g["id"] for g in h.simulator.groups(ACCOUNT) if g["name"] == "News")
        # built in the UI, but with the wait forgotten: drift, still manual
        wrong = h.simulator.add_automation(ACCOUNT, "Welcome", gid, [{"type": "email", "subject": "Welcome!"},
                                                                      {"type": "email", "subject": "Still there?"}])
        auto = next(c for c in h.plan().changes if c.kind == "automation")
        assert auto.action == "manual" and auto.drift and "steps" in auto.reason
        with h.simulator.lock:  # the user deletes it in the UI and builds it again
            del h.simulator.account_state(ACCOUNT)["automations"][wrong["id"]]
        h.simulator.add_automation(ACCOUNT, "Welcome", gid, [
            {"type": "email", "subject": "Welcome!"}, {"type": "delay", "value": 2, "unit": "days"},
            {"type": "email", "subject": "Still there?"}])
        plan = h.plan()
        assert next(c for c in plan.changes if c.kind == "automation").action == "noop"
        assert by_action(plan, "enrolment") == {"welcome/b@x.com": "create"}
        assert not h.apply(plan).failed
        groups = {g["name"] for g in h.simulator.subscriber("b@x.com", ACCOUNT)["groups"]}
        assert groups == {"News"}
        assert by_action(h.plan(), "enrolment") == {"welcome/b@x.com": "noop"}
    finally:
        h.close()


def test_scheduled_campaign_lands_at_the_right_utc_time_and_reschedules(ml: Any, tmp_path: Path) -> None:
    def client_at(when: str) -> Any:
        return make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}]}, campaigns=[{
            "id": "july", "name": "July news", "audience": {"list": "news"}, "schedule": when,
            "email": {"subject": "July", "from": {"name": "A", "email": "a@x.com"},
                      "body_markdown": "[unsubscribe]({{ unsubscribe_url }})"}}])

    h = Harness(ml, client_at("2026-07-01 09:30"), tmp_path, FakeClock(utc=datetime(2026, 6, 1)))
    try:
        assert not h.apply().failed
        [c] = h.simulator.campaigns(ACCOUNT)
        assert c["status"] == "ready" and c["scheduled_for"].startswith("2026-07-01 08:30")  # BST = UTC+1
        h.account.client = client_at("2026-07-02 10:00")
        plan = h.plan()
        assert by_action(plan, "email_campaign") == {"july": "update"}
        assert not h.apply(plan).failed
        [c] = h.simulator.campaigns(ACCOUNT)
        assert c["status"] == "ready" and c["scheduled_for"].startswith("2026-07-02 09:00")
        assert [x.action for x in h.plan().changes if x.writes] == []
    finally:
        h.close()


def test_unknown_personalisation_is_caught_by_the_translator() -> None:
    tags = m.MailerLiteTags({})
    assert [v.name for v in find_variables("{{ nickname }}")] == ["nickname"]
    assert tags.translate("{{ nickname }}")[1] == ["nickname"]


def test_members_of_a_list_are_readable_with_consent(harness: Harness) -> None:
    harness.apply()
    from hub.sync.plan import build_refs

    client = harness.account.client
    members = harness.provider.api.read_members(client, "newsletter", None, build_refs(harness.state, harness.account))
    by_email = {c.email: c for c in members}
    assert set(by_email) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    assert by_email["ada@example.com"].first_name == "Ada"
    assert by_email["ada@example.com"].fields == {"favourite": "rye"}
    assert by_email["ada@example.com"].consent.email == "subscribed"
    assert by_email["cy@example.com"].consent.email == "unsubscribed"


def test_send_now_then_delete_only_with_prune(ml: Any, tmp_path: Path) -> None:
    campaign = {"id": "now", "name": "Flash sale", "audience": {"list": "news"}, "schedule": "now",
                "email": {"subject": "Today only", "from": {"name": "A", "email": "a@x.com"},
                          "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}}
    client = make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}]}, campaigns=[campaign])
    h = Harness(ml, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        [c] = h.simulator.campaigns(ACCOUNT)
        assert c["status"] == "sent"
        assert [x for x in h.plan().changes if x.writes] == []  # sent: nothing more to do
        h.account.client = make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}]})
        plan = h.plan()
        assert by_action(plan, "email_campaign") == {"now": "delete"}
        h.apply(plan)
        assert len(h.simulator.campaigns(ACCOUNT)) == 1  # not without --prune
        h.apply(prune=True)
        assert h.simulator.campaigns(ACCOUNT) == []
    finally:
        h.close()


def test_push_under_20_percent_faults_keeps_everyone_once_with_their_status(ml: Any, tmp_path: Path) -> None:
    statuses = ["subscribed", "subscribed", "unsubscribed", "bounced"]
    contacts = [{"email": f"p{i}@example.com", "lists": ["news"], "consent": {"email": statuses[i % 4]}}
                for i in range(400)]
    client = make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(ml, client, tmp_path, FakeClock())
    try:
        h.simulator.fault_rate(0.2, seed=3)
        report = h.apply()
        if report.failed:  # what exhausted its retries is sent again by the next apply
            report = h.apply()
        assert not report.failed
        h.simulator.fault_rate(0)
        held = h.simulator.subscribers(ACCOUNT)
        assert sorted(s["email"] for s in held) == sorted(c["email"] for c in contacts)
        expected = {"subscribed": "active", "unsubscribed": "unsubscribed", "bounced": "bounced"}
        assert all(s["status"] == expected[statuses[int(s["email"][1:].split("@")[0]) % 4]] for s in held)
        assert any(e.fault for e in h.simulator.log), "faults were injected"
    finally:
        h.close()


def test_a_body_only_edit_updates_the_campaign(harness: Harness) -> None:
    harness.apply()
    client = harness.account.client
    email = client.campaigns[0].email
    assert email is not None
    edited = email.model_copy(update={"body_markdown": "New text. [Unsubscribe]({{ unsubscribe_url }})"})
    client.campaigns[0] = client.campaigns[0].model_copy(update={"email": edited})
    plan = harness.plan()
    assert [c.action for c in plan.changes if c.kind == "email_campaign"] == ["update"]
    assert not harness.apply(plan).failed
    [campaign] = harness.simulator.campaigns(ACCOUNT)
    assert "New text." in campaign["emails"][0]["content"]


# -- contacts MailerLite holds already are updated, not imported ---------------------------------------


def _people(n: int, name: str) -> dict[str, Any]:
    contacts = [{"email": f"p{i}@example.com", "first_name": f"{name} {i}", "lists": ["news"],
                 "consent": {"email": "unsubscribed" if i % 10 == 0 else "subscribed"}} for i in range(n)]
    return {"lists": [{"id": "news", "name": "News"}], "contacts": contacts}


def _batches(h: Harness) -> list[list[tuple[str, str]]]:
    return [[(r["method"], r["path"].split("/")[1]) for r in e.body["requests"]]
            for e in h.simulator.log.entries("POST", "/api/batch")]


def test_changed_contacts_are_updated_by_id_without_waiting_for_the_import_limit(ml: Any, tmp_path: Path) -> None:
    clock = FakeClock(utc=datetime(2026, 3, 1))
    h = Harness(ml, make_client("mailerlite", audience=_people(600, "Ann")), tmp_path, clock)
    try:
        assert not h.apply().failed
        started = clock.now()
        h.account.client = make_client("mailerlite", audience=_people(620, "Anna"))  # 600 renamed, 20 new
        h.simulator.log.clear()
        assert not h.apply().failed
        # 12 batches of updates and one of upserts: as imports (5 a minute) the updates alone would wait 2 minutes
        assert sorted(_batches(h)) == sorted([[("PUT", "subscribers")] * 50] * 12 + [[("POST", "subscribers")] * 20])
        assert clock.now() - started < 60
        held = {s["email"]: s for s in h.simulator.subscribers(ACCOUNT)}
        assert len(held) == 620 and held["p7@example.com"]["fields"]["name"] == "Anna 7"
        assert held["p10@example.com"]["status"] == "unsubscribed" and held["p11@example.com"]["status"] == "active"
        h.simulator.log.clear()
        assert not h.apply().failed and h.simulator.log.writes() == []
    finally:
        h.close()


def test_a_contact_deleted_at_mailerlite_by_hand_is_upserted_again(ml: Any, tmp_path: Path) -> None:
    h = Harness(ml, make_client("mailerlite", audience=_people(3, "Ann")), tmp_path, FakeClock())
    try:
        h.apply()
        gone = next(s for s in h.simulator.subscribers(ACCOUNT) if s["email"] == "p1@example.com")
        h.provider.api.http.delete(f"subscribers/{gone['id']}")  # as someone in MailerLite's web app does
        h.account.client = make_client("mailerlite", audience=_people(3, "Anna"))
        assert not h.apply().failed
        held = {s["email"]: s["fields"]["name"] for s in h.simulator.subscribers(ACCOUNT)}
        assert held == {"p0@example.com": "Anna 0", "p1@example.com": "Anna 1", "p2@example.com": "Anna 2"}
    finally:
        h.close()


def test_a_lost_answer_to_an_update_batch_is_sent_again_and_changes_nobody_twice(ml: Any, tmp_path: Path) -> None:
    h = Harness(ml, make_client("mailerlite", audience=_people(60, "Ann")), tmp_path, FakeClock())
    try:
        h.apply()
        h.account.client = make_client("mailerlite", audience=_people(60, "Anna"))
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix="/api/batch", count=1))
        report = h.apply()
        if report.failed or report.unknown:
            report = h.apply()
        assert not report.failed
        held = h.simulator.subscribers(ACCOUNT)
        assert len(held) == 60 and all(s["fields"]["name"].startswith("Anna ") for s in held)
        assert sum(s["status"] == "unsubscribed" for s in held) == 6
        h.simulator.log.clear()
        h.apply()
        assert h.simulator.log.writes() == []
    finally:
        h.close()
