"""`hub import` on any provider: the example agency applied to the simulators, its files and state taken away, the
account imported back; the next plan has nothing to do. Helpers for tests/test_import_*.py, and what every
provider shares: --dry-run writes nothing, existing files are never overwritten without --force, no vendor write."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Result, hub

from hub.simulator.request_log import LogEntry
from hub.sync.accounts import Sandbox

WRITES = ("create", "update", "delete")


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HUB_SANDBOX_TIME_SCALE", "600")
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def apply(capsys: pytest.CaptureFixture[str], root: Path, client: str) -> None:
    done = hub(capsys, "apply", "-w", str(root), "--sandbox", "-c", client, "--yes")
    assert done.code == 0, done.out + done.err


def wipe(root: Path, client: str) -> None:
    """What `hub import` starts from: the client's folder with client.yaml alone, and no state."""
    folder = root / "clients" / client
    for name in ("audience.yaml", "contacts.csv"):
        (folder / name).unlink(missing_ok=True)
    for sub in ("campaigns", "automations"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    (root / ".hub" / "sandbox" / "state.db").unlink(missing_ok=True)


def import_(capsys: pytest.CaptureFixture[str], root: Path, client: str, account: str, *more: str) -> Result:
    return hub(capsys, "import", client, "--account", account, "-w", str(root), "--sandbox", *more)


def plan(capsys: pytest.CaptureFixture[str], root: Path, client: str, *more: str) -> dict[str, Any]:
    done = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", client, "--json", *more)
    assert done.code == 0, done.out + done.err
    doc: dict[str, Any] = done.json()
    return doc


def changes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for cl in doc["clients"] for c in cl["changes"]]


def assert_nothing_to_do(doc: dict[str, Any]) -> None:
    """No create, update or delete; a manual item only where it is verified (a noop)."""
    left = [(c["account"], c["kind"], c["id"], c["action"], c.get("reason", "")) for c in changes(doc)
            if c["action"] not in ("noop",)]
    assert left == [], left
    assert all(doc["summary"][a] == 0 for a in (*WRITES, "manual", "unsupported")), doc["summary"]


@pytest.fixture
def vendor_log(monkeypatch: pytest.MonkeyPatch) -> list[LogEntry]:
    """Every request the sandbox's simulators answered during the commands run in the test."""
    seen: list[LogEntry] = []
    close = Sandbox.close

    def keep(self: Sandbox) -> None:
        for sim in self.simulators.values():
            seen.extend(sim.log.entries())
        close(self)

    monkeypatch.setattr(Sandbox, "close", keep)
    return seen


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- what every provider shares --------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_names_what_it_would_write(agency: Path, capsys: pytest.CaptureFixture[str],
                                                             vendor_log: list[LogEntry]) -> None:
    apply(capsys, agency, "law-firm")
    wipe(agency, "law-firm")
    folder = agency / "clients" / "law-firm"
    before = files(folder)
    vendor_log.clear()
    done = import_(capsys, agency, "law-firm", "activecampaign", "--dry-run")
    assert done.code == 0, done.err
    assert files(folder) == before
    assert not (agency / ".hub" / "sandbox" / "state.db").exists()  # no state made either
    assert "clients/law-firm/audience.yaml" in done.err and "contacts.csv" in done.err and "bytes" in done.err
    assert "nothing written" in done.err.lower()
    assert [e for e in vendor_log if e.is_write] == []
    as_json = import_(capsys, agency, "law-firm", "activecampaign", "--dry-run", "--json").json()
    assert as_json["dry_run"] is True and {f["path"] for f in as_json["files"]} >= {
        "clients/law-firm/audience.yaml", "clients/law-firm/contacts.csv"}
    assert files(folder) == before


def test_existing_files_are_not_overwritten_without_force(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apply(capsys, agency, "law-firm")
    folder = agency / "clients" / "law-firm"
    before = files(folder)
    refused = import_(capsys, agency, "law-firm", "activecampaign")  # over the example's own audience.yaml
    assert refused.code == 4, refused.err
    assert "audience.yaml" in refused.err and "--force" in refused.err
    assert files(folder) == before
    wipe(agency, "law-firm")
    assert import_(capsys, agency, "law-firm", "activecampaign").code == 0
    (folder / "audience.yaml").write_text((folder / "audience.yaml").read_text() + "# my own notes\n")
    imported = files(folder)
    again = import_(capsys, agency, "law-firm", "activecampaign")
    assert again.code == 4 and "--force" in again.err and files(folder) == imported
    forced = import_(capsys, agency, "law-firm", "activecampaign", "--force")
    assert forced.code == 0, forced.err
    assert "# my own notes" not in (folder / "audience.yaml").read_text()
    assert "contact_files" in (folder / "audience.yaml").read_text()


def test_an_unknown_account_or_client_is_a_usage_error(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(capsys, agency, "law-firm", "nope").code == 2
    assert import_(capsys, agency, "nobody", "activecampaign").code == 2


def test_a_provider_without_import_says_so_and_writes_nothing(agency: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = agency / "clients" / "yoga-studio"
    before = files(folder)
    done = import_(capsys, agency, "yoga-studio", "bluesky")
    assert done.code == 2 and "cannot be imported" in done.err and "Nothing was written" in done.err
    assert files(folder) == before
