"""Saving and restoring a simulator's vendor data, and simulated time that never goes back across a restart."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from hub.clock import Clock

log = logging.getLogger("hub.simulator")


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
    state_version: ClassVar[int] = 1
    """The layout of the saved state; a simulator whose layout changes raises it, and a state file of
    another version is set aside rather than misread (`restore`)."""
    clock: Clock
    lock: threading.RLock
    state: dict[str, dict[str, Any]]
    _seq: int

    def dump(self) -> dict[str, Any]:
        """Everything needed to restore this simulator's vendor data, as plain JSON data (with the vendor
        time it was taken at: the state keeps due times on that clock)."""
        plain: dict[str, Any] = json.loads(self._dumps())
        return plain

    def _dumps(self) -> str:
        with self.lock:  # one pass of the C encoder: a sandbox account of 5,000 contacts is megabytes
            return json.dumps({"simulator": self.name, "version": self.state_version, "seq": self._seq,
                               "clock": self.clock.now(), "accounts": self.state})

    def restore(self, path: Path) -> None:
        """Load the state saved at `path`; one saved in another layout (an older hub) is moved aside to
        ``<name>.v<version>.json`` and the simulator starts empty, saying so."""
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("version", 1) if isinstance(data, dict) and "accounts" in data else 1
        if version != self.state_version:
            aside = path.with_name(f"{path.stem}.v{version}{path.suffix}")
            os.replace(path, aside)
            log.warning("%s simulator: %s holds state of layout %s, this simulator reads layout %s; it starts"
                        " empty (the old state is kept in %s)", self.name, path, version, self.state_version, aside)
            return
        self._adopt(data)

    def load(self, data: dict[str, Any]) -> None:
        self._adopt(json.loads(json.dumps(data)))  # a copy: the caller keeps its own

    def _adopt(self, data: dict[str, Any]) -> None:
        with self.lock:
            if "accounts" in data:
                if data.get("version", 1) != self.state_version:
                    raise ValueError(f"state of layout {data.get('version', 1)}; this simulator reads layout"
                                     f" {self.state_version}")
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
                fh.write(self._dumps())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
