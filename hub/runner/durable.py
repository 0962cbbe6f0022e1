"""Batches carried out as DBOS workflows: a crash mid-batch is recovered when the worker starts again, and
several workers on one PostgreSQL database share one queue, partitioned by vendor account, so that one
account's batches run one at a time across all workers (the vendor's limits hold overall) while different
accounts run side by side.

A batch's workflow ID is `journey:<batch>:<attempt>`: enqueued again (by this worker's next tick, or another
worker's), DBOS runs it once. DBOS is imported only here, only when `hub run` starts (`hub --help` and every
other command stay fast). Its system tables live in the state's database: an SQLite file next to hub's state
by default, the same PostgreSQL database when one is named.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

if TYPE_CHECKING:
    from ..sync.engine import Session
    from .engine import Runner

log = logging.getLogger("hub.runner")
QUEUE = "hub-runner"
APP_VERSION = "hub-runner-1"
POLL_S = 0.05  # how soon a worker picks up what was enqueued (DBOS polls its queue tables)
_RUNNER: Runner | None = None  # the runner this process's workflows carry batches out for


@DBOS.step()
def _carry_out(batch: str) -> dict[str, int]:
    assert _RUNNER is not None, "a worker is running"
    return _RUNNER.carry_out(batch)


@DBOS.workflow()
def carry_out_batch(batch: str) -> dict[str, int]:
    return _carry_out(batch)


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
        # One application version for good: a worker upgraded mid-batch still recovers the batch (the workflow
        # only names it; carrying it out is idempotent), which DBOS's per-build default would leave pending.
        DBOS(config={"name": "hub", "system_database_url": system_database_url(location),
                     "application_version": APP_VERSION, "log_level": "WARNING"})
        self.queue: Any = None

    def __enter__(self) -> DurableExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        global _RUNNER
        DBOS.destroy()
        _RUNNER = None

    def _launch(self, runner: Runner) -> None:
        """Launched once the runner exists: DBOS recovers the workflows a crash left unfinished the moment it
        launches, and they carry batches out through the runner."""
        global _RUNNER
        _RUNNER = runner
        if self.queue is None:
            DBOS.launch()
            self.queue = DBOS.register_queue(QUEUE, partition_concurrency=1, polling_interval_sec=POLL_S)

    def run(self, runner: Runner, batches: Sequence[tuple[str, int]]) -> list[dict[str, int]]:
        self._launch(runner)
        handles: list[Any] = []
        for batch, attempt in batches:
            with SetWorkflowID(f"journey:{batch}:{attempt}"), \
                    SetEnqueueOptions(queue_partition_key=runner.account_of(batch)):
                handles.append(self.queue.enqueue(carry_out_batch, batch))
        out = []
        for (batch, _), handle in zip(batches, handles, strict=True):
            try:
                out.append(handle.get_result())
            except Exception as exc:  # a batch's own failure is handled in it: this one broke in DBOS itself
                log.error("workflow %s failed: %s", handle.get_workflow_id(), exc)
                out.append(runner.broke(batch, exc))  # tried again under the next attempt's workflow id
        return out
