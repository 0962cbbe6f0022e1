"""Batches carried out as DBOS workflows: several workers on one PostgreSQL database share one queue,
partitioned by vendor account, so that one account's batches run one at a time across all workers (the
vendor's limits hold overall) while different accounts run side by side.

A batch's workflow ID is `journey:<batch>:<attempt>`: enqueued again (by this worker's next tick, or another
worker's), DBOS runs it once. Each worker is its own DBOS executor and beats a heartbeat into the state every
30 s: the batches of a worker whose process is gone (on this machine: a kill -9) or whose heartbeat stopped
for 5 minutes (any machine) are handed to the queue again, where one live worker takes each.

DBOS is imported only here, only when `hub run` starts (`hub --help` and every other command stay fast). Its
system tables live in the state's database: an SQLite file next to hub's state by default, the same PostgreSQL
database when one is named.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from ..errors import ConfigError
from ..state.journeys import Journeys
from ..state.store import HOST, process_alive
from .timing import ISO

if TYPE_CHECKING:
    from ..sync.engine import Session
    from .engine import Runner

log = logging.getLogger("hub.runner")
QUEUE = "hub-runner"
APP_VERSION = "hub-runner-1"
POLL_S = 0.2  # how soon a worker picks up what was enqueued (DBOS polls its queue tables)
DEFAULT_CONCURRENCY = 8
HEARTBEAT_S = 30.0
STALE_AFTER = timedelta(minutes=5)  # a worker silent this long is taken for dead (its batches are taken over)
_RUNNER: Runner | None = None  # the runner this process's workflows carry batches out for


@DBOS.step()
def _carry_out(batch: str) -> dict[str, int]:
    assert _RUNNER is not None, "a worker is running"
    return _RUNNER.carry_out(batch)


@DBOS.workflow()
def carry_out_batch(batch: str) -> dict[str, int]:
    return _carry_out(batch)


def worker_concurrency() -> int:
    """Batches one worker carries out at once (`HUB_RUNNER_CONCURRENCY`, default 8): the rest wait in the queue
    for this worker or another."""
    try:
        return max(1, int(os.environ.get("HUB_RUNNER_CONCURRENCY", "") or DEFAULT_CONCURRENCY))
    except ValueError:
        raise ConfigError("HUB_RUNNER_CONCURRENCY: write a whole number of batches, e.g. 8") from None


def system_database_url(location: str | Path) -> str:
    """DBOS's system database: the PostgreSQL database itself, or an SQLite file beside the state's."""
    if isinstance(location, Path):
        return "sqlite:///" + str(location.with_name("runner.sqlite").resolve())
    return location


class DurableExecutor:
    """One DBOS instance per process, for as long as `hub run` runs."""

    def __init__(self, session: Session) -> None:
        from ..sync.engine import state_location

        location = state_location(session.root, sandbox=session.options.sandbox)
        # DBOS logs through hub's logging (its own console handler would keep the stderr of the first command
        # run in this process): a handler present means DBOS adds none, and records propagate
        dbos_log = logging.getLogger("dbos")
        if not dbos_log.handlers:
            dbos_log.addHandler(logging.NullHandler())
        self.executor = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # One application version for good: a worker upgraded mid-batch still recovers the batch (the workflow
        # only names it; carrying it out is idempotent), which DBOS's per-build default would leave pending.
        DBOS(config={"name": "hub", "system_database_url": system_database_url(location),
                     "application_version": APP_VERSION, "executor_id": self.executor, "log_level": "WARNING"})
        self.journeys = Journeys(session.state)
        self.queue: Any = None
        self._stop = threading.Event()
        self._beating = threading.Thread(target=self._beat, name="hub-heartbeat", daemon=True)

    def __enter__(self) -> DurableExecutor:
        self._heartbeat()
        self._beating.start()
        return self

    def __exit__(self, *exc: object) -> None:
        global _RUNNER
        self._stop.set()
        self._beating.join(timeout=5)
        DBOS.destroy()
        self.journeys.forget_worker(self.executor)  # stopped cleanly: nothing of its own is left in flight
        _RUNNER = None

    def _heartbeat(self) -> None:
        self.journeys.heartbeat(self.executor, HOST, os.getpid(), datetime.now(UTC).strftime(ISO))

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self._heartbeat()
            except Exception as exc:  # the database away for a moment: the next beat tries again
                log.warning("heartbeat: %s", exc)

    def _take_over(self) -> None:
        """Hand the unfinished batches of dead workers to the queue again (DBOS lets one live worker take each)."""
        stale = (datetime.now(UTC) - STALE_AFTER).strftime(ISO)
        for executor in self.journeys.dead_workers(stale, process_alive):
            if executor == self.executor:
                continue
            handles = DBOS._recover_pending_workflows([executor])
            if handles:
                log.warning("took over %d batch(es) of worker %s, which stopped", len(handles), executor)
            self.journeys.forget_worker(executor)

    def _launch(self, runner: Runner) -> None:
        """Launched once the runner exists: DBOS recovers the workflows a crash left unfinished the moment it
        launches, and they carry batches out through the runner."""
        global _RUNNER
        _RUNNER = runner
        if self.queue is None:
            DBOS.launch()
            self.queue = DBOS.register_queue(QUEUE, partition_concurrency=1, worker_concurrency=worker_concurrency(),
                                             polling_interval_sec=POLL_S)

    def submit(self, runner: Runner, batches: Sequence[tuple[str, int]]) -> Callable[[], list[dict[str, int]]]:
        self._launch(runner)
        self._take_over()
        handles: list[Any] = []
        for batch, attempt in batches:
            with SetWorkflowID(f"journey:{batch}:{attempt}"), \
                    SetEnqueueOptions(queue_partition_key=runner.account_of(batch)):
                handles.append(self.queue.enqueue(carry_out_batch, batch))

        def outcomes() -> list[dict[str, int]]:
            out = []
            for (batch, _), handle in zip(batches, handles, strict=True):
                try:
                    out.append(handle.get_result(polling_interval_sec=POLL_S))
                except Exception as exc:  # a batch's own failure is handled in it: this one broke in DBOS itself
                    log.error("workflow %s failed: %s", handle.get_workflow_id(), exc)
                    out.append(runner.broke(batch, exc))  # tried again under the next attempt's workflow id
            return out

        return outcomes
