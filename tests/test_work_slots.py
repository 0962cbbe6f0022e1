"""Units of work an account runs at once: one that waits on the clock lends its slot, so a retry's backoff or a
vendor's batch job does not leave the vendor's connections idle."""

from __future__ import annotations

import threading

import pytest

from hub.clock import FakeClock
from hub.work_slots import WorkSlots


class WaitingClock(FakeClock):
    """A clock whose sleep lasts until `go` is set (another unit's doing), or fails the test after a while."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def sleep(self, seconds: float) -> None:
        assert self.go.wait(timeout=10), "nothing ran while a unit waited on the clock"
        super().sleep(seconds)


def test_a_unit_waiting_on_the_clock_lets_another_run_in_its_slot() -> None:
    clock, done = WaitingClock(), []

    def waits() -> None:
        WorkSlots.sleep(clock, 1.0)  # a retry's backoff
        done.append("waited")

    def runs() -> None:
        done.append("ran")
        clock.go.set()

    WorkSlots(1, most_threads=3).run_all([waits, runs])
    assert done == ["ran", "waited"]


def test_without_waits_units_run_in_as_many_threads_as_slots() -> None:
    seen: set[str] = set()
    lock = threading.Lock()
    running, most = [0], [0]

    def unit() -> None:
        with lock:
            seen.add(threading.current_thread().name)
            running[0] += 1
            most[0] = max(most[0], running[0])
        WorkSlots.sleep(FakeClock(), 0)  # (no wait: nothing lent)
        with lock:
            running[0] -= 1

    WorkSlots(3, most_threads=9).run_all([unit] * 40)
    assert len(seen) <= 3 and most[0] <= 3


def test_every_unit_runs_and_the_first_error_is_raised_after() -> None:
    ran: list[int] = []

    def unit(i: int) -> None:
        ran.append(i)
        if i in (3, 5):
            raise ValueError(f"unit {i}")

    with pytest.raises(ValueError, match=r"unit [35]"):
        WorkSlots(2, most_threads=4).run_all([lambda i=i: unit(i) for i in range(10)])
    assert sorted(ran) == list(range(10))


def test_a_unit_that_waited_holding_a_lock_others_need_finishes() -> None:
    """The waiting unit does not take its slot back when it wakes: the unit in it may be waiting for its lock."""
    clock, lock, done = WaitingClock(), threading.Lock(), []

    def holds() -> None:
        with lock:
            WorkSlots.sleep(clock, 1.0)  # (a paged read retried under a cache's lock)
            done.append("holder")

    def needs() -> None:
        clock.go.set()
        with lock:
            done.append("needer")

    WorkSlots(1, most_threads=2).run_all([holds, needs])
    assert done == ["holder", "needer"]


def test_sleeping_outside_any_unit_just_sleeps() -> None:
    clock = FakeClock()
    WorkSlots.sleep(clock, 2.5)
    assert clock.now() == 2.5
