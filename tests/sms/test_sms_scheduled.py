"""Texts already scheduled at Twilio follow the workspace: an edited text replaces them, a late joiner is
scheduled too (or the plan says why not), a STOP cancels them, and a lost answer never sends twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sms_sessions import SmsSessions as Hub

from hub.clock import FakeClock
from hub.model import Client, Contact
from hub.simulator import Fault
from hub.testing import make_client
from hub_sms.simulator import TwilioSimulator

MONDAY_NOON = datetime(2026, 3, 2, 12, 0)  # UTC (and London)
THURSDAY = "2026-03-05 10:00"
FRIDAY = "2026-03-06 10:00"
ADA, BOB, DEE, EVE = "+447700900001", "+447700900002", "+447700900004", "+447700900005"
MESSAGES = f"/2010-04-01/Accounts/{TwilioSimulator.SANDBOX_ACCOUNT_SID}/Messages"


def member(phone: str, name: str) -> dict[str, Any]:
    return {"phone": phone, "first_name": name, "lists": ["club"], "consent": {"sms": "subscribed"}}


def campaign(cid: str, schedule: str) -> dict[str, Any]:
    return {"id": cid, "name": cid.title(), "audience": {"list": "club"}, "schedule": schedule,
            "sms": {"body": "Hi {{ first_name }}, 20% off on Thursday. Reply STOP to opt out."}}


def club(*campaigns: dict[str, Any]) -> Client:
    return make_client("sms", audience={"lists": [{"id": "club", "name": "Text club"}],
                                        "contacts": [member(ADA, "Ada"), member(BOB, "Bob")]},
                       campaigns=list(campaigns))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc=MONDAY_NOON)


@pytest.fixture
def hub(tmp_path: Path, clock: FakeClock) -> Iterator[Hub]:
    h = Hub(club(campaign("thursday", THURSDAY)), tmp_path, clock)
    yield h
    h.close()


def live(texts: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(recipient, body) of every text that was not canceled: what people get."""
    return Counter((m["to"], m["body"]) for m in texts if m["status"] != "canceled")


def after_thursday(hub: Hub) -> None:
    hub.clock.advance((datetime(2026, 3, 5, 12, tzinfo=UTC) - hub.clock.utcnow()).total_seconds())


# -- 5. an edited text replaces the one scheduled --------------------------------------------------------------


NEW_BODY = "Hi {{ first_name }}, 30% off on Thursday! Reply STOP to opt out."


def test_editing_a_scheduled_text_cancels_it_and_schedules_the_new_one(hub: Hub) -> None:
    assert not hub.apply().failed
    assert {m["status"] for m in hub.texts()} == {"scheduled"}
    hub.client.campaigns[0].sms.body = NEW_BODY  # type: ignore[union-attr]
    change = hub.change(hub.plan(), "thursday")
    assert change.action == "update"
    assert "2 scheduled text(s) will be canceled and scheduled again with the new text" in change.reason
    assert not hub.apply().failed
    after_thursday(hub)
    want = {(ADA, "Hi Ada, 30% off on Thursday! Reply STOP to opt out."),
            (BOB, "Hi Bob, 30% off on Thursday! Reply STOP to opt out.")}
    assert live(hub.texts()) == Counter(want)  # the old text never goes out, the new one once each
    assert {m["status"] for m in hub.texts() if "20%" in m["body"]} == {"canceled"}
    assert [c for c in hub.plan().changes if c.writes] == []


def test_a_cancel_whose_answer_is_lost_leaves_exactly_the_new_text(hub: Hub) -> None:
    assert not hub.apply().failed
    hub.client.campaigns[0].sms.body = NEW_BODY  # type: ignore[union-attr]
    hub.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"{MESSAGES}/SM", count=2))
    report = hub.apply()
    assert not report.failed and not report.unknown
    after_thursday(hub)
    assert live(hub.texts()) == Counter({(ADA, "Hi Ada, 30% off on Thursday! Reply STOP to opt out."): 1,
                                         (BOB, "Hi Bob, 30% off on Thursday! Reply STOP to opt out."): 1})
    assert [c for c in hub.plan().changes if c.writes] == []


