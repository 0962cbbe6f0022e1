"""Many units' member writes as few /batches jobs.

Mailchimp runs an account's batch jobs one at a time ("only one batch request is run at a time", its reference for
`DELETE /batches/{id}`): jobs that an account's units start side by side wait for each other at the vendor. So
writes handed over while a job is under way wait here instead, and go together in the next job
(`JOBS_UNDER_WAY`). A unit that starts a job waits for it (polls it, fetches its results) and goes on starting
jobs for the writes waiting until its own are done, then hands that role to the next unit waiting; the others wait
for their results, giving their work slot away meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.plugin import WorkSlots

OPERATIONS_MAX = 5000  # operations in one job: hub's choice (the vendor states no maximum; unverified)
# Jobs under way at once. 1: a job is started when the one before has ended, with every write that came meanwhile.
# 2 would keep one queued at the vendor behind the running one (the vendor never waiting for hub between them) but
# make more, smaller jobs: quicker only if a job's time is mostly per operation, slower if mostly per job, and
# which it is is unverified (the simulator takes the same time for any job).
JOBS_UNDER_WAY = 1

Operation = dict[str, Any]
Results = dict[str, tuple[int, str]]  # operation_id -> (HTTP status, the answer's start)


@dataclass
class _Share:
    """One unit's operations, and what became of them."""

    operations: list[Operation]
    repeatable: bool
    lead: bool = False  # it starts jobs
    results: Results | None = None
    error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.results is not None or self.error is not None


class BatchJobs:
    """An account's queue of operations for `run_job(operations, repeatable)`, which runs one /batches job."""

    def __init__(self, run_job: Callable[[list[Operation], bool], Results]) -> None:
        self._run_job = run_job
        self._changed = threading.Condition()
        self._waiting: list[_Share] = []
        self._starters = 0  # units starting jobs (each has one under way at most)

    def run(self, operations: list[Operation], *, repeatable: bool) -> Results:
        """The results of `operations` by their operation_id, from the job that takes them. With `repeatable`
        (every operation may be sent twice), a lost answer to the job's start may start it again."""
        share = _Share(operations, repeatable)
        with self._changed:
            self._waiting.append(share)
            if self._starters < JOBS_UNDER_WAY:
                self._starters += 1
                share.lead = True
        if not share.lead:
            self._wait(lambda: share.finished or share.lead)
        if share.lead:
            self._start_jobs(share)
        if share.error is not None:
            raise share.error
        assert share.results is not None
        return share.results

    def _wait(self, until: Callable[[], bool]) -> None:
        WorkSlots.give_away()
        with self._changed:
            self._changed.wait_for(until)

    def _start_jobs(self, mine: _Share) -> None:
        while not mine.finished:
            with self._changed:
                taken: list[_Share] = []
                while self._waiting and (not taken or sum(len(s.operations) for s in taken)
                                         + len(self._waiting[0].operations) <= OPERATIONS_MAX):
                    taken.append(self._waiting.pop(0))
            if not taken:  # its writes are in the other job under way
                self._wait(lambda: mine.finished)
                break
            self._job(taken)
        with self._changed:  # the role goes to the next unit waiting
            self._starters -= 1
            for share in self._waiting:
                if self._starters >= JOBS_UNDER_WAY:
                    break
                if not share.lead:
                    self._starters += 1
                    share.lead = True
            self._changed.notify_all()

    def _job(self, shares: list[_Share]) -> None:
        operations = [{**op, "operation_id": f"{k}.{op['operation_id']}"}
                      for k, share in enumerate(shares) for op in share.operations]
        try:
            results = self._run_job(operations, all(share.repeatable for share in shares))
        except BaseException as exc:  # (each unit raises it)
            with self._changed:
                for share in shares:
                    share.error = exc
                self._changed.notify_all()
            return
        by_share: list[Results] = [{} for _ in shares]
        for op_id, result in results.items():
            k, _, own = op_id.partition(".")
            if k.isdigit() and int(k) < len(shares):
                by_share[int(k)][own] = result
        with self._changed:
            for share, found in zip(shares, by_share, strict=True):
                share.results = found
            self._changed.notify_all()
