"""Two `hub run` workers sharing one PostgreSQL state (a server the test starts itself): every step once, the
batches split between them, and each vendor account's rate limit held by the two together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
from cli_helpers import hub_process
from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

from hub.clock import ScaledClock
from hub.simulator import Fault
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_sms.simulator import TwilioSimulator

from .test_runner_crash import N, phone, write_workspace

CLIENTS = ("deli", "bakery", "florist")


def test_two_workers_on_postgresql_share_the_work_and_send_each_step_once(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    sims: dict[str, tuple[MailerLiteSimulator, TwilioSimulator]] = {}
    workers: list[subprocess.Popen[str]] = []
    # one batch at a time each: with three clients' accounts busy at once, both workers have work
    env = {**os.environ, "HUB_DATABASE_URL": postgres_url, "HUB_RUNNER_CONCURRENCY": "1",
           "DELI_ML_KEY": "sandbox-token", "DELI_TOKEN": TwilioSimulator.SANDBOX_AUTH_TOKEN}
    try:
        root = tmp_path / "agency"
        for name in CLIENTS:  # each client its own vendor accounts
            ml, sms = MailerLiteSimulator(ScaledClock(1.0)), TwilioSimulator(ScaledClock(1.0))
            sims[name] = (ml, sms)
            sms.inject(Fault("latency", seconds=0.005, count=-1))
            write_workspace(root, ml.start(), sms.start(), name)
        applied = hub_process("apply", "-w", str(root), "--yes", env=env)
        assert applied.code == 0, applied.err

        workers = [subprocess.Popen([sys.executable, "-m", "hub", "run", "-w", str(root)], env=env, text=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        consenting = {phone(i) for i in range(N) if i % 5}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
                len(sms.messages()) == 2 * len(consenting) for _, sms in sims.values()):
            # (the stderr of a worker that ended; reading a running one's would wait for it forever)
            assert all(w.poll() is None for w in workers), [w.communicate()[1] for w in workers if w.poll() is not None]
            time.sleep(0.05)  # watching the vendors, not waiting for time to pass
        time.sleep(0.5)  # anything still in flight would show now
        for w in workers:
            w.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=30) for w in workers] == [0, 0], [w.communicate()[1] for w in workers]

        for name, (ml, sms) in sims.items():
            texts = Counter((m["to"], m["body"]) for m in sms.messages())
            assert set(texts.values()) == {1} and {to for to, _ in texts} == consenting, name
            assert len(texts) == 2 * len(consenting), name
            campaigns = [c for c in ml.campaigns("sandbox") if c["name"].startswith("hub · Club welcome")]
            emailed = Counter(r["email"] for c in campaigns
                              for r in ml.campaign_recipients("sandbox", campaign_id=c["id"]))
            assert emailed == {f"p{i}@example.com": 1 for i in range(N)}, name
            # the two workers together never went past an account's limits: Twilio answered no 429
            assert not [e for e in sms.log.entries() if e.status == 429], name
            assert not [e for e in ml.log.entries() if e.status == 429], name
        with psycopg.connect(postgres_url) as db:
            by_worker = db.execute("SELECT executor_id, count(*) FROM dbos.workflow_status"
                                   " WHERE workflow_uuid LIKE 'journey:%' GROUP BY executor_id").fetchall()
            journeys = db.execute("SELECT status, count(*) FROM journeys WHERE contact <> '*'"
                                  " GROUP BY status").fetchall()
        assert len(by_worker) == 2 and all(n > 0 for _, n in by_worker), by_worker  # the work was split
        assert journeys == [("done", N * len(CLIENTS))]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        for ml, sms in sims.values():
            ml.stop()
            sms.stop()