def test_a_crash_after_the_cancel_is_settled_by_asking_twilio(hub: Hub) -> None:
    assert not hub.apply().failed
    ada = hub.state.deliveries("acme", "main", "thursday")[ADA]
    # the previous run noted the cancel, Twilio did it, and hub died before hearing the answer
    hub.state.record_deliveries("acme", "main", "thursday", [(ADA, "canceling", ada.message_id, ada.fingerprint,
                                                              ada.send_at, "")])
    s = hub.session()
    try:
        s.provider.api("POST", "Messages", lambda c: c.messages(ada.message_id).update(status="canceled"))
    finally:
        s.close()
    hub.client.campaigns[0].sms.body = NEW_BODY  # type: ignore[union-attr]
    assert not hub.apply().failed
    after_thursday(hub)
    assert sorted(to for to, _ in live(hub.texts())) == [ADA, BOB]
    assert all("30%" in body for _, body in live(hub.texts()))


def test_a_text_whose_create_answer_is_lost_is_found_not_sent_twice(tmp_path: Path, clock: FakeClock) -> None:
    h = Hub(club(campaign("now", "now"), campaign("thursday", THURSDAY)), tmp_path, clock)
    try:
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=f"{MESSAGES}.json", count=2))
        report = h.apply()
        assert not report.failed and not report.unknown
        assert Counter(m["to"] for m in h.texts()) == Counter({ADA: 2, BOB: 2})  # one per campaign each
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


# -- 6. late joiners --------------------------------------------------------------------------------------------


def test_a_contact_who_joins_before_the_send_time_is_scheduled_too(hub: Hub) -> None:
    assert not hub.apply().failed
    hub.client.audience.contacts.append(Contact.model_validate(member(DEE, "Dee")))
    change = hub.change(hub.plan(), "thursday")
    assert change.action == "update" and "1 new recipient(s) joined since the last apply" in change.reason
    assert not hub.apply().failed
    assert sorted(m["to"] for m in hub.texts(status="scheduled")) == [ADA, BOB, DEE]
    assert [c for c in hub.plan().changes if c.writes] == []


def test_after_the_campaign_went_out_the_plan_says_late_joiners_are_not_texted(hub: Hub) -> None:
    assert not hub.apply().failed
    after_thursday(hub)
    hub.client.audience.contacts.append(Contact.model_validate(member(EVE, "Eve")))
    change = hub.change(hub.plan(), "thursday")
    assert change.action == "noop"
    assert "2 recipient(s)" in change.reason and "1 joined after the campaign went out: not texted" in change.reason
    assert not hub.apply().failed
    assert EVE not in {m["to"] for m in hub.texts()}


# -- 7. a STOP cancels what is scheduled ------------------------------------------------------------------------


def test_a_stop_cancels_the_texts_scheduled_for_that_number_in_every_campaign(tmp_path: Path,
                                                                               clock: FakeClock) -> None:
    h = Hub(club(campaign("thursday", THURSDAY), campaign("friday", FRIDAY)), tmp_path, clock)
    try:
        assert not h.apply().failed
        assert Counter(m["to"] for m in h.texts(status="scheduled")) == Counter({ADA: 2, BOB: 2})
        h.simulator.inbound(BOB, TwilioSimulator.SANDBOX_SERVICE_NUMBER, "STOP")
        plan = h.plan()
        for cid in ("thursday", "friday"):
            change = h.change(plan, cid)
            assert change.action == "update" and "1 scheduled text(s) will be canceled: 1 opted out" in change.reason
        assert not h.apply(plan).failed
        assert Counter(m["to"] for m in h.texts(status="scheduled")) == Counter({ADA: 2})
        assert Counter(m["to"] for m in h.texts(status="canceled")) == Counter({BOB: 2})
        for cid in ("thursday", "friday"):
            assert h.state.deliveries("acme", "main", cid)[BOB].status == "opted_out"
        h.clock.advance(timedelta(days=5).total_seconds())
        assert BOB not in {m["to"] for m in h.texts() if m["status"] != "canceled"}
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()
