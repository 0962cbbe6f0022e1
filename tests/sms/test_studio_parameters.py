"""A contact's details reach a Studio flow as execution parameters, whatever their type."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hub.clock import FakeClock
from hub.model import Automation
from hub.plugins import make_plugins
from hub.testing import Harness, make_client


def test_a_date_field_is_sent_to_the_flow_as_iso_text(tmp_path: Path) -> None:
    client = make_client("sms", audience={
        "lists": [{"id": "club", "name": "Club"}], "fields": [{"id": "birthday", "name": "Birthday", "type": "date"}],
        "contacts": [{"phone": "+447700900001", "lists": ["club"], "consent": {"sms": "subscribed"},
                      "fields": {"birthday": date(1988, 4, 12)}}]})  # as YAML reads it
    client.automations.append(Automation.model_validate({
        "id": "hello", "name": "Hello", "trigger": {"joined_list": "club"}, "enrol": {"list": "club"},
        "steps": [{"send_sms": {"body": "Welcome to the club"}}]}))
    h = Harness(make_plugins().registry.get("sms"), client, tmp_path, FakeClock(utc=datetime(2026, 3, 2, 12)))
    try:
        report = h.apply()
        assert not report.failed, [c.error for c in report.failed]
        [execution] = h.simulator.executions()
        assert execution["context"]["flow"]["data"]["fields_birthday"] == "1988-04-12"
    finally:
        h.close()
