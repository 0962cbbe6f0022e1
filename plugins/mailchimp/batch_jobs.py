"""Many units' member writes as few /batches jobs.

Mailchimp runs an account's batch jobs one at a time ("only one batch request is run at a time", its reference for
`DELETE /batches/{id}`): jobs that an account's units start side by side wait for each other at the vendor. So
writes handed over while a job is under way wait here instead, and go together in a later job. The next job is
started once the running one is seen at work (`started`), with every write that came until then: it waits at the
vendor behind the running one, so the vendor goes from one to the next without waiting for hub to see the first
end, and writes that come meanwhile still go together. A unit that starts a job waits for it (polls it, fetches its
results) and goes on starting jobs for the writes waiting until its own are done, then hands that role to the next
unit waiting; the others wait for their results, giving their work slot away meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.plugin import WorkSlots

OPERATIONS_MAX = 5000  # operations in one job: hub's choice (the vendor states no maximum; unverified)
JOBS_UNDER_WAY = 2  # the running one, and the next waiting at the vendor behind it

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
    """An account's queue of operations for `run_job(operations, repeatable, running)`, which runs one /batches job
    and calls `running()` once it sees the vendor at work on it."""

    def __init__(self, run_job: Callable[[list[Operation], bool, Callable[[], None]], Results]) -> None:
        self._run_job = run_job
        self._changed = threading.Condition()
        self._waiting: list[_Share] = []
        self._starters = 0  # units that start jobs (each has one under way at most)
        self._under_way = 0
        self._started = 0  # jobs started so far
        self._last_running = False  # the job started last is seen at work: the next may wait behind it

    def run(self, operations: list[Operation], *, repeatable: bool) -> Results:
        """The results of `operations` by their operation_id, from the job that takes them. With `repeatable`
        (every operation may be sent twice), a lost answer to the job's start may start it again."""
        share = _Share(operations, repeatable)
        with self._changed:
            self._waiting.append(share)
            if self._starters < JOBS_UNDER_WAY:
                self._starters += 1
                share.lead = True
            self._wait_for(lambda: share.finished or share.lead)
        if share.lead:
            self._start_jobs(share)
        if share.error is not None:
            raise share.error
        assert share.results is not None
        return share.results

    def _wait_for(self, until: Callable[[], bool]) -> None:
        """(Holding `_changed`.) Wait until `until()`, giving the unit's work slot away if it has to wait."""
        if not until():
            WorkSlots.give_away()
            self._changed.wait_for(until)

    def _may_start(self) -> bool:
        return self._under_way == 0 or (self._under_way < JOBS_UNDER_WAY and self._last_running)

    def _start_jobs(self, mine: _Share) -> None:
        while True:
            with self._changed:
                self._wait_for(lambda: mine.finished or self._may_start())
                if mine.finished:
                    break
                taken: list[_Share] = []
                while self._waiting and (not taken or sum(len(s.operations) for s in taken)
                                         + len(self._waiting[0].operations) <= OPERATIONS_MAX):
                    taken.append(self._waiting.pop(0))
                if not taken:  # its writes are in a job under way
                    self._wait_for(lambda: mine.finished)
                    break
                self._under_way += 1
                self._started += 1
                self._last_running = False
                number = self._started
            self._job(taken, number)
        with self._changed:  # the role goes to the next unit waiting
            self._starters -= 1
            for share in self._waiting:
                if self._starters >= JOBS_UNDER_WAY:
                    break
                if not share.lead:
                    self._starters += 1
                    share.lead = True
            self._changed.notify_all()

    def _job(self, shares: list[_Share], number: int) -> None:
        operations = [{**op, "operation_id": f"{k}.{op['operation_id']}"}
                      for k, share in enumerate(shares) for op in share.operations]

        def running() -> None:
            with self._changed:
                if number == self._started:  # (not an older job: the last one started is still to run)
                    self._last_running = True
                    self._changed.notify_all()

        try:
            results = self._run_job(operations, all(share.repeatable for share in shares), running)
        except BaseException as exc:  # (each unit raises it)
            with self._changed:
                self._under_way -= 1
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
            self._under_way -= 1
            for share, found in zip(shares, by_share, strict=True):
                share.results = found
            self._changed.notify_all()
