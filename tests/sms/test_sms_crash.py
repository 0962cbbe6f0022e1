"""A real `kill -9` of `hub apply` in the middle of an SMS campaign, several times: in the end every
consenting recipient has exactly one text."""

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
from hub_sms.simulator import TwilioSimulator

N = 60


def write_workspace(root: Path, base_url: str) -> None:
    yaml_writer.write(root / "hub.yaml", {"version": 1, "timezone": "Europe/London"})
    client = root / "clients" / "deli"
    yaml_writer.write(client / "client.yaml", {"name": "Deli", "accounts": {"text": {
        "provider": "sms", "account_sid": TwilioSimulator.SANDBOX_ACCOUNT_SID, "auth_token": "env:DELI_TOKEN",
        "messaging_service_sid": TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID, "base_url": base_url,
        "throughput": 20}}})
    yaml_writer.write(client / "audience.yaml", {
        "lists": [{"id": "vip", "name": "VIP"}],
        "contacts": [{"phone": f"+441174960{i:03d}", "first_name": f"P{i}", "lists": ["vip"],
                      "consent": {"sms": "subscribed" if i % 10 else "unsubscribed"}} for i in range(N)]})
    yaml_writer.write(client / "campaigns" / "lunch.yaml", {
        "name": "Lunch", "audience": {"list": "vip"}, "schedule": "now",
        "sms": {"body": "{{ first_name }}, soup of the day is leek. Reply STOP to opt out."}})


def run_until(root: Path, sim: TwilioSimulator, texts: int, env: dict[str, str]) -> int:
    proc = subprocess.Popen([sys.executable, "-m", "hub", "apply", "-w", str(root), "--yes"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(sim.messages()) < texts and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # watching the simulator, not waiting for time to pass
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait()


def test_kill_9_mid_campaign_then_rerun_texts_everyone_exactly_once(tmp_path: Path) -> None:
    sim = TwilioSimulator(ScaledClock(1.0))
    base_url = sim.start()
    sim.inject(Fault("latency", seconds=0.01, count=-1))  # texts in flight when the process dies
    env = {**os.environ, "DELI_TOKEN": TwilioSimulator.SANDBOX_AUTH_TOKEN}
    try:
        write_workspace(tmp_path, base_url)
        killed = sum(run_until(tmp_path, sim, n, env) == -signal.SIGKILL for n in (3, 15, 33))
        assert killed >= 2, "the campaign finished before it could be killed"
        sim.clear_faults()
        final = hub_process("apply", "-w", str(tmp_path), "--yes", env=env)
        assert final.code == 0, final.err
        consenting = {f"+441174960{i:03d}" for i in range(N) if i % 10}
        counts = Counter(m["to"] for m in sim.messages())
        assert set(counts) == consenting and set(counts.values()) == {1}
        again = hub_process("apply", "-w", str(tmp_path), "--yes", env=env)
        assert again.code == 0 and len(sim.messages()) == len(consenting)
    finally:
        sim.stop()
