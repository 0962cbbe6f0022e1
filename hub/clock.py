"""Time as hub and its simulators see it.

Vendor limits are stated in vendor seconds (MailerLite: 120 requests a minute). A `ScaledClock` runs
vendor time faster than wall time so that tests and benchmarks can exercise a minute-long rate-limit
window in a fraction of a second; a `FakeClock` never sleeps at all. The HTTP client, the rate limiter
and the simulators all take the clock they are given, so they agree on what a second is.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Vendor seconds since an arbitrary epoch (monotonic)."""

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of vendor time."""

    def utcnow(self) -> datetime:
        """Wall-clock date and time in UTC (for schedules and timestamps)."""


class ScaledClock:
    """Real time, optionally sped up: `scale=60` makes a vendor minute last one real second."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when someone sleeps on it or calls `advance`; never waits."""

    def __init__(self, start: float = 0.0, utc: datetime | None = None) -> None:
        self._now = start
        utc = utc or datetime(2026, 1, 1, tzinfo=UTC)
        self._utc0 = utc if utc.tzinfo else utc.replace(tzinfo=UTC)  # a naive start means UTC
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def utcnow(self) -> datetime:
        from datetime import timedelta

        return self._utc0 + timedelta(seconds=self.now())


SYSTEM_CLOCK = ScaledClock(1.0)
