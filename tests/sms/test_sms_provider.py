"""SMS behaviour a consultant relies on: exactly once, consent, quiet hours, Studio flows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_sms_contract import sms_client

from hub.clock import FakeClock
from hub.model import QuietHours
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.testing import Harness, make_client
from hub_sms.simulator import TwilioSimulator
from hub_sms.timing import not_before, timing

UTC_NOON = datetime(2026, 3, 2, 12, 0)
MESSAGES = f"/2010-04-01/Accounts/{TwilioSimulator.SANDBOX_ACCOUNT_SID}/Messages"


@pytest.fixture
def sms() -> Any:
    return make_plugins().registry.get("sms")


@pytest.fixture
def harness(sms: Any, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(sms, sms_client(), tmp_path, FakeClock(utc=UTC_NOON))
    yield h
    h.close()


def texts(h: Harness, prefix: str = "Hi ") -> Counter[str]:
    """Recipients of the campaign's texts (the sample's Studio flow texts its own welcome)."""
    return Counter(m["to"] for m in h.simulator.messages() if m["body"].startswith(prefix))


# -- pure timing ----------------------------------------------------------------------------------------


def test_quiet_hours_are_in_the_recipients_timezone() -> None:
    from datetime import UTC, time

    quiet = QuietHours(start=time(21), end=time(8))
    now = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 22:30 in London, 17:30 in New York
    assert not_before(None, now, "Europe/London", quiet) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert not_before(None, now, "America/New_York", quiet) == now
    assert timing(now, now, can_schedule=True).mode == "now"
    assert timing(now + timedelta(hours=9), now, can_schedule=True).mode == "schedule"
    assert timing(now + timedelta(days=40), now, can_schedule=True).mode == "hold"
    assert timing(now + timedelta(hours=9), now, can_schedule=False).mode == "hold"


# -- against the simulator -------------------------------------------------------------------------------


def test_each_consenting_recipient_gets_exactly_one_text(harness: Harness) -> None:
    plan = harness.plan()
    [campaign] = [c for c in plan.changes if c.kind == "sms_campaign"]
    assert campaign.action == "create" and "2 recipient(s), 2 segment(s)" in campaign.reason
    assert "1 no SMS consent" in campaign.reason
    assert not harness.apply(plan).failed
    assert texts(harness) == Counter({"+447700900001": 1, "+447700900002": 1})
    bodies = {m["body"] for m in harness.simulator.messages() if m["to"] == "+447700900001"}
    assert "Hi Ada, 20% off today only. Reply STOP to opt out." in bodies  # rendered per recipient
    harness.apply()
    assert texts(harness) == Counter({"+447700900001": 1, "+447700900002": 1})
    assert [c for c in harness.plan().changes if c.writes] == []


def test_a_crash_between_the_send_and_the_ledger_is_reconciled(harness: Harness) -> None:
    plan = harness.plan()
    [campaign] = [c for c in plan.changes if c.kind == "sms_campaign"]
    ada, bob = campaign.details["recipients"]
    # the previous run journalled both texts, sent Ada's, and died before settling either
    fp = campaign.fingerprint
    harness.state.record_deliveries("acme", "main", "flash", [(ada["to"], "pending", "", fp, "", ""),
                                                              (bob["to"], "pending", "", fp, "", "")])
    harness.provider.api.create_message(ada["to"], ada["body"], [], None, segments=1)
    assert not harness.apply(plan).failed
    assert texts(harness) == Counter({"+447700900001": 1, "+447700900002": 1})
    ledger = harness.state.deliveries("acme", "main", "flash")
    assert {d.status for d in ledger.values()} <= {"sent", "delivered"}


def test_a_stop_keeps_the_recipient_out_for_good(harness: Harness) -> None:
    sim = harness.simulator
    service_number = sim.SANDBOX_SERVICE_NUMBER
    plan = harness.plan()
    sim.inbound("+447700900002", service_number, "STOP")  # after the plan, before the apply
    assert not harness.apply(plan).failed
    assert texts(harness) == Counter({"+447700900001": 1})
    assert "+447700900002" in harness.state.optouts("acme", "sms")
    again = next(c for c in harness.plan().changes if c.kind == "sms_campaign")
    assert "1 opted out" in again.reason


def test_quiet_hours_schedule_with_the_vendor_and_beyond_its_window_hub_holds(sms: Any, tmp_path: Path) -> None:
    client = make_client("sms", audience={"lists": [{"id": "club", "name": "Club"}], "contacts": [
        {"phone": "+447700900010", "timezone": "Europe/London", "lists": ["club"], "consent": {"sms": "subscribed"}},
        {"phone": "+12025550123", "timezone": "America/New_York", "lists": ["club"], "consent": {"sms": "subscribed"}},
    ]}, campaigns=[{"id": "late", "name": "Late", "audience": {"list": "club"}, "schedule": "now",
                    "quiet_hours": {"start": "21:00", "end": "08:00"}, "sms": {"body": "Doors open!"}},
                   {"id": "far", "name": "Far", "audience": {"list": "club"}, "schedule": "2026-06-01 12:00",
                    "sms": {"body": "Summer!"}}])
    clock = FakeClock(utc=datetime(2026, 3, 2, 22, 30))  # 22:30 in London, 17:30 in New York
    h = Harness(sms, client, tmp_path, clock)
    try:
        assert not h.apply().failed
        by_to = {m["to"]: m for m in h.simulator.messages()}
        assert by_to["+447700900010"]["status"] == "scheduled"  # Twilio holds it until 08:00 London time
        assert by_to["+12025550123"]["status"] != "scheduled"  # sent now
        far = h.state.deliveries("acme", "main", "far")
        assert {d.status for d in far.values()} == {"held"}  # 91 days ahead: beyond Twilio's 35-day window
        assert [c for c in h.plan().changes if c.writes] == []
        clock.advance((datetime(2026, 5, 20) - datetime(2026, 3, 2, 22, 30)).total_seconds())
        plan = h.plan()
        far_change = next(c for c in plan.changes if c.id == "far")
        assert far_change.action == "update" and "now due" in far_change.reason
        assert not h.apply(plan).failed
        assert {d.status for d in h.state.deliveries("acme", "main", "far").values()} == {"scheduled"}
        assert len(h.simulator.messages()) == 4  # two campaigns, two recipients, one text each
    finally:
        h.close()


def test_texts_held_beyond_twilios_window_are_released_by_the_runner_once(sms: Any, tmp_path: Path) -> None:
    """What `hub run` does each tick: the record says when held texts come into Twilio's window; `release_due`
    sends them from the ledger (the text as applied, not as the workspace says now), each once, and the next
    plan has nothing left to do."""
    client = make_client("sms", audience={"lists": [{"id": "club", "name": "Club"}], "contacts": [
        {"phone": "+447700900010", "lists": ["club"], "consent": {"sms": "subscribed"}},
        {"phone": "+447700900011", "lists": ["club"], "consent": {"sms": "subscribed"}},
    ]}, campaigns=[{"id": "far", "name": "Far", "audience": {"list": "club"}, "schedule": "2026-06-01 12:00",
                    "sms": {"body": "Summer!"}}])
    clock = FakeClock(utc=datetime(2026, 3, 2, 12, 0))
    h = Harness(sms, client, tmp_path, clock)
    try:
        assert not h.apply().failed
        record = h.state.item("acme", "main", "sms_campaign", "far")
        assert record is not None and record.data["held_until"] == "2026-04-27T11:00:00Z"  # 35 days before 12:00 BST
        res = h.provider.resource("sms_campaign")
        assert res.holds and res.release_due(record.vendor_id, record.data, clock.utcnow()) is None  # not yet
        clock.advance((datetime(2026, 5, 20) - datetime(2026, 3, 2, 12, 0)).total_seconds())
        # Twilio takes both texts, and both answers are lost: each is looked up, not sent again
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"{MESSAGES}.json", count=2))
        vendor_id, data = res.release_due(record.vendor_id, record.data, clock.utcnow()) or ("", {})
        assert sum(e.fault == "drop_after" for e in h.simulator.log) == 2
        assert not data["held_until"]
        assert {d.status for d in h.state.deliveries("acme", "main", "far").values()} == {"scheduled"}
        assert res.release_due(vendor_id, data, clock.utcnow()) is None  # nothing held any more
        assert res.release_due(record.vendor_id, record.data, clock.utcnow()) is not None  # a stale record...
        assert len(h.simulator.messages()) == 2  # ...finds nothing held: still one text each
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


def test_sms_only_automation_is_a_studio_flow_and_enrols_once(harness: Harness) -> None:
    plan = harness.plan()
    flow = next(c for c in plan.changes if c.kind == "automation")
    assert (flow.action, flow.fidelity) == ("create", "exact")
    assert {c.action for c in plan.changes if c.kind == "enrolment"} == {"create"}  # the flow comes first
    assert not harness.apply(plan).failed
    [stored] = harness.simulator.flows()
    assert stored["friendly_name"] == "Join the club" and stored["status"] == "published"
    types = [s["type"] for s in stored["definition"]["states"]]
    assert types == ["trigger", "split-based-on", "send-and-wait-for-reply", "split-based-on", "send-message"]
    executions = harness.simulator.executions()
    assert sorted(e["contact_channel_address"] for e in executions) == ["+447700900001", "+447700900002"]
    harness.apply()
    assert len(harness.simulator.executions()) == 2
    # an edit in the workspace becomes a new revision of the same flow
    a = harness.account.client.automations[0]
    a.steps[0].send_sms.body = "Welcome! Reply YES for offers"  # type: ignore[union-attr]
    plan = harness.plan()
    assert next(c for c in plan.changes if c.kind == "automation").action == "update"
    assert not harness.apply(plan).failed
    [stored] = harness.simulator.flows()
    assert stored["revision"] == 2


def test_delivery_statuses_are_recorded_for_reports(harness: Harness) -> None:
    assert not harness.apply().failed
    assert {d.status for d in harness.state.deliveries("acme", "main", "flash").values()} == {"sent"}
    harness.clock.advance(120)  # the vendor delivers
    harness.provider.resource("sms_campaign").sync_statuses("flash")  # type: ignore[attr-defined]
    assert {d.status for d in harness.state.deliveries("acme", "main", "flash").values()} == {"delivered"}


def test_stray_edge_and_region_settings_do_not_redirect_hub(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    assert not harness.apply().failed  # still talking to the simulator at 127.0.0.1
    assert texts(harness)


def test_runner_texts_over_several_chunks_are_sent_once_though_answers_are_lost(harness: Harness) -> None:
    """The runner's texts go in chunks, the next on its way while the last of the one before are answered: answers
    lost anywhere among them are looked up at Twilio, and every text goes once."""
    from hub.plugin import StepText

    harness.simulator.fault_rate(0.1, ["drop_after"], seed=3,
                                 match=lambda req: req.method == "POST" and req.path.endswith("/Messages.json"))
    wanted = [StepText("auto:welcome/hello#1", f"+4477009{i:05d}", f"Hello {i}") for i in range(250)]
    statuses = harness.provider.api.send_texts(wanted)
    harness.simulator.clear_faults()
    dropped = sum(e.fault == "drop_after" for e in harness.simulator.log)
    assert dropped >= 10  # spread over the three chunks (a tenth of the requests)
    assert set(statuses.values()) == {"sent"} and len(statuses) == 250
    sent = Counter(m["to"] for m in harness.simulator.messages() if m["body"].startswith("Hello "))
    assert sent == Counter(t.to for t in wanted)
    assert {d.status for d in harness.state.deliveries("acme", "main", "auto:welcome/hello#1").values()} == {"sent"}
