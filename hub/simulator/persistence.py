"""Saving and restoring a simulator's vendor data, and simulated time that never goes back across a restart."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from hub.clock import Clock


class ResumedClock:
    """`clock` moved forward by `offset` vendor seconds (see `Simulator._resume_time`); sleeping and wall
    time are `clock`'s own."""

    def __init__(self, clock: Clock, offset: float) -> None:
        self.clock = clock
        self.offset = offset

    def now(self) -> float:
        return self.clock.now() + self.offset

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)

    def utcnow(self) -> datetime:
        return self.clock.utcnow()

    def __repr__(self) -> str:
        return f"ResumedClock({self.clock!r}, offset={self.offset:g})"


class Persistence:
    """Mixed into `Simulator`: `dump`/`load`/`save` of ``self.state`` (plain JSON data per account)."""

    name: ClassVar[str]
    clock: Clock
    lock: threading.RLock
    state: dict[str, dict[str, Any]]
    _seq: int

    def dump(self) -> dict[str, Any]:
        """Everything needed to restore this simulator's vendor data, as plain JSON data (with the vendor
        time it was taken at: the state keeps due times on that clock)."""
        with self.lock:
            data = {
                "simulator": self.name,
                "version": 1,
                "seq": self._seq,
                "clock": self.clock.now(),
                "accounts": self.state,
            }
            plain: dict[str, Any] = json.loads(json.dumps(data))
            return plain

    def load(self, data: dict[str, Any]) -> None:
        with self.lock:
            data = json.loads(json.dumps(data))
            if "accounts" in data:
                self.state = data["accounts"]
                self._seq = int(data.get("seq", 0))
                saved = data.get("clock")
                if isinstance(saved, int | float) and not isinstance(saved, bool):
                    self._resume_time(float(saved))
            else:  # a bare {account: state} mapping
                self.state = data
                self._seq = max(self._seq, 0)

    def _resume_time(self, saved: float) -> None:
        """Simulated time never goes back: restored into a process whose clock reads less than when the
        state was saved (a new `hub simulate` or `--sandbox` run starts its clock at 0), the simulator
        reads its clock from the saved time on, so that what the state has due (a queued text, a batch
        in progress) comes due as long after the restart as it was due after the save."""
        if saved <= self.clock.now():
            return
        base = self.clock.clock if isinstance(self.clock, ResumedClock) else self.clock
        self.clock = ResumedClock(base, saved - base.now())

    def save(self, path: str | Path) -> None:
        """Write `dump()` to `path` atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.dump(), fh)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
