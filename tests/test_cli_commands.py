"""The everyday commands of issue 10 as a consultant meets them: hub init (--force, --blank), validate -c,
secrets list|delete, completion, contacts, audit and simulate --port (stopped with SIGTERM).

(tests/test_cli_workspace_commands.py and tests/test_everyday_commands.py hold the first round of these.)
"""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from cli_helpers import Result, hub

from hub.state import StateStore
from hub.sync.engine import state_path
from hub.testing.fixtures import MemoryKeyring

EXAMPLE_CLIENTS = "bakery, law-firm, yoga-studio"


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")  # tables keep every column
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


# -- hub init -----------------------------------------------------------------------------------------------

def test_init_refuses_a_named_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "clients-2024"
    folder.mkdir()
    for i in range(8):
        (folder / f"note-{i}.txt").write_text("mine")
    result = hub(capsys, "init", str(folder))
    assert result.code == 2 and result.out == ""
    assert f"{folder} is not empty (note-0.txt, note-1.txt" in result.err and "and 2 more" in result.err
    assert "hub init NEWFOLDER" in result.err and "--force" in result.err
    assert sorted(p.name for p in folder.iterdir()) == [f"note-{i}.txt" for i in range(8)]  # nothing written


def test_init_in_the_current_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = hub(capsys, "init")
    assert result.code == 0, result.err
    assert "Created the example agency in the current folder (21 files)" in result.err
    assert "Next: hub validate; hub plan --sandbox" in result.err and "overwrote" not in result.err
    assert hub(capsys, "validate").code == 0


def test_init_force_names_only_the_files_it_overwrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "agency"
    (folder / "clients" / "bakery").mkdir(parents=True)
    (folder / "clients" / "bakery" / "client.yaml").write_text("name: My own bakery\n")
    (folder / "plans.md").write_text("mine")
    result = hub(capsys, "init", "--force", str(folder))
    assert result.code == 0, result.err
    overwrote = [line for line in result.err.splitlines() if line.startswith("overwrote")]
    assert overwrote == [f"overwrote {folder / 'clients' / 'bakery' / 'client.yaml'}"]
    assert (folder / "plans.md").read_text() == "mine"  # never deletes the user's other files
    assert "Rise & Shine" in (folder / "clients" / "bakery" / "client.yaml").read_text()


