"""Many units' member writes as few /batches jobs.

Mailchimp runs an account's batch jobs one at a time ("only one batch request is run at a time", its reference for
`DELETE /batches/{id}`): jobs that an account's units start side by side wait for each other at the vendor. So
writes handed over while a job runs wait here instead, and go together in the next job. One unit leads: it starts
each job and waits for it, until its own writes are done, then hands the lead to the next unit waiting; the others
wait for their results, giving their work slot away meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.plugin import WorkSlots

OPERATIONS_MAX = 5000  # operations in one job: hub's choice (the vendor states no maximum; unverified)

Operation = dict[str, Any]
Results = dict[str, tuple[int, str]]  # operation_id -> (HTTP status, the answer's start)


@dataclass
class _Share:
    """One unit's operations, and what became of them."""

    operations: list[Operation]
    repeatable: bool
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    results: Results | None = None
    error: BaseException | None = None


class BatchJobs:
    """An account's queue of operations for `run_job(operations, repeatable)`, which runs one /batches job."""

    def __init__(self, run_job: Callable[[list[Operation], bool], Results]) -> None:
        self._run_job = run_job
        self._lock = threading.Lock()
        self._waiting: list[_Share] = []
        self._running = False

    def run(self, operations: list[Operation], *, repeatable: bool) -> Results:
        """The results of `operations` by their operation_id, from the job that takes them. With `repeatable`
        (every operation may be sent twice), a lost answer to the job's start may start it again."""
        share = _Share(operations, repeatable)
        with self._lock:
            self._waiting.append(share)
            share.lead, self._running = not self._running, True
        if not share.lead:
            WorkSlots.wait(share.wake)  # for the results, or for the lead
        if share.lead:
            self._lead(share)
        if share.error is not None:
            raise share.error
        assert share.results is not None
        return share.results

    def _lead(self, mine: _Share) -> None:
        while mine.results is None and mine.error is None:
            with self._lock:
                taken: list[_Share] = []
                while self._waiting and (not taken or sum(len(s.operations) for s in taken)
                                         + len(self._waiting[0].operations) <= OPERATIONS_MAX):
                    taken.append(self._waiting.pop(0))
            self._job(taken)
        with self._lock:
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].wake.set()
            else:
                self._running = False

    def _job(self, shares: list[_Share]) -> None:
        operations = [{**op, "operation_id": f"{k}.{op['operation_id']}"}
                      for k, share in enumerate(shares) for op in share.operations]
        try:
            results = self._run_job(operations, all(share.repeatable for share in shares))
        except BaseException as exc:  # (each unit raises it)
            for share in shares:
                share.error = exc
                share.wake.set()
            return
        by_share: list[Results] = [{} for _ in shares]
        for op_id, result in results.items():
            k, _, own = op_id.partition(".")
            if k.isdigit() and int(k) < len(shares):
                by_share[int(k)][own] = result
        for share, found in zip(shares, by_share, strict=True):
            share.results = found
            share.wake.set()
