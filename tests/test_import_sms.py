"""`hub import` of the bakery's Twilio account after its MailerLite one: the Studio Flow comes back as the SMS-only
automation it was compiled from; the next plan has nothing to do on either account."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_helpers import simulator
from test_import_common import (
    agency,  # noqa: F401  (a fixture)
    apply,
    assert_nothing_to_do,
    changes,
    import_,
    plan,
    vendor_log,  # noqa: F401  (a fixture)
    wipe,
)
from test_import_mailerlite import build_by_hand

from hub.simulator.request_log import LogEntry
from hub.state import StateStore
from hub_sms.simulator import TwilioSimulator


def test_import_bakery_twilio_then_nothing_to_do(agency: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                                vendor_log: list[LogEntry]) -> None:  # noqa: F811
    apply(capsys, agency, "bakery")
    build_by_hand(capsys, agency)
    with simulator(agency, TwilioSimulator, "bakery", "sms") as sim:  # someone hub never heard of texts STOP
        sim.inbound("+447700900123", TwilioSimulator.SANDBOX_SERVICE_NUMBER, "STOP")
    written = yaml.safe_load((agency / "clients" / "bakery" / "automations" / "text-club.yaml").read_text())
    wipe(agency, "bakery")
    assert import_(capsys, agency, "bakery", "mailerlite").code == 0
    vendor_log.clear()
    done = import_(capsys, agency, "bakery", "sms")
    assert done.code == 0, done.err
    assert [e for e in vendor_log if e.is_write] == []
    assert "scheduled at Twilio" in done.err  # the SMS campaign's texts: said, not re-created
    assert "1 number(s) that opted out" in done.err  # kept in hub's state: never texted again
    state = StateStore(agency / ".hub" / "sandbox" / "state.db")
    assert "+447700900123" in state.optouts("bakery", "sms")
    state.close()

    after = plan(capsys, agency, "bakery")
    assert_nothing_to_do(after)
    assert ("sms", "automation", "text-club") in {(c["account"], c["kind"], c["id"]) for c in changes(after)}
    imported = yaml.safe_load((agency / "clients" / "bakery" / "automations" / "text-club.yaml").read_text())
    assert imported["trigger"] == written["trigger"] == {"sms_keyword": "JOIN"}
    sends = [s["send_sms"]["body"] for s in imported["steps"] if "send_sms" in s]
    assert sends == [s["send_sms"]["body"] for s in written["steps"] if "send_sms" in s]
