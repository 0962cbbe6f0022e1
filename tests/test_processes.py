"""Commands run as real processes: `hub simulate`, and Ctrl-C during `hub apply`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml_writer
from cli_helpers import hub_process

from hub.clock import ScaledClock
from hub.simulator import Fault
from hub_testvendor.simulator import TestvendorSimulator


def test_simulate_prints_base_urls_and_serves_until_interrupted(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "hub", "simulate", "-p", "mailerlite", "--state-dir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        [sim] = json.loads(line)["simulators"]
        assert sim["provider"] == "mailerlite" and sim["base_url"].startswith("http://127.0.0.1:")
        token = sim["settings"]["api_key"]
        answer = requests.post(sim["base_url"] + "/groups", json={"name": "Hello"},
                               headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 201
        assert requests.get(sim["control_url"] + "/log", timeout=5).json()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    assert "Hello" in (tmp_path / "mailerlite.json").read_text()  # state kept for the next run


def test_ctrl_c_during_apply_exits_130_and_a_rerun_continues(tmp_path: Path) -> None:
    sim = TestvendorSimulator(ScaledClock(1.0), rate=10_000)
    base_url = sim.start()
    sim.inject(Fault("latency", seconds=0.05, count=-1))
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    yaml_writer.write(tmp_path / "clients" / "acme" / "client.yaml", {
        "name": "Acme", "accounts": {"main": {"provider": "testvendor", "api_key": "env:ACME_KEY",
                                              "base_url": base_url}}})
    yaml_writer.write(tmp_path / "clients" / "acme" / "audience.yaml",
                      {"lists": [{"id": f"l{i}", "name": f"List {i}"} for i in range(20)]})
    env = {**os.environ, "ACME_KEY": "test-key"}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "hub", "apply", "-w", str(tmp_path), "--yes"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(sim.log.writes()) < 3 and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "run the command again" in err or "run apply again" in err
        assert 3 <= len(sim.items("lists")) < 20
        sim.clear_faults()
        rerun = hub_process("apply", "-w", str(tmp_path), "--yes", "--json", env=env)
        assert rerun.code == 0, rerun.err
        names = [x["name"] for x in sim.items("lists")]
        assert len(names) == 20 == len(set(names))
    finally:
        sim.stop()
