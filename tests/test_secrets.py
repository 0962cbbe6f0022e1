"""A planted secret never reaches output, logs, plan files or the state database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import hub

from hub.clock import SYSTEM_CLOCK
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_sms.simulator import TwilioSimulator

PLANTED = "ml-planted-secret-4c0ffee5d00d"
PLANTED_TWILIO = "tw-planted-secret-9e2b7a31c5d4"


@pytest.fixture
def live_agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The example bakery pointed (not sandboxed) at simulators that accept two planted secrets."""
    ml = MailerLiteSimulator(SYSTEM_CLOCK, tokens={PLANTED: "bakery"})
    tw = TwilioSimulator(SYSTEM_CLOCK, accounts={TwilioSimulator.SANDBOX_ACCOUNT_SID: {
        **TwilioSimulator.sandbox_config(), "auth_token": PLANTED_TWILIO}})
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    client = root / "clients" / "bakery" / "client.yaml"
    text = client.read_text().replace("provider: mailerlite", f"provider: mailerlite\n    base_url: {ml.start()}")
    text = text.replace("provider: sms ", f"provider: sms\n    base_url: {tw.start()}\n   ")
    text = re.sub(r"account_sid: AC\w+", f"account_sid: {TwilioSimulator.SANDBOX_ACCOUNT_SID}", text)
    text = re.sub(r"messaging_service_sid: MG\w+",
                  f"messaging_service_sid: {TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID}", text)
    client.write_text(text)
    monkeypatch.setenv("BAKERY_MAILERLITE_KEY", PLANTED)
    monkeypatch.setenv("BAKERY_TWILIO_TOKEN", PLANTED_TWILIO)
    yield root
    ml.stop()
    tw.stop()


def test_planted_secret_appears_nowhere(live_agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = live_agency
    texts: list[str] = []
    for args in (["validate", "-w", str(root)],
                 ["-v", "plan", "-w", str(root), "-c", "bakery", "--json", "--out", str(root / "plan.json")],
                 ["--debug", "apply", "-w", str(root), "-c", "bakery", "--plan", str(root / "plan.json"), "--yes",
                  "--json"],
                 ["-v", "plan", "-w", str(root), "-c", "bakery"],
                 ["status", "-w", str(root), "-c", "bakery", "--json"],
                 ["providers", "show", "mailerlite", "--json"]):
        result = hub(capsys, *args)
        assert result.code == 0, (args, result.err)
        texts += [result.out, result.err]
    assert any(re.search(r"bakery/mailerlite GET /\S+ -> 200 \(\d+ ms\)", t) for t in texts), "-v logs requests"
    texts.append((root / "plan.json").read_text())
    for text in texts:
        assert PLANTED not in text and PLANTED_TWILIO not in text
    for db in (root / ".hub").glob("state.db*"):
        assert PLANTED.encode() not in db.read_bytes() and PLANTED_TWILIO.encode() not in db.read_bytes()


def test_a_refused_key_is_not_echoed_in_the_error(live_agency: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wrong = "ml-wrong-secret-0123456789abcdef"
    monkeypatch.setenv("BAKERY_MAILERLITE_KEY", wrong)
    result = hub(capsys, "--debug", "plan", "-w", str(live_agency), "-c", "bakery")
    assert result.code == 3  # this account failed; the client's other account (sms) was planned
    assert "credentials" in result.out and "bakery/mailerlite" in result.err  # in its client's table; summed up
    assert wrong not in result.out + result.err


def test_unset_secret_names_the_variable_not_a_value(live_agency: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BAKERY_MAILERLITE_KEY")
    result = hub(capsys, "plan", "-w", str(live_agency), "-c", "bakery")
    assert result.code == 3 and "BAKERY_MAILERLITE_KEY" in result.err
