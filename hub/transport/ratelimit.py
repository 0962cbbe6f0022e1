"""Client-side rate limiting per vendor account.

Limits are sliding windows in vendor seconds. For a strict limit (the vendor refuses what is over it) a
slot is stamped with the time its *response* arrived, not when the request left: the vendor counts
arrivals, and an arrival always precedes its response, so this never exceeds the vendor's window however
latency varies; in-flight requests hold their slot. A limit that only queues at the vendor is stamped
when the request leaves, and each request is given its time to leave when it asks, in turn, and sleeps once
until then (waking to check again cost a fifth of hub's CPU at 2,000 texts a second).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..clock import Clock
from .limits import Limits, RateLimit

_IN_FLIGHT = float("inf")


class _Window:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.stamps: list[float] = []  # response times of recent requests; +inf while in flight

    def wait_time(self, now: float, cost: int = 1) -> float:
        """0 when a request costing `cost` may start now, > 0 to wait that long, < 0 to wait for a response."""
        horizon = now - self.limit.per_seconds
        self.stamps = [t for t in self.stamps if t > horizon]
        cost = min(cost, self.limit.requests)  # a request dearer than the whole window waits for an empty one
        if len(self.stamps) + cost <= self.limit.requests:
            return 0.0
        needed = sorted(self.stamps)[len(self.stamps) + cost - self.limit.requests - 1]
        return -1.0 if needed == _IN_FLIGHT else needed - horizon

    def next_start(self, now: float, cost: int = 1) -> float:
        """For a limit that only queues: the earliest time from `now`, after every time already given (stamps
        stay in order, some in the future), at which a request costing `cost` keeps the window."""
        most, per = self.limit.requests, self.limit.per_seconds
        self.stamps = [t for t in self.stamps if t > now - per]
        cost = min(cost, most)
        at = max(now, self.stamps[-1]) if self.stamps else now
        if len(self.stamps) + cost > most:
            at = max(at, self.stamps[len(self.stamps) + cost - most - 1] + per)
        return at


class AccountGate:
    """Everything one account allows: its rate windows and its concurrent connections."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.clock = clock
        self.windows = {r.bucket: _Window(r) for r in limits.rate}
        self._cond = threading.Condition()
        self._slots = threading.BoundedSemaphore(max(1, limits.max_concurrency))

    def configure(self, limit: RateLimit) -> None:
        """Add or change a window once the provider knows it (e.g. how many senders an SMS service has)."""
        with self._cond:
            old = self.windows.get(limit.bucket)
            self.windows[limit.bucket] = window = _Window(limit)
            if old is not None:
                window.stamps = old.stamps

    @contextmanager
    def slot(self, buckets: Iterable[str]) -> Iterator[None]:
        """Hold a connection and a place in each named window; a bucket named n times costs n places
        (an SMS of three segments takes three of the sender's per-second places)."""
        costs = Counter(b for b in buckets)
        with self._slots:
            with self._cond:
                windows = [(self.windows[b], n) for b, n in costs.items() if b in self.windows]
            self._acquire(windows)
            try:
                yield
            finally:
                self._release(windows)

    def _acquire(self, windows: list[tuple[_Window, int]]) -> None:
        strict = [(w, n) for w, n in windows if w.limit.strict]
        with self._cond:
            while True:
                now = self.clock.now()
                waits = [w.wait_time(now, n) for w, n in strict]
                if all(w == 0.0 for w in waits):
                    break
                if any(w < 0 for w in waits):
                    self._cond.wait(timeout=0.05)
                    continue
                delay = max(waits)
                self._cond.release()
                try:
                    self.clock.sleep(delay)
                finally:
                    self._cond.acquire()
            for w, n in strict:
                w.stamps.extend([_IN_FLIGHT] * min(n, w.limit.requests))
            queued = [(w, n) for w, n in windows if not w.limit.strict]
            at = max([now, *(w.next_start(now, n) for w, n in queued)])
            for w, n in queued:
                w.stamps.extend([at] * min(n, w.limit.requests))
        if at > now:
            self.clock.sleep(at - now)

    def _release(self, windows: list[tuple[_Window, int]]) -> None:
        with self._cond:
            now = self.clock.now()
            for w, n in windows:
                if w.limit.strict:
                    for _ in range(min(n, w.limit.requests)):
                        w.stamps[w.stamps.index(_IN_FLIGHT)] = now
            self._cond.notify_all()


class GateRegistry:
    """One gate per vendor account identity, shared by every provider instance using that account."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._gates: dict[str, AccountGate] = {}
        self._lock = threading.Lock()

    def gate(self, key: str, limits: Limits) -> AccountGate:
        with self._lock:
            if key not in self._gates:
                self._gates[key] = AccountGate(limits, self.clock)
            return self._gates[key]
