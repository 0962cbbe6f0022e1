"""A real `kill -9` of `hub apply` at several points, then a rerun: every item exists exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml_writer
from cli_helpers import hub_process

from hub.clock import ScaledClock
from hub.simulator import Fault
from hub_testvendor.simulator import TestvendorSimulator

LISTS, CONTACTS, CAMPAIGNS = 12, 150, 4


def write_workspace(root: Path, base_url: str) -> None:
    yaml_writer.write(root / "hub.yaml", {"version": 1, "timezone": "Europe/London"})
    client = root / "clients" / "acme"
    yaml_writer.write(client / "client.yaml", {
        "name": "Acme", "brand": {"sender_name": "Acme", "sender_email": "hello@acme.example"},
        "accounts": {"main": {"provider": "testvendor", "api_key": "env:ACME_KEY", "base_url": base_url}}})
    yaml_writer.write(client / "audience.yaml", {
        "lists": [{"id": f"l{i}", "name": f"List {i}"} for i in range(LISTS)],
        "contacts": [{"email": f"p{i}@example.com", "first_name": f"P{i}", "lists": [f"l{i % LISTS}"]}
                     for i in range(CONTACTS)]})
    for i in range(CAMPAIGNS):
        yaml_writer.write(client / "campaigns" / f"c{i}.yaml", {
            "name": f"Campaign {i}", "audience": {"list": f"l{i}"}, "schedule": "draft",
            "email": {"subject": f"News {i}", "body_markdown": "Hi [[x]] [unsubscribe]({{ unsubscribe_url }})"}})


def run_until_writes(root: Path, sim: TestvendorSimulator, writes: int, env: dict[str, str]) -> int:
    """Start `hub apply`, SIGKILL it once the vendor has seen `writes` write requests; return its code."""
    proc = subprocess.Popen([sys.executable, "-m", "hub", "apply", "-w", str(root), "--yes"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(sim.log.writes()) < writes and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # polling the simulator's log, not waiting for time to pass
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait()


@pytest.mark.parametrize("kill_points", [(3, 9, 14), (1, 2, 16)])
def test_kill_9_mid_apply_then_rerun_applies_everything_once(tmp_path: Path, kill_points: tuple[int, ...]) -> None:
    sim = TestvendorSimulator(ScaledClock(1.0), rate=10_000)
    base_url = sim.start()
    sim.inject(Fault("latency", seconds=0.03, count=-1))  # slow enough to be caught mid-flight
    try:
        write_workspace(tmp_path, base_url)
        env = {**os.environ, "ACME_KEY": "test-key"}
        killed = 0
        for point in kill_points:
            code = run_until_writes(tmp_path, sim, point, env)
            killed += code == -signal.SIGKILL
        assert killed >= 2, "the apply finished before it could be killed"
        sim.clear_faults()
        final = hub_process("apply", "-w", str(tmp_path), "--yes", "--json", env=env)
        assert final.code == 0, final.err
        lists = Counter(x["name"] for x in sim.items("lists"))
        campaigns = Counter(x["name"] for x in sim.items("campaigns"))
        contacts = Counter(x["email"] for x in sim.items("contacts"))
        assert len(lists) == LISTS and set(lists.values()) == {1}, lists
        assert len(campaigns) == CAMPAIGNS and set(campaigns.values()) == {1}, campaigns
        assert len(contacts) == CONTACTS
        ids = {x["id"] for x in sim.items("lists")}
        assert all(set(c["lists"]) <= ids for c in sim.items("contacts"))
        writes = len(sim.log.writes())
        again = hub_process("apply", "-w", str(tmp_path), "--yes", "--json", env=env)
        assert again.code == 0 and len(sim.log.writes()) == writes
    finally:
        sim.stop()
