"""Sliding-window request counting for simulated vendor rate limits.

Each (account, bucket) pair keeps the arrival times, in vendor seconds, of the requests it admitted during
the last `window` seconds. A request is admitted when every bucket it counts against has room for its
cost; a refused request is recorded nowhere, exactly like a vendor that answers 429 without charging you.
"""

from __future__ import annotations

import math
import threading
from collections import deque

Limit = tuple[str, int, float] | tuple[str, int, float, int]
"""(bucket, max requests, window seconds[, cost]) — cost defaults to 1 (a batch may cost more)."""


class SlidingWindows:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[tuple[str, str], deque[float]] = {}
        self._shape: dict[tuple[str, str], tuple[int, float]] = {}

    def admit(self, account: str, limits: list[Limit], now: float) -> tuple[str, int] | None:
        """Record the request in every bucket, or return `(bucket, retry_after)` for the first full one."""
        if not limits:
            return None
        with self._lock:
            checked: list[tuple[deque[float], int]] = []
            for limit in limits:
                bucket, maximum, window = limit[0], int(limit[1]), float(limit[2])
                cost = int(limit[3]) if len(limit) > 3 else 1
                key = (account, bucket)
                self._shape[key] = (maximum, window)
                times = self._times.get(key)
                if times is None:
                    times = self._times[key] = deque()
                horizon = now - window
                while times and times[0] <= horizon:
                    times.popleft()
                if len(times) + cost > maximum:
                    return bucket, self._retry_after(times, cost, maximum, window, now)
                checked.append((times, cost))
            for times, cost in checked:
                times.extend([now] * cost)
        return None

    @staticmethod
    def _retry_after(times: deque[float], cost: int, maximum: int, window: float, now: float) -> int:
        if cost > maximum:  # can never fit; tell the client to wait a whole window
            return max(1, math.ceil(window))
        must_leave = len(times) + cost - maximum  # this many of the oldest arrivals have to expire
        release = times[must_leave - 1] + window
        return max(1, math.ceil(release - now - 1e-9))

    def used(self, account: str, bucket: str, now: float) -> int | None:
        """Requests counted in the bucket's current window, or None if the bucket was never used."""
        key = (account, bucket)
        with self._lock:
            shape = self._shape.get(key)
            if shape is None:
                return None
            times = self._times[key]
            horizon = now - shape[1]
            while times and times[0] <= horizon:
                times.popleft()
            return len(times)

    def remaining(self, account: str, bucket: str, now: float) -> int | None:
        used = self.used(account, bucket, now)
        if used is None:
            return None
        return max(0, self._shape[(account, bucket)][0] - used)

    def clear(self) -> None:
        with self._lock:
            self._times.clear()
            self._shape.clear()
