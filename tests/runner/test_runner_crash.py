"""A real `kill -9` of `hub run` at several points of an automation (an email at MailerLite, a text, a tag, a
second text), then a restart: every contact gets every step exactly once, and none is skipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml_writer
from cli_helpers import hub_process

from hub.clock import ScaledClock
from hub.simulator import Fault
from hub.state import StateStore
from hub.state.journeys import Journeys
from hub.sync.engine import state_path
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_sms.simulator import TwilioSimulator

N = 40  # contacts; every fifth has no SMS consent
FIRST, SECOND = "Welcome to the club, {{ first_name }}!", "{{ first_name }}, your club card is ready."


def phone(i: int) -> str:
    return f"+441174960{i:03d}"


def write_workspace(root: Path, ml_url: str, sms_url: str, name: str = "deli") -> None:
    yaml_writer.write(root / "hub.yaml", {"version": 1, "timezone": "UTC"})
    client = root / "clients" / name
    yaml_writer.write(client / "client.yaml", {
        "name": name.title(), "brand": {"sender_name": "Deli", "sender_email": "hello@deli.example",
                                  "footer_address": "1 Deli Row"},
        "accounts": {
            "email": {"provider": "mailerlite", "api_key": "env:DELI_ML_KEY", "base_url": ml_url},
            "text": {"provider": "sms", "account_sid": TwilioSimulator.SANDBOX_ACCOUNT_SID,
                     "auth_token": "env:DELI_TOKEN", "base_url": sms_url, "throughput": 20,
                     "messaging_service_sid": TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID}}})
    yaml_writer.write(client / "audience.yaml", {
        "lists": [{"id": "club", "name": "Club"}], "tags": [{"id": "carded", "name": "Carded"}],
        "contacts": [{"email": f"p{i}@example.com", "phone": phone(i), "first_name": f"P{i}", "lists": ["club"],
                      "consent": {"email": "subscribed", "sms": "subscribed" if i % 5 else "unsubscribed"}}
                     for i in range(N)]})
    yaml_writer.write(client / "automations" / "club.yaml", {
        "name": "Club welcome", "trigger": {"joined_list": "club"}, "enrol": {"list": "club"},
        "steps": [{"send_email": {"subject": "Welcome, {{ first_name }}",
                                  "body_markdown": "Hello. [Unsubscribe]({{ unsubscribe_url }})"}},
                  {"id": "first-text", "send_sms": {"body": FIRST}},
                  {"add_tag": "carded"},
                  {"id": "second-text", "send_sms": {"body": SECOND}}]})


def run_until(root: Path, sms: TwilioSimulator, texts: int, env: dict[str, str]) -> int:
    """Start a `hub run` worker, SIGKILL it once Twilio has `texts` texts; return its exit code."""
    proc = subprocess.Popen([sys.executable, "-m", "hub", "run", "-w", str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while len(sms.messages()) < texts and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # watching the vendor, not waiting for time to pass
    assert proc.poll() is None, proc.communicate()[1]  # a worker runs until it is stopped
    os.kill(proc.pid, signal.SIGKILL)
    return proc.wait()


def test_kill_9_during_hub_run_then_restart_sends_every_step_exactly_once(tmp_path: Path) -> None:
    ml = MailerLiteSimulator(ScaledClock(1.0))
    sms = TwilioSimulator(ScaledClock(1.0))
    ml_url, sms_url = ml.start(), sms.start()
    sms.inject(Fault("latency", seconds=0.01, count=-1))  # texts in flight when the process dies
    env = {**os.environ, "DELI_ML_KEY": "sandbox-token", "DELI_TOKEN": TwilioSimulator.SANDBOX_AUTH_TOKEN}
    try:
        write_workspace(tmp_path, ml_url, sms_url)
        applied = hub_process("apply", "-w", str(tmp_path), "--yes", env=env)
        assert applied.code == 0, applied.err
        consenting = {phone(i) for i in range(N) if i % 5}
        for n in (5, 20, len(consenting) + 3, len(consenting) + 20):
            assert run_until(tmp_path, sms, n, env) == -signal.SIGKILL
        assert len(sms.messages()) < 2 * len(consenting), "the automation finished before the last kill"
        sms.clear_faults()
        for _ in range(8):  # each tick carries out the steps due; the next step is due at once
            done = hub_process("run", "--once", "-w", str(tmp_path), "--json", env=env)
            assert done.code == 0, done.err

        texts = Counter((m["to"], m["body"].split(",")[0].split("!")[0]) for m in sms.messages())
        assert set(texts.values()) == {1}, [k for k, n in texts.items() if n > 1]  # no text twice
        assert {to for to, _ in texts} == consenting and len(texts) == 2 * len(consenting)  # none skipped
        campaigns = [c for c in ml.campaigns("sandbox") if c["name"].startswith("hub · Club welcome")]
        emailed = Counter(r["email"] for c in campaigns for r in ml.campaign_recipients("sandbox", campaign_id=c["id"]))
        assert emailed == {f"p{i}@example.com": 1 for i in range(N)}
        store = StateStore(state_path(tmp_path, sandbox=False))
        try:
            statuses = {(r["step"], r["status"]): r["n"] for r in Journeys(store).summary("deli")}
        finally:
            store.close()
        assert statuses == {("", "done"): N}
    finally:
        ml.stop()
        sms.stop()


def test_lost_answers_from_twilio_and_mailerlite_repeat_nothing(tmp_path: Path) -> None:
    """The vendor sent it, hub never heard: the runner finds it (the text by the ledger's lookup, the email's
    campaign by its name) instead of sending it again."""
    ml = MailerLiteSimulator(ScaledClock(1.0))
    sms = TwilioSimulator(ScaledClock(1.0))
    ml_url, sms_url = ml.start(), sms.start()
    env = {**os.environ, "DELI_ML_KEY": "sandbox-token", "DELI_TOKEN": TwilioSimulator.SANDBOX_AUTH_TOKEN}
    messages = f"/2010-04-01/Accounts/{TwilioSimulator.SANDBOX_ACCOUNT_SID}/Messages.json"
    try:
        write_workspace(tmp_path, ml_url, sms_url)
        assert hub_process("apply", "-w", str(tmp_path), "--yes", env=env).code == 0
        ml.inject(Fault("drop_after", method="POST", path_prefix="/api/campaigns", count=2))
        sms.inject(Fault("drop_after", method="POST", path_prefix=messages, count=6))
        for _ in range(6):
            ran = hub_process("run", "--once", "-w", str(tmp_path), "--inline", env=env)
            assert ran.code == 0, ran.err
        texts = Counter((m["to"], m["body"]) for m in sms.messages())
        assert set(texts.values()) == {1} and len(texts) == 2 * len([i for i in range(N) if i % 5])
        campaigns = [c for c in ml.campaigns("sandbox") if c["name"].startswith("hub · Club welcome")]
        assert len(campaigns) == 1
        assert len(ml.campaign_recipients("sandbox", campaign_id=campaigns[0]["id"])) == N
    finally:
        ml.stop()
        sms.stop()


def test_a_keyword_text_starts_the_automation_and_a_reply_picks_the_branch(tmp_path: Path) -> None:
    """`sms_keyword` and `replied`, read from the texts Twilio received: whoever texts TASTE gets the invitation
    (a number the workspace does not know too: it asked), and only who answered YES gets the confirmation."""
    ml = MailerLiteSimulator(ScaledClock(1.0))
    sms = TwilioSimulator(ScaledClock(1.0))
    env = {**os.environ, "DELI_ML_KEY": "sandbox-token", "DELI_TOKEN": TwilioSimulator.SANDBOX_AUTH_TOKEN}
    number = TwilioSimulator.SANDBOX_SERVICE_NUMBER
    try:
        write_workspace(tmp_path, ml.start(), sms.start())
        yaml_writer.write(tmp_path / "clients" / "deli" / "automations" / "tasting.yaml", {
            "name": "Tasting", "run_by": "hub", "trigger": {"sms_keyword": "TASTE"},
            "steps": [{"id": "invite", "send_sms": {"body": "Free tasting on Saturday! Reply YES to book."}},
                      {"id": "answer", "condition": {"replied": ["YES", "Y"]}, "yes": "booked", "no": "end"},
                      {"id": "booked", "send_sms": {"body": "Booked: see you Saturday."}},
                      {"id": "end", "exit": True}]})
        assert hub_process("apply", "-w", str(tmp_path), "--yes", env=env).code == 0
        stranger = "+441174969999"
        for sender in (phone(1), phone(2), stranger):
            sms.inbound(sender, number, "taste please")
        sms.inbound(phone(3), number, "hello")  # not the keyword
        assert hub_process("run", "--once", "-w", str(tmp_path), "--inline", env=env).code == 0
        invited = {m["to"] for m in sms.messages() if m["body"].startswith("Free tasting")}
        assert invited == {phone(1), phone(2), stranger}
        sms.inbound(phone(1), number, " yes ")
        sms.inbound(stranger, number, "No thanks")
        for _ in range(2):
            assert hub_process("run", "--once", "-w", str(tmp_path), "--inline", env=env).code == 0
        assert {m["to"] for m in sms.messages() if m["body"].startswith("Booked")} == {phone(1)}
        sms.inbound(phone(1), number, "TASTE")  # once per number
        assert hub_process("run", "--once", "-w", str(tmp_path), "--inline", env=env).code == 0
        assert Counter(m["to"] for m in sms.messages() if m["body"].startswith("Free tasting"))[phone(1)] == 1
    finally:
        ml.stop()
        sms.stop()
