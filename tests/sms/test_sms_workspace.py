"""SMS through a whole workspace: the audience comes from the email provider, opt-outs go back to it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import yaml_writer

from hub.clock import ScaledClock
from hub.plugins import make_plugins
from hub.sync.engine import Session, SessionOptions
from hub_mailerlite.mapping import derive_field_key
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_sms.simulator import TwilioSimulator

N = 30
KEY = derive_field_key("SMS consent")  # the field's key at MailerLite ("s_m_s_consent")


def workspace(root: Path, ml_url: str, tw_url: str, schedule: str) -> None:
    yaml_writer.write(root / "hub.yaml", {"version": 1, "timezone": "Europe/London"})
    client = root / "clients" / "shop"
    yaml_writer.write(client / "client.yaml", {
        "name": "Corner shop", "sms_consent_field": "sms_consent",
        "brand": {"sender_name": "Corner shop", "sender_email": "hi@shop.example"},
        "accounts": {
            "email": {"provider": "mailerlite", "api_key": "env:SHOP_ML_KEY", "base_url": ml_url},
            "text": {"provider": "sms", "account_sid": TwilioSimulator.SANDBOX_ACCOUNT_SID,
                     "auth_token": "env:SHOP_TWILIO_TOKEN", "base_url": tw_url, "throughput": 10,
                     "messaging_service_sid": TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID}}})
    yaml_writer.write(client / "audience.yaml", {
        "lists": [{"id": "club", "name": "Club"}],
        "fields": [{"id": "sms_consent", "name": "SMS consent"}],
        "contacts": [{"email": f"p{i:02d}@example.com", "phone": f"+441174960{i:03d}", "first_name": f"P{i}",
                      "lists": ["club"], "consent": {"sms": "subscribed"}} for i in range(N)]})
    yaml_writer.write(client / "campaigns" / "deal.yaml", {
        "name": "Deal", "audience": {"list": "club"}, "schedule": schedule,
        "sms": {"body": "Hi {{ first_name }}: 2 for 1 on bread today. Reply STOP to opt out."}})


def apply(root: Path, clock: Any) -> Any:
    with Session(root, make_plugins(), SessionOptions(clock=clock)) as session:
        applier = session.applier()
        applier.reconcile()
        return applier.apply(session.plan())


def test_stop_mid_campaign_gets_nothing_further_and_is_unsubscribed_at_the_email_provider(
        tmp_path: Path, monkeypatch: Any) -> None:
    clock = ScaledClock(1.0)
    ml = MailerLiteSimulator(clock)
    tw = TwilioSimulator(clock)
    monkeypatch.setenv("SHOP_ML_KEY", "sandbox-token")
    monkeypatch.setenv("SHOP_TWILIO_TOKEN", TwilioSimulator.SANDBOX_AUTH_TOKEN)
    try:
        workspace(tmp_path, ml.start(), tw.start(), "draft")
        assert not apply(tmp_path, clock).failed  # contacts pushed; the campaign is still a draft
        assert tw.messages() == []
        workspace(tmp_path, ml.base_url, tw.base_url, "now")
        phones = {f"+441174960{i:03d}" for i in range(N)}
        stopped: list[str] = []

        def text_stop_mid_campaign() -> None:
            deadline = time.monotonic() + 30
            while len(tw.messages()) < 5 and time.monotonic() < deadline:
                time.sleep(0.005)  # watching the simulator's log, not waiting for time to pass
            waiting = sorted(phones - {m["to"] for m in tw.messages()})
            stopped.append(waiting[-1])  # someone still waiting for their text replies STOP to an earlier one
            tw.inbound(stopped[0], TwilioSimulator.SANDBOX_SERVICE_NUMBER, "stop")

        watcher = threading.Thread(target=text_stop_mid_campaign)
        watcher.start()
        report = apply(tmp_path, clock)
        watcher.join()
        assert stopped and not report.failed
        late = stopped[0]
        email = f"p{int(late[-3:]):02d}@example.com"
        sent = [m["to"] for m in tw.messages()]
        assert late not in sent and len(sent) == len(set(sent)) == N - 1
        assert ml.subscriber(email, "sandbox")["fields"][KEY] == "unsubscribed"
        # and it stays so: later applies never text them, and the contact push keeps the field
        assert not apply(tmp_path, clock).failed
        assert len(tw.messages()) == N - 1
        assert ml.subscriber(email, "sandbox")["fields"][KEY] == "unsubscribed"
    finally:
        ml.stop()
        tw.stop()


def test_example_bakery_texts_each_consenting_contact_once_in_the_sandbox(tmp_path: Path, capsys: Any) -> None:
    from collections import Counter

    from cli_helpers import hub

    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    plan = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", "bakery", "--json").json()
    [sms] = [c for c in plan["clients"][0]["changes"] if c["kind"] == "sms_campaign"]
    assert sms["action"] == "create" and "2 recipient(s)" in sms["reason"]
    assert hub(capsys, "apply", "-w", str(root), "--sandbox", "-c", "bakery", "--yes").code == 0
    again = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", "bakery", "--json").json()
    assert [again["summary"][a] for a in ("create", "update", "delete")] == [0, 0, 0]
    sim = TwilioSimulator(ScaledClock(1.0), state_file=root / ".hub" / "sandbox" / "bakery" / "sms.json")
    sim.start()
    try:
        texts = Counter(m["to"] for m in sim.messages())
    finally:
        sim.stop()
    # Amelia and Sam have a phone and SMS consent; Priya has no SMS consent; Jo and Alex opted out
    assert texts == Counter({"+441174960101": 1, "+441174960105": 1})


def test_a_stop_cancels_scheduled_texts_and_its_write_back_leaves_nothing_to_push(tmp_path: Path,
                                                                                  monkeypatch: Any) -> None:
    from datetime import datetime

    from hub.clock import FakeClock

    clock = FakeClock(utc=datetime(2026, 3, 2, 12))
    ml, tw = MailerLiteSimulator(clock), TwilioSimulator(clock)
    monkeypatch.setenv("SHOP_ML_KEY", "sandbox-token")
    monkeypatch.setenv("SHOP_TWILIO_TOKEN", TwilioSimulator.SANDBOX_AUTH_TOKEN)
    stopper = "+441174960003"
    try:
        workspace(tmp_path, ml.start(), tw.start(), "2026-03-05 10:00")
        assert not apply(tmp_path, clock).failed
        assert {m["status"] for m in tw.messages()} == {"scheduled"} and len(tw.messages()) == N
        tw.inbound(stopper, TwilioSimulator.SANDBOX_SERVICE_NUMBER, "STOP")
        assert not apply(tmp_path, clock).failed
        assert [m["status"] for m in tw.messages() if m["to"] == stopper] == ["canceled"]
        assert ml.subscriber("p03@example.com", "sandbox")["fields"][KEY] == "unsubscribed"
        with Session(tmp_path, make_plugins(), SessionOptions(clock=clock)) as session:
            writes = [(c.kind, c.id, c.reason) for c in session.plan().changes if c.writes]
        assert writes == []  # the contact push already holds the opt-out: no update proposed
    finally:
        ml.stop()
        tw.stop()


def test_an_opt_out_written_back_to_the_contact_source_is_not_pushed_again(tmp_path: Path,
                                                                           monkeypatch: Any) -> None:
    from datetime import datetime

    from hub.clock import FakeClock

    clock = FakeClock(utc=datetime(2026, 3, 2, 12))
    ml, tw = MailerLiteSimulator(clock), TwilioSimulator(clock)
    monkeypatch.setenv("SHOP_ML_KEY", "sandbox-token")
    monkeypatch.setenv("SHOP_TWILIO_TOKEN", TwilioSimulator.SANDBOX_AUTH_TOKEN)
    stopper = "+441174960007"
    try:
        workspace(tmp_path, ml.start(), tw.start(), "draft")
        assert not apply(tmp_path, clock).failed  # contacts pushed, subscribed to texts
        tw.inbound(stopper, TwilioSimulator.SANDBOX_SERVICE_NUMBER, "STOP")
        workspace(tmp_path, ml.base_url, tw.base_url, "now")
        assert not apply(tmp_path, clock).failed  # the STOP is recorded and written back, then the texts go
        assert stopper not in {m["to"] for m in tw.messages()}
        assert ml.subscriber("p07@example.com", "sandbox")["fields"][KEY] == "unsubscribed"
        with Session(tmp_path, make_plugins(), SessionOptions(clock=clock)) as session:
            writes = [(c.kind, c.id, c.reason) for c in session.plan().changes if c.writes]
        assert writes == []
    finally:
        ml.stop()
        tw.stop()
