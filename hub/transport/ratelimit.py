"""Client-side rate limiting per vendor account.

Limits are sliding windows in vendor seconds. A slot is stamped with the time its *response* arrived,
not when the request left: the vendor counts arrivals, and an arrival always precedes its response, so
this never exceeds the vendor's window however latency varies. In-flight requests hold their slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..clock import Clock
from ..provider import Limits, RateLimit

_IN_FLIGHT = float("inf")


class _Window:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.stamps: list[float] = []  # response times of recent requests; +inf while in flight

    def wait_time(self, now: float) -> float:
        """0 when a request may start now, > 0 to wait that long, < 0 to wait for a response."""
        horizon = now - self.limit.per_seconds
        self.stamps = [t for t in self.stamps if t > horizon]
        if len(self.stamps) < self.limit.requests:
            return 0.0
        oldest = min(self.stamps)
        return -1.0 if oldest == _IN_FLIGHT else oldest - horizon


class AccountGate:
    """Everything one account allows: its rate windows and its concurrent connections."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.clock = clock
        self.windows = {r.bucket: _Window(r) for r in limits.rate}
        self._cond = threading.Condition()
        self._slots = threading.BoundedSemaphore(max(1, limits.max_concurrency))
        self.waited = 0.0  # vendor seconds spent waiting on rate windows (for benchmarks)

    @contextmanager
    def slot(self, buckets: Iterable[str]) -> Iterator[None]:
        windows = [self.windows[b] for b in buckets if b in self.windows]
        with self._slots:
            self._acquire(windows)
            try:
                yield
            finally:
                self._release(windows)

    def _acquire(self, windows: list[_Window]) -> None:
        with self._cond:
            while True:
                now = self.clock.now()
                waits = [w.wait_time(now) for w in windows]
                if all(w == 0.0 for w in waits):
                    for w in windows:
                        w.stamps.append(_IN_FLIGHT)
                    return
                if any(w < 0 for w in waits):
                    self._cond.wait(timeout=0.05)
                    continue
                delay = max(waits)
                self._cond.release()
                try:
                    self.waited += delay
                    self.clock.sleep(delay)
                finally:
                    self._cond.acquire()

    def _release(self, windows: list[_Window]) -> None:
        with self._cond:
            now = self.clock.now()
            for w in windows:
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