def test_init_help_says_the_default_folder_and_what_force_does(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(hub(capsys, "init", "--help").out.split())
    assert "default: the current folder" in text
    assert "files of the same name are overwritten" in text and "every other file is kept" in text


def test_blank_client_yaml_explains_every_setting_and_calls_no_vendor(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from hub.model.workspace import ClientConfig, HubConfig
    from hub.plugins import default_plugins

    root = tmp_path / "blank"
    created = hub(capsys, "init", "--blank", str(root))
    assert created.code == 0 and f"Created a blank workspace in {root} (4 files)" in created.err
    text = (root / "clients" / "my-client" / "client.yaml").read_text()
    doc = yaml.safe_load(text)
    assert doc == {"name": "My Client", "accounts": {}}  # all that is active: no account, nothing to call
    for key in ClientConfig.model_fields:  # every client.yaml setting is shown, commented
        assert f"# {key}:" in text or key in doc, key
    written = {line.lstrip("# ").split(":")[0] for line in text.splitlines() if line.startswith("#")}
    for provider in default_plugins().registry:  # and every setting of the built-in providers
        for setting in provider.Settings.model_fields:
            assert setting in written or f"`{setting}:`" in text, (provider.name, setting)
    settings = (root / "hub.yaml").read_text()
    for key in HubConfig.model_fields:  # hub.yaml's own settings, and what clients inherit from it
        assert f"{key}:" in settings, key
    audience = yaml.safe_load((root / "clients" / "my-client" / "audience.yaml").read_text())
    assert all(value == [] for value in audience.values())

    valid = hub(capsys, "validate", "-w", str(root))
    assert valid.code == 0 and "valid (1 client(s): my-client)" in valid.err
    plan = hub(capsys, "plan", "-w", str(root), "--sandbox")
    assert plan.code == 0 and "client my-client: no changes" in plan.err + plan.out
    assert "0 create, 0 update, 0 delete" in plan.err + plan.out
    secrets = hub(capsys, "secrets", "list", "-w", str(root))
    assert secrets.code == 0 and secrets.out == "" and "no secret references" in secrets.err


# -- hub validate -c ----------------------------------------------------------------------------------------

def test_validate_several_clients_keeps_the_json_shape(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = hub(capsys, "validate", "-w", str(agency), "--json").json()
    two = hub(capsys, "validate", "-w", str(agency), "-c", "bakery", "-c", "law-firm", "--json")
    assert two.code == 0, two.err
    assert set(two.json()) == set(whole) == {"valid", "clients", "warnings"}
    assert sorted(two.json()["clients"]) == ["bakery", "law-firm"]
    assert two.json()["clients"]["bakery"] == whole["clients"]["bakery"]
    shown = hub(capsys, "validate", "-w", str(agency), "-c", "yoga-studio")
    assert shown.code == 0 and "valid (1 client(s): yoga-studio)" in shown.err


def test_validate_a_client_still_counts_hub_yaml_and_blueprints(agency: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    hub_yaml = agency / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text().replace("timezone:", "timezon:"))
    result = hub(capsys, "validate", "-w", str(agency), "-c", "bakery")
    assert result.code == 4 and "hub.yaml:" in result.err and "timezon" in result.err
    doc = hub(capsys, "validate", "-w", str(agency), "-c", "bakery", "--json").json()
    assert doc["valid"] is False and any(p["file"] == "hub.yaml" for p in doc["problems"])


def test_validate_a_client_ignores_other_clients_problems(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audience = agency / "clients" / "law-firm" / "audience.yaml"
    audience.write_text(audience.read_text().replace("    first_name: David\n",
                                                     "    first_name: David\n    phone: '12345'\n", 1))
    assert hub(capsys, "validate", "-w", str(agency)).code == 4
    bakery = hub(capsys, "validate", "-w", str(agency), "-c", "bakery", "--json")
    assert bakery.code == 0, bakery.err
    assert list(bakery.json()["clients"]) == ["bakery"]
    law = hub(capsys, "validate", "-w", str(agency), "-c", "law-firm")
    assert law.code == 4 and "clients/law-firm/audience.yaml:" in law.err
    unknown = hub(capsys, "validate", "-w", str(agency), "-c", "bakry")
    assert unknown.code == 2 and "bakery" in unknown.err


def test_validate_an_unknown_client_is_a_usage_error(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "validate", "-w", str(agency), "-c", "bakery", "-c", "bakry")
    assert result.code == 2 and result.out == ""
    assert "no client bakry" in result.err and f"clients: {EXAMPLE_CLIENTS}" in result.err


# -- hub secrets list|delete --------------------------------------------------------------------------------

def test_secrets_set_list_delete_through_the_keyring(agency: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     memory_keyring: MemoryKeyring) -> None:
    client = agency / "clients" / "bakery" / "client.yaml"
    client.write_text(client.read_text().replace("env:BAKERY_MAILERLITE_KEY", "keyring:bakery/mailerlite/api_key"))
    monkeypatch.setenv("LAW_ACTIVECAMPAIGN_KEY", "ac-secret-value-1")
    monkeypatch.delenv("BAKERY_TWILIO_TOKEN", raising=False)

    def listed() -> dict[tuple[str, str, str], tuple[str, bool | None]]:
        doc = hub(capsys, "secrets", "list", "-w", str(agency), "--json")
        assert doc.code == 0, doc.err
        assert "secret-value" not in doc.out + doc.err
        return {(r["client"], r["account"], r["setting"]): (r["reference"], r["set"]) for r in doc.json()["secrets"]}

    before = listed()
    assert before[("bakery", "mailerlite", "api_key")] == ("keyring:bakery/mailerlite/api_key", False)
    assert before[("law-firm", "activecampaign", "api_key")] == ("env:LAW_ACTIVECAMPAIGN_KEY", True)
    assert before[("bakery", "sms", "auth_token")] == ("env:BAKERY_TWILIO_TOKEN", False)
    assert len(before) == 6  # account_sid, audience_id, base_url, handle ... are settings, not secrets

    monkeypatch.setattr(sys, "stdin", io.StringIO("ml-secret-value-2\n"))
    stored = hub(capsys, "secrets", "set", "bakery", "mailerlite", "api_key", "--stdin")
    assert stored.code == 0 and "api_key: keyring:bakery/mailerlite/api_key" in stored.err
    assert memory_keyring.entries == {("hub", "bakery/mailerlite/api_key"): "ml-secret-value-2"}
    assert listed()[("bakery", "mailerlite", "api_key")] == ("keyring:bakery/mailerlite/api_key", True)

    table = hub(capsys, "secrets", "list", "-w", str(agency))
    assert table.code == 0 and "keyring:bakery/mailerlite/api_key" in table.out
    assert "6 secret reference(s); 4 not set" in table.err and "secret-value" not in table.out + table.err

    deleted = hub(capsys, "secrets", "delete", "bakery", "mailerlite", "api_key", "--yes")
    assert deleted.code == 0 and "Deleted keyring:bakery/mailerlite/api_key" in deleted.err
    assert memory_keyring.entries == {}
    assert listed()[("bakery", "mailerlite", "api_key")] == ("keyring:bakery/mailerlite/api_key", False)
    again = hub(capsys, "secrets", "delete", "bakery", "mailerlite", "api_key", "-y")
    assert again.code == 0 and "No secret keyring:bakery/mailerlite/api_key" in again.err


def test_secrets_delete_asks_first(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                   memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("hub", "bakery/sms/auth_token")] = "tw-secret"
    # a script without --yes (no terminal to ask on) is refused, and nothing is deleted
    refused = hub(capsys, "secrets", "delete", "bakery", "sms", "auth_token")
    assert refused.code == 2 and "pass --yes" in refused.err and memory_keyring.entries

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    declined = hub(capsys, "secrets", "delete", "bakery", "sms", "auth_token")
    assert declined.code == 1 and "Delete keyring:bakery/sms/auth_token?" in declined.err
    assert "Nothing deleted." in declined.err and memory_keyring.entries
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    confirmed = hub(capsys, "secrets", "delete", "bakery", "sms", "auth_token")
    assert confirmed.code == 0 and not memory_keyring.entries


def test_secrets_list_despite_problems_elsewhere(agency: Path, capsys: pytest.CaptureFixture[str],
                                                 memory_keyring: MemoryKeyring) -> None:
    # a broken campaign refuses the client for plan/apply, but its client.yaml's secrets are still listed
    campaign = agency / "clients" / "bakery" / "campaigns" / "spring-launch.yaml"
    campaign.write_text(campaign.read_text() + "\nnot_a_key: 1\n")
    hub_yaml = agency / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text() + "bogus: 1\n")  # and so is a problem in hub.yaml
    # a literal key is named (never shown) with how to reference it instead
    law = agency / "clients" / "law-firm" / "client.yaml"
    law.write_text(law.read_text().replace("env:LAW_ACTIVECAMPAIGN_KEY", "literal-key-0123456789"))
    result = hub(capsys, "secrets", "list", "-w", str(agency), "--json")
    assert result.code == 0, result.err
    rows = {(r["client"], r["account"], r["setting"]) for r in result.json()["secrets"]}
    assert rows == {("bakery", "mailerlite", "api_key"), ("bakery", "sms", "auth_token"),
                    ("yoga-studio", "mailchimp", "api_key"), ("yoga-studio", "mastodon", "access_token"),
                    ("yoga-studio", "bluesky", "app_password")}
    assert "accounts.activecampaign.api_key holds a literal value" in result.err
    assert "hub secrets set law-firm activecampaign api_key" in result.err
    assert "literal-key-0123456789" not in result.out + result.err


# -- hub completion -----------------------------------------------------------------------------------------

def _complete(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shell: str, words: str,
              cword: int) -> Result:
    monkeypatch.setenv("_HUB_COMPLETE", f"{shell}_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(cword))
    try:
        return hub(capsys)
    finally:
        monkeypatch.delenv("_HUB_COMPLETE")


def test_completion_scripts_are_clicks_own(capsys: pytest.CaptureFixture[str]) -> None:
    from click.shell_completion import get_completion_class

    from hub.cli import cli

    for shell in ("bash", "zsh", "fish"):
        result = hub(capsys, "completion", shell)
        cls = get_completion_class(shell)
        assert cls is not None
        assert result.code == 0 and result.out == cls(cli, {}, "hub", "_HUB_COMPLETE").source() + "\n"
    helped = " ".join(hub(capsys, "completion", "--help").out.split())
    assert """eval "$(hub completion bash)"' >> ~/.bashrc""" in helped
    wrong = hub(capsys, "completion", "powershell")
    assert wrong.code == 2 and "'bash', 'zsh', 'fish'" in wrong.err


def test_completion_completes_commands_and_clients(agency: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert _complete(capsys, monkeypatch, "bash", "hub pl", 1).out.splitlines() == ["plain,plan"]
    assert "plan" in _complete(capsys, monkeypatch, "zsh", "hub pl", 1).out.splitlines()
    assert _complete(capsys, monkeypatch, "bash", "hub secrets d", 2).out.splitlines() == ["plain,delete"]
    # a client argument offers the workspace's clients: -w's, or the one the shell is in
    offered = _complete(capsys, monkeypatch, "bash", f"hub contacts -w {agency} ", 4).out.splitlines()
    assert offered == ["plain,bakery", "plain,law-firm", "plain,yoga-studio"]
    monkeypatch.chdir(agency / "clients")
    assert _complete(capsys, monkeypatch, "bash", "hub secrets delete y", 3).out.splitlines() == ["plain,yoga-studio"]
    monkeypatch.chdir(agency.parent)  # outside any workspace: nothing to offer, and no error
    nothing = _complete(capsys, monkeypatch, "bash", "hub contacts ", 2)
    assert nothing.code == 0 and nothing.out.strip() == "" and nothing.err == ""


# -- hub contacts -------------------------------------------------------------------------------------------

def test_contacts_filters_combine_and_the_count_goes_to_stderr(agency: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "contacts", "bakery", "--list", "newsletter", "--search", "HART", "-w", str(agency))
    assert result.code == 0, result.err
    assert "amelia.hart@example.com" in result.out and "Amelia Hart" in result.out
    assert re.search(r"│ newsletter\s+│ vip\s+│ subscribed\s+│ subscribed\s+│", result.out)  # lists, tags, consent
    assert result.err.strip().endswith("1 of 8 contacts (list newsletter, matching 'HART')")
    assert "of 8 contacts" not in result.out
    doc = hub(capsys, "contacts", "bakery", "--list", "newsletter", "-q", "HART", "-w", str(agency), "--json")
    assert doc.json()["filters"] == {"segment": None, "list": "newsletter", "search": "HART"}
    assert [c["name"] for c in doc.json()["contacts"]] == ["Amelia Hart"]


def test_contacts_sms_consent_per_channel(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = StateStore(state_path(agency, sandbox=True))
    try:
        store.record_optout("bakery", "sms", "+441174960101", "STOP")
    finally:
        store.close()
    doc = hub(capsys, "contacts", "bakery", "--sandbox", "-w", str(agency), "--json").json()
    sms = {c["email"]: c["consent"]["sms"] for c in doc["contacts"]}
    assert sms["amelia.hart@example.com"] == "opted_out"  # what hub learned from a STOP
    assert sms["priya.shah@example.com"] == "no_consent" and sms["oliver.bennett@example.com"] is None
    table = hub(capsys, "contacts", "bakery", "--sandbox", "-q", "amelia", "-w", str(agency))
    assert "opted out (STOP)" in table.out


# -- hub audit ----------------------------------------------------------------------------------------------

def _adopt(store: StateStore, client: str, account: str, provider: str, item: str) -> None:
    store.record("run-1", client, account, provider, "list", item, item, "fp", f"v-{item}")


def test_audit_per_client_newest_last_and_a_removed_clients_history(agency: Path, capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_ACTOR", "ana")
    store = StateStore(state_path(agency, sandbox=False))
    try:
        _adopt(store, "bakery", "mailerlite", "mailerlite", "newsletter")
        _adopt(store, "yoga-studio", "mailchimp", "mailchimp", "members")
        _adopt(store, "bakery", "mailerlite", "mailerlite", "wholesale")
        _adopt(store, "old-client", "mailerlite", "mailerlite", "leads")  # a client since removed
    finally:
        store.close()

    bakery = hub(capsys, "audit", "-c", "bakery", "-w", str(agency))
    assert bakery.code == 0, bakery.err
    assert bakery.out.index("newsletter") < bakery.out.index("wholesale")  # newest last
    for text in ("audit log (times in UTC)", "mailerlite", "adopt", "ana", "ok"):
        assert text in bakery.out, text
    assert "yoga-studio" not in bakery.out and "2 entries" in bakery.err

    doc = hub(capsys, "audit", "-w", str(agency), "--json").json()
    assert [e["client"] for e in doc["entries"]] == ["bakery", "yoga-studio", "bakery", "old-client"]
    assert doc["entries"][0]["actor"] == "ana" and doc["entries"][0]["vendor_id"] == "v-newsletter"
    old = hub(capsys, "audit", "-c", "old-client", "-w", str(agency), "--json")
    assert old.code == 0 and [e["id"] for e in old.json()["entries"]] == ["leads"]
    last = hub(capsys, "audit", "-n", "1", "-w", str(agency), "--json").json()
    assert (last["total"], last["shown"], last["entries"][0]["id"]) == (4, 1, "leads")
    unknown = hub(capsys, "audit", "-c", "bakkery", "-w", str(agency))
    assert unknown.code == 2 and "old-client" in unknown.err and "bakery" in unknown.err


# -- hub simulate --port, SIGTERM ---------------------------------------------------------------------------

def _free_ports(count: int) -> int:
    """The first of `count` consecutive ports that are free now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = int(s.getsockname()[1])
        if first + count - 1 > 65535:
            continue
        try:
            held = []
            for port in range(first, first + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return first
    raise AssertionError("no consecutive free ports")


class Simulate:
    """`hub simulate ...` as a real process: started, its JSON line read, stopped with SIGTERM."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "hub", "simulate", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]  # written once every simulator listens
        if not line:
            self.proc.wait(timeout=30)
            raise AssertionError(self.proc.stderr.read())  # type: ignore[union-attr]
        self.simulators: dict[str, dict[str, Any]] = {s["provider"]: s for s in json.loads(line)["simulators"]}

    def terminate(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def _mailerlite(sim: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {sim['settings']['api_key']}"}
    return requests.request(method, sim["base_url"] + path, headers=headers, timeout=10, **kwargs)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_simulate_ports_in_order_and_state_kept_across_sigterm(tmp_path: Path) -> None:
    port = _free_ports(2)
    state_dir = tmp_path / "sims"
    first = Simulate("-p", "mailerlite", "-p", "mailchimp", "--port", str(port), "--state-dir", str(state_dir))
    try:
        assert first.simulators["mailerlite"]["base_url"] == f"http://127.0.0.1:{port}/api"
        assert first.simulators["mailchimp"]["base_url"].startswith(f"http://127.0.0.1:{port + 1}/")
        created = _mailerlite(first.simulators["mailerlite"], "POST", "/groups", json={"name": "Kept on SIGTERM"})
        assert created.status_code == 201, created.text
        code, err = first.terminate()
    finally:
        first.kill()
    assert code == 0, err
    assert f"simulated accounts saved in {state_dir}" in err
    assert sorted(p.name for p in state_dir.iterdir()) == ["mailchimp.json", "mailerlite.json"]
    assert "Kept on SIGTERM" in (state_dir / "mailerlite.json").read_text()

    again = Simulate("-p", "mailerlite", "--port", str(port), "--state-dir", str(state_dir))  # the port is free again
    try:
        groups = _mailerlite(again.simulators["mailerlite"], "GET", "/groups")
        assert groups.status_code == 200 and "Kept on SIGTERM" in [g["name"] for g in groups.json()["data"]]
        code, err = again.terminate()
    finally:
        again.kill()
    assert code == 0, err


def test_simulate_on_a_port_in_use_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hub(capsys, "simulate", "-p", "mailerlite", "--port", str(port))
    assert result.code == 2 and result.out == ""
    assert f"cannot listen on 127.0.0.1:{port}" in result.err and "choose another --port" in result.err
    too_high = hub(capsys, "simulate", "-p", "mailerlite", "-p", "mailchimp", "--port", "65535")
    assert too_high.code == 2 and "ports 65535 to 65536" in too_high.err
