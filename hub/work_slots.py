"""How many units of work an account runs at once, where a unit that waits gives its place to another.

The applier runs an account's units (batches of contacts, single changes) in `WorkSlots`. A unit that waits on the
clock (a retry's backoff, a vendor's batch job: `WorkSlots.sleep`) or on another unit (`WorkSlots.give_away`)
takes no CPU and no connection meanwhile, so another unit takes its slot.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from .clock import Clock


class WorkSlots:
    """Runs units of work `slots` at once, where a unit that waits on the clock (a retry's backoff, a vendor's batch
    job) or on another unit gives its slot to another: waiting takes no CPU and no connection, and under faults
    the waiting units would otherwise leave the vendor's connections idle. It goes on without a slot when it wakes
    (taking one back could wait for ever on a unit that waits for a lock it holds), so up to `most_threads` units
    run at once after waits. A thread is added only when a slot is given while units wait to start: without waits
    there are `slots` threads (each thread costs memory)."""

    _held = threading.local()

    def __init__(self, slots: int, most_threads: int) -> None:
        self._free = threading.Semaphore(slots)
        self._slots, self._most_threads = slots, most_threads
        self._lock = threading.Lock()
        self._units: deque[Callable[[], None]] = deque()
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def run_all(self, units: Iterable[Callable[[], None]]) -> None:
        """Run every unit; the first error a unit raised is raised once all have ended."""
        self._units.extend(units)
        with self._lock:
            for _ in range(min(self._slots, len(self._units))):
                self._add_thread()
        joined = 0
        while True:
            with self._lock:
                if joined == len(self._threads):
                    break
                thread = self._threads[joined]
            thread.join()
            joined += 1
        if self._errors:
            raise self._errors[0]

    def _add_thread(self) -> None:  # (under self._lock)
        thread = threading.Thread(target=self._work, name=f"unit-{len(self._threads)}")
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        held = WorkSlots._held
        while True:
            self._free.acquire()
            held.slots = self
            try:
                with self._lock:
                    if not self._units:
                        return
                    unit = self._units.popleft()
                unit()
            except BaseException as exc:  # (raised by run_all)
                self._errors.append(exc)
            finally:
                if held.slots is not None:  # (not given away while it waited)
                    held.slots = None
                    self._free.release()

    def _give(self) -> None:
        WorkSlots._held.slots = None
        self._free.release()
        with self._lock:
            if self._units and len(self._threads) < self._most_threads:
                self._add_thread()

    @staticmethod
    def sleep(clock: Clock, seconds: float) -> None:
        """`clock.sleep(seconds)`, giving the calling unit's slot (if it holds one) to another unit."""
        if seconds > 0:
            WorkSlots.give_away()
        clock.sleep(seconds)

    @staticmethod
    def give_away() -> None:
        """Give the calling unit's slot (if it holds one) to another unit: it is about to wait (for another unit's
        doing, say)."""
        slots: WorkSlots | None = getattr(WorkSlots._held, "slots", None)
        if slots is not None:
            slots._give()
