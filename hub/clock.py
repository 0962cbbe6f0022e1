"""Time as hub and its simulators see it.

Vendor limits are stated in vendor seconds (MailerLite: 120 requests a minute). A `ScaledClock` runs
vendor time faster than wall time so that tests and benchmarks can exercise a minute-long rate-limit
window in a fraction of a second; a `FakeClock` never sleeps at all. The HTTP client, the rate limiter
and the simulators all take the clock they are given, so they agree on what a second is.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
        return self._utc0 + timedelta(seconds=self.now())


SYSTEM_CLOCK = ScaledClock(1.0)


class SandboxClock:
    """The sandbox's time: `inner`'s, moved ahead by however much `hub run --sandbox --advance` moved it (kept
    in `offset_file`, so that every later sandbox command, and the simulators, see the same day)."""

    def __init__(self, inner: Clock, offset_file: Path) -> None:
        self.inner = inner
        self.offset_file = offset_file
        try:
            self._offset = float(json.loads(offset_file.read_text())["offset_s"])
        except (OSError, ValueError, KeyError, TypeError):
            self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def now(self) -> float:
        return self.inner.now() + self.offset

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)

    def utcnow(self) -> datetime:
        return self.inner.utcnow() + timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time ahead (never back) and remember it."""
        with self._lock:
            self._offset += max(seconds, 0.0)
            self.offset_file.parent.mkdir(parents=True, exist_ok=True)
            self.offset_file.write_text(json.dumps({"offset_s": self._offset}))
