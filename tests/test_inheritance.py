"""Brand-kit settings written once in hub.yaml reach every provider through the loaded model (issue 9)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml_writer

from hub.clock import FakeClock
from hub.plugins import make_plugins
from hub.sync.engine import Session, SessionOptions
from hub_sms.simulator import TwilioSimulator


def test_quiet_hours_in_hub_yaml_hold_an_sms_campaigns_texts(tmp_path: Path) -> None:
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1, "timezone": "Europe/London",
                                              "quiet_hours": {"start": "21:00", "end": "08:00"}})
    client = tmp_path / "clients" / "shop"
    yaml_writer.write(client / "client.yaml", {
        "name": "Corner shop", "brand": {"sms_sender": "Shop"},
        "accounts": {"text": {"provider": "sms", "account_sid": TwilioSimulator.SANDBOX_ACCOUNT_SID,
                              "auth_token": "env:SHOP_TWILIO_TOKEN",
                              "messaging_service_sid": TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID}}})
    yaml_writer.write(client / "audience.yaml", {
        "lists": [{"id": "club", "name": "Club"}],
        "contacts": [{"phone": "+447911123456", "lists": ["club"], "consent": {"sms": "subscribed"}}]})
    yaml_writer.write(client / "campaigns" / "late.yaml", {
        "name": "Late", "audience": {"list": "club"}, "schedule": "now", "sms": {"body": "Doors open!"}})
    clock = FakeClock(utc=datetime(2026, 3, 2, 22, 30))  # 22:30 in London: inside hub.yaml's quiet hours
    with Session(tmp_path, make_plugins(), SessionOptions(sandbox=True, clock=clock)) as session:
        plan = session.plan()
    change = next(c for c in plan.changes if c.kind == "sms_campaign")
    assert change.payload["quiet_hours"] == {"start": "21:00:00", "end": "08:00:00"}
    assert [r["not_before"] for r in change.details["recipients"]] == ["2026-03-03T08:00:00Z"]
    assert "1 later (schedule or quiet hours)" in change.reason
