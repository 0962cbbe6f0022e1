"""hub init, validate -c, secrets list|delete and completion, as a consultant uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from cli_helpers import hub


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ".git").mkdir()  # a fresh `git init` is fine, anything else is not
    monkeypatch.chdir(tmp_path)
    refused = hub(capsys, "init")
    assert refused.code == 2 and "the current folder is not empty (notes.txt)" in refused.err
    assert "--force" in refused.err and sorted(p.name for p in tmp_path.iterdir()) == [".git", "notes.txt"]

    (tmp_path / "hub.yaml").write_text("version: 1\n# my settings\n")
    forced = hub(capsys, "init", "--force")
    assert forced.code == 0, forced.err
    assert "overwrote hub.yaml" in forced.err
    assert (tmp_path / "notes.txt").read_text() == "mine"  # other files are kept
    assert (tmp_path / "clients" / "bakery" / "client.yaml").is_file()
    assert hub(capsys, "validate").code == 0


def test_init_help_names_the_default_folder(capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "init", "--help")
    assert result.code == 0 and "default: the current folder" in " ".join(result.out.split())


def test_a_blank_workspace_validates_and_plans_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "blank"
    assert hub(capsys, "init", "--blank", str(root)).code == 0
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        ".gitignore", "clients/my-client/audience.yaml", "clients/my-client/client.yaml", "hub.yaml"]
    client = (root / "clients" / "my-client" / "client.yaml").read_text()
    assert "#    provider: mailerlite" in client and "env:" in client  # every setting explained, none active
    assert hub(capsys, "validate", "-w", str(root)).code == 0
    plan = hub(capsys, "plan", "-w", str(root), "--sandbox", "--json")
    assert plan.code == 0 and plan.json()["summary"]["create"] == 0


def test_validate_one_client(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
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


def test_secrets_list_shows_names_and_whether_set_never_values(agency: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    client = agency / "clients" / "law-firm" / "client.yaml"
    reference = "keyring:law-firm/activecampaign/api_key"
    client.write_text(client.read_text().replace("env:LAW_ACTIVECAMPAIGN_KEY", reference))
    monkeypatch.setenv("BAKERY_MAILERLITE_KEY", "ml-secret-value-123456")
    monkeypatch.delenv("BAKERY_TWILIO_TOKEN", raising=False)
    store = {("hub", "law-firm/activecampaign/api_key"): "ac-secret-value-987654"}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: store.get((service, user)))

    doc = hub(capsys, "secrets", "list", "-w", str(agency), "--json")
    assert doc.code == 0, doc.err
    rows = {(r["client"], r["account"], r["setting"]): (r["reference"], r["set"]) for r in doc.json()["secrets"]}
    assert rows[("bakery", "mailerlite", "api_key")] == ("env:BAKERY_MAILERLITE_KEY", True)
    assert rows[("bakery", "sms", "auth_token")] == ("env:BAKERY_TWILIO_TOKEN", False)
    assert rows[("law-firm", "activecampaign", "api_key")] == ("keyring:law-firm/activecampaign/api_key", True)
    table = hub(capsys, "secrets", "list", "-w", str(agency))
    for text in (doc.out, doc.err, table.out, table.err):
        assert "secret-value" not in text
    assert "not set" in table.err


def test_secrets_delete_removes_the_keyring_entry(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = {("hub", "bakery/mailerlite/api_key"): "x"}

    def delete(service: str, user: str) -> None:
        if (service, user) not in store:
            raise keyring.errors.PasswordDeleteError("not found")
        del store[(service, user)]

    monkeypatch.setattr(keyring, "delete_password", delete)
    deleted = hub(capsys, "secrets", "delete", "bakery", "mailerlite", "api_key", "--yes")
    assert deleted.code == 0 and "Deleted keyring:bakery/mailerlite/api_key" in deleted.err and not store
    again = hub(capsys, "secrets", "delete", "bakery", "mailerlite", "api_key", "--yes")
    assert again.code == 0 and "nothing deleted" in again.err


def test_completion_prints_the_script_and_completes(capsys: pytest.CaptureFixture[str]) -> None:
    for shell, marker in (("bash", "_hub_completion"), ("zsh", "#compdef hub"), ("fish", "complete")):
        result = hub(capsys, "completion", shell)
        assert result.code == 0 and marker in result.out and "_HUB_COMPLETE" in result.out
    env: dict[str, Any] = {**os.environ, "_HUB_COMPLETE": "bash_complete", "COMP_WORDS": "hub pl", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "hub"], env=env, capture_output=True, text=True, timeout=60)
    assert "plain,plan" in done.stdout.splitlines()  # bash_complete answers type,value lines
    assert hub(capsys, "completion", "tcsh").code == 2
