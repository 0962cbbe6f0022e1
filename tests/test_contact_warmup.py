"""Several clients' contact files checked at once in forked processes: what a consultant relies on is that it
changes nothing but the time (the same checked contacts, every problem still reported once, at its file:row).

Each command runs as a process of its own, as a consultant runs it: workers are only forked from a process that
runs no other thread, and a test process does."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.workspace.warmup import PARALLEL_FROM_BYTES

CLIENTS = 3
ROWS = 7000  # about 450 KB of CSV a client: together over PARALLEL_FROM_BYTES


def write_workspace(root: Path) -> None:
    rnd = random.Random(5)
    (root / "hub.yaml").write_text("version: 1\ntimezone: Europe/London\n")
    for i in range(CLIENTS):
        folder = root / "clients" / f"client-{i}"
        folder.mkdir(parents=True)
        (folder / "client.yaml").write_text(
            f"name: Client {i}\ncountry: GB\nbrand:\n  sender_name: Client {i}\n  sender_email: hi@c{i}.example\n"
            "  footer_address: 1 High St, Bristol\naccounts:\n  email:\n    provider: mailerlite\n"
            "    api_key: env:WARMUP_KEY\n")
        (folder / "audience.yaml").write_text(
            "lists: [{id: news, name: News}]\nfields: [{id: born, name: Born, type: date},"
            " {id: visits, name: Visits, type: number}]\ncontact_files: [contacts.csv]\n")
        rows = ["email,phone,first_name,lists,born,visits,email_consent"]
        for n in range(ROWS):
            phone = f"07911 1{rnd.randrange(10**5):05d}" if rnd.random() < 0.3 else ""
            rows.append(f"p{n}.{i}@bäckerei.example,{phone},Zoë {n},news,19{rnd.randint(40, 99)}-0{rnd.randint(1, 9)}"
                        f"-1{rnd.randint(0, 9)},{rnd.randint(0, 99)},{rnd.choice(['subscribed', 'unsubscribed'])}")
        (folder / "contacts.csv").write_text("\n".join(rows) + "\n")
    assert sum(p.stat().st_size for p in root.rglob("*.csv")) > PARALLEL_FROM_BYTES


def validate(root: Path, *, one_core: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", "-v", "validate", "-w", str(root)], capture_output=True,
                          text=True, env={**os.environ, "WARMUP_KEY": "k", "NO_COLOR": "1"}, timeout=120,
                          preexec_fn=(lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
                          if one_core else None)


def cached(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / ".hub" / "cache").glob("contacts-*.json"))}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("checking contact files in forked workers needs Linux and two processors")
    root = tmp_path_factory.mktemp("warmup")
    write_workspace(root)
    return root


def test_forked_workers_leave_the_same_checked_contacts_as_one_process(workspace: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    shutil.copytree(workspace, alone)
    together = validate(workspace)
    assert together.returncode == 0, together.stderr
    assert f"checked the contact files of {CLIENTS} clients in 2 processes" in together.stderr
    single = validate(alone, one_core=True)
    assert single.returncode == 0, single.stderr
    assert "processes" not in single.stderr
    assert cached(workspace) == cached(alone) and len(cached(workspace)) == CLIENTS

    again = validate(workspace)  # every client's contacts are checked already: no worker is forked
    assert again.returncode == 0 and "processes" not in again.stderr


def test_a_bad_row_is_reported_once_at_its_file_and_row(workspace: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(workspace, broken, ignore=shutil.ignore_patterns(".hub"))
    csv = broken / "clients" / "client-1" / "contacts.csv"
    lines = csv.read_text().splitlines()
    lines[4000] = lines[4000].replace(",news,", ",newz,")
    csv.write_text("\n".join(lines) + "\n")
    result = validate(broken)
    assert result.returncode == 4
    assert f"checked the contact files of {CLIENTS} clients in 2 processes" in result.stderr
    assert result.stderr.count("clients/client-1/contacts.csv:4001:") == 1, result.stderr
    assert "'newz'" in result.stderr
    assert sorted(cached(broken)) == ["contacts-client-0.json", "contacts-client-2.json"]


def test_no_worker_is_forked_where_the_cache_cannot_be_written(workspace: Path, tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    shutil.copytree(workspace, fixed, ignore=shutil.ignore_patterns(".hub"))
    (fixed / ".hub").mkdir()
    (fixed / ".hub" / "cache").write_text("not a folder")  # (running as root, permissions would not stop a write)
    result = validate(fixed)
    assert result.returncode == 0, result.stderr
    assert "processes" not in result.stderr  # their work would be lost, and done again here
