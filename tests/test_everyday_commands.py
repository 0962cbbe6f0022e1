"""hub contacts, hub audit and hub simulate --port, as a consultant uses them every day."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
import yaml_writer
from cli_helpers import hub

from hub.state import StateStore
from hub.sync.engine import state_path


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")  # every column fits (the narrow layout has a test of its own)
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def _edit_audience(root: Path, client: str, change) -> None:  # type: ignore[no-untyped-def]
    path = root / "clients" / client / "audience.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    yaml_writer.write(path, doc)


# -- hub contacts -------------------------------------------------------------------------------------------

def test_contacts_lists_the_audience_with_consent_per_channel(agency: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "contacts", "bakery", "-w", str(agency))
    assert result.code == 0, result.err
    assert "8 of 8 contacts" in result.err and "8 of 8" not in result.out  # the count is a message
    for text in ("amelia.hart@example.com", "+441174960101", "Amelia Hart", "newsletter, wholesale", "vip",
                 "bounced", "unsubscribed", "no consent"):
        assert text in result.out, text

    doc = hub(capsys, "contacts", "bakery", "-w", str(agency), "--json").json()
    assert set(doc) == {"client", "total", "shown", "filters", "contacts"}
    assert doc["total"] == doc["shown"] == 8
    amelia = doc["contacts"][0]
    assert set(amelia) == {"email", "phone", "first_name", "last_name", "name", "lists", "tags", "consent",
                           "sms_opted_out_at"}
    assert amelia["consent"] == {"email": "subscribed", "sms": "subscribed"}
    by_email = {c["email"]: c for c in doc["contacts"]}
    assert by_email["oliver.bennett@example.com"]["consent"]["sms"] is None  # no phone: nothing to text
    assert by_email["priya.shah@example.com"]["consent"]["sms"] == "no_consent"
    assert by_email["bounced.address@example.com"]["consent"] == {"email": "bounced", "sms": "unsubscribed"}


def test_contacts_on_a_narrow_terminal_keep_the_name_under_the_email(agency: Path, capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = hub(capsys, "contacts", "bakery", "-w", str(agency))
    assert result.code == 0 and max(len(line) for line in result.out.splitlines()) <= 80
    lines = result.out.splitlines()
    at = next(i for i, line in enumerate(lines) if "amelia.hart@example.com" in line)
    assert "Amelia Hart" in lines[at + 1] and "opted out" not in result.out


def test_contacts_search_ignores_case_and_accents(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "contacts", "yoga-studio", "--search", "INES", "-w", str(agency))
    assert result.code == 0, result.err
    assert "Inês Costa" in result.out and "maya" not in result.out
    assert "1 of 6 contacts" in result.err
    # the other way round: an accent in the search finds the plain spelling
    doc = hub(capsys, "contacts", "bakery", "-q", "AMÉLIA", "-w", str(agency), "--json").json()
    assert [c["email"] for c in doc["contacts"]] == ["amelia.hart@example.com"]
    # a number as people write it finds the E.164 one
    doc = hub(capsys, "contacts", "bakery", "-q", "0117 496 0105", "-w", str(agency), "--json").json()
    assert [c["email"] for c in doc["contacts"]] == ["sam.wright@example.com"]
    none = hub(capsys, "contacts", "bakery", "-q", "nobody", "-w", str(agency))
    assert none.code == 0 and none.out == "" and "0 of 8 contacts" in none.err


def test_contacts_segment_and_list_filters(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = hub(capsys, "contacts", "yoga-studio", "--segment", "advanced-members", "-w", str(agency), "--json").json()
    assert [c["email"] for c in doc["contacts"]] == ["maya.fischer@example.com"]
    assert doc["filters"]["segment"] == "advanced-members"

    fans = hub(capsys, "contacts", "bakery", "--segment", "sourdough-fans", "-w", str(agency))
    assert fans.code == 0, fans.err
    assert "amelia.hart@example.com" in fans.out and "priya.shah@example.com" in fans.out
    assert "oliver.bennett" not in fans.out and "2 of 8 contacts (segment sourdough-fans)" in fans.err

    wholesale = hub(capsys, "contacts", "bakery", "--list", "wholesale", "-w", str(agency), "--json").json()
    assert sorted(c["email"] for c in wholesale["contacts"]) == ["orders@thecornercafe.example",
                                                                 "tom.okafor@example.com"]


def test_contacts_usage_errors_name_what_exists(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = hub(capsys, "contacts", "bakeryy", "-w", str(agency))
    assert unknown.code == 2 and "bakery, law-firm, yoga-studio" in unknown.err
    segment = hub(capsys, "contacts", "bakery", "--segment", "fans", "-w", str(agency))
    assert segment.code == 2 and "no segment 'fans'" in segment.err and "sourdough-fans" in segment.err
    listed = hub(capsys, "contacts", "bakery", "--list", "vip", "-w", str(agency))
    assert listed.code == 2 and "newsletter, wholesale" in listed.err


def test_contacts_of_a_segment_only_the_vendor_can_resolve(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit_audience(agency, "yoga-studio", lambda doc: doc["segments"].append(
        {"id": "engaged", "name": "Engaged", "rules": [{"engagement": "opened", "within_days": 30}]}))
    result = hub(capsys, "contacts", "yoga-studio", "--segment", "engaged", "-w", str(agency))
    assert result.code == 2
    assert "segment 'engaged'" in result.err and "only the vendor" in result.err and result.out == ""


def test_contacts_show_an_sms_opt_out_hub_learned(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = StateStore(state_path(agency, sandbox=False))
    try:
        assert store.record_optout("bakery", "sms", "+441174960105", "STOP")
    finally:
        store.close()
    result = hub(capsys, "contacts", "bakery", "-q", "sam", "-w", str(agency))
    assert result.code == 0 and "opted out (STOP)" in result.out
    doc = hub(capsys, "contacts", "bakery", "-q", "sam", "-w", str(agency), "--json").json()
    [sam] = doc["contacts"]
    assert sam["consent"]["sms"] == "opted_out" and sam["sms_opted_out_at"]
    # the sandbox keeps its own state: nothing was learned there
    sandboxed = hub(capsys, "contacts", "bakery", "-q", "sam", "-w", str(agency), "--sandbox", "--json").json()
    assert sandboxed["contacts"][0]["consent"]["sms"] == "subscribed"
    assert not state_path(agency, sandbox=True).exists()  # a listing creates no state


def test_contacts_of_a_refused_client_exit_4_with_its_problems(agency: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _edit_audience(agency, "law-firm", lambda doc: doc["contacts"][0].update({"email": "not-an-email"}))
    result = hub(capsys, "contacts", "law-firm", "-w", str(agency))
    assert result.code == 4 and result.out == ""
    assert "clients/law-firm/audience.yaml" in result.err and "not-an-email" in result.err
    assert hub(capsys, "contacts", "bakery", "-w", str(agency)).code == 0  # the other clients are fine


# -- hub audit ----------------------------------------------------------------------------------------------

def test_audit_before_anything_was_applied(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "audit", "-w", str(agency))
    assert result.code == 0 and result.out == ""
    assert "no audit log yet (nothing was applied)" in result.err
    assert hub(capsys, "audit", "-w", str(agency), "--json").json()["entries"] == []
    assert not state_path(agency, sandbox=False).exists()


def test_audit_lists_the_writes_of_an_apply(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applied = hub(capsys, "apply", "--sandbox", "--yes", "-c", "bakery", "-w", str(agency))
    assert applied.code == 0, applied.err

    result = hub(capsys, "audit", "--sandbox", "-c", "bakery", "--limit", "0", "-w", str(agency))
    assert result.code == 0, result.err
    for text in ("time", "client", "account", "kind", "action", "result", "actor", "amelia.hart@example.com",
                 "spring-launch", "mailerlite", "create", "ok"):
        assert text in result.out, text

    doc = hub(capsys, "audit", "--sandbox", "-c", "bakery", "--limit", "0", "-w", str(agency), "--json").json()
    entries = doc["entries"]
    assert doc["total"] == doc["shown"] == len(entries) > 3
    assert set(entries[0]) == {"at", "client", "account", "kind", "id", "action", "result", "actor", "vendor_id",
                               "detail"}
    assert {e["client"] for e in entries} == {"bakery"} and {e["result"] for e in entries} == {"ok"}
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)  # newest last
    assert any(e["kind"] == "contact" and e["id"] == "amelia.hart@example.com" for e in entries)

    limited = hub(capsys, "audit", "--sandbox", "-c", "bakery", "--limit", "2", "-w", str(agency), "--json")
    assert [e["id"] for e in limited.json()["entries"]] == [e["id"] for e in entries[-2:]]
    assert f"the last 2 of {len(entries)} entries" in limited.err and "left out" in limited.err

    # the real (non-sandbox) state has no log yet; an unknown client is a usage error naming the known ones
    assert "no audit log yet" in hub(capsys, "audit", "-c", "bakery", "-w", str(agency)).err
    unknown = hub(capsys, "audit", "--sandbox", "-c", "bakkery", "-w", str(agency))
    assert unknown.code == 2 and "bakery, law-firm, yoga-studio" in unknown.err


# -- hub simulate --port, stopped by SIGTERM ----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_simulate_listens_on_the_port_and_saves_its_state_on_sigterm(tmp_path: Path) -> None:
    from hub.plugins import default_plugins

    port = _free_port()
    state_dir = tmp_path / "sim-state"
    proc = subprocess.Popen([sys.executable, "-m", "hub", "simulate", "--provider", "mailerlite", "--port", str(port),
                             "--state-dir", str(state_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]  # written once the simulator listens
        assert line, proc.stderr.read()  # type: ignore[union-attr]
        [sim] = json.loads(line)["simulators"]
        assert sim["base_url"] == f"http://127.0.0.1:{port}/api"
        settings = default_plugins().registry.get("mailerlite").sandbox_settings(sim["base_url"])
        assert sim["settings"] == settings
        created = requests.post(sim["base_url"] + "/groups", json={"name": "Saved on SIGTERM"},
                                headers={"Authorization": f"Bearer {settings['api_key']}"}, timeout=10)
        assert created.status_code == 201, created.text
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    saved = json.loads((state_dir / "mailerlite.json").read_text())
    groups = [g["name"] for acc in saved["accounts"].values() for g in acc["groups"].values()]
    assert "Saved on SIGTERM" in groups
    assert "saved in" in err
