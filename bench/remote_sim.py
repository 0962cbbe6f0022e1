"""A provider's simulator in a process of its own (as a vendor is), driven from the benchmark through a pipe, so
that hub's CPU and memory are measured alone.

Both processes keep vendor time on a `GearedClock` at the same scale; `shift` changes it in both at once
(set up quickly, then measure at the vendor's pace).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

RETRY_AFTER = 1  # vendor seconds a 429 fault asks the client to wait


class Served(NamedTuple):
    """One request the simulator answered (or dropped)."""

    method: str
    path: str
    status: int  # 0: dropped before an answer
    body: Any
    fault: str | None  # the fault injected, if any
    made: str | None  # the id of what the request made, when its answer gave one
    time: float  # vendor time the simulator read it (the log is in the order of answers)
    account: str | None  # whose it was: None for what no account's limits count (a file on the vendor's CDN)


class GearedClock:
    """A scaled clock whose scale can change while time runs on."""

    def __init__(self, scale: float) -> None:
        self.scale, self._base, self._t0 = scale, 0.0, time.monotonic()

    def now(self) -> float:
        return self._base + (time.monotonic() - self._t0) * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def shift(self, scale: float) -> None:
        self._base, self._t0, self.scale = self.now(), time.monotonic(), scale


def contacts_of(sim: Any) -> list[dict[str, Any]]:
    """(email, status) of every contact the simulated vendor holds, whatever its vendor."""
    for name in ("subscribers", "members", "contacts"):
        fn = getattr(sim, name, None)
        if callable(fn):
            return [{"email": c["email"].lower(), "status": c.get("status")} for c in fn()]
    raise SystemExit(f"{type(sim).__name__} exposes no contact listing for the benchmark")


def _serve(conn: Connection, provider: str, scale: float, options: dict[str, Any]) -> None:
    from hub.memory import collect_seldom
    from hub.plugins import make_plugins

    collect_seldom()  # as `hub simulate` runs (a vendor's answers wait on no collector scanning 50,000 contacts)
    clock = GearedClock(scale)
    sim = make_plugins().registry.get(provider).create_simulator(clock, **options)
    conn.send((sim.start(), sim.max_concurrent))
    while True:
        command, *args = conn.recv()
        if command == "stop":
            sim.stop()
            conn.send(None)
            return
        if command == "shift":
            clock.shift(*args)
            conn.send(None)
        elif command == "faults":
            sim.fault_rate(*args, retry_after=RETRY_AFTER, seed=7)
            conn.send(None)
        elif command == "log":  # each request as `Served`, then cleared
            conn.send([(e.method, e.path, e.status, e.body, e.fault,
                        e.response.get("id") if isinstance(e.response, dict) else None, e.time, e.account)
                       for e in sim.log.entries()])
            sim.log.clear()
        elif command == "contacts":
            conn.send(contacts_of(sim))
        elif command == "cpu":  # CPU seconds the simulator's process has used
            conn.send(time.process_time())
        elif command == "call":  # one of the simulator's own listings (its answer must pickle)
            conn.send(getattr(sim, args[0])())


class RemoteSimulator:
    """What a benchmark asks of a simulator running in another process (`Harness(simulator=...)` takes it)."""

    def __init__(self, provider: str, clock: GearedClock, **options: Any) -> None:
        self.clock = clock
        self._conn, child = mp.Pipe()
        self._process = mp.get_context("spawn").Process(target=_serve, args=(child, provider, clock.scale, options),
                                                        daemon=True)
        self._process.start()
        self.base_url, self.max_concurrent = self._conn.recv()

    def _ask(self, *command: Any) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def start(self) -> str:
        return str(self.base_url)

    def stop(self) -> None:
        if self._process.is_alive():
            self._ask("stop")
        self._process.join()

    def shift(self, scale: float) -> None:
        """Vendor time at `scale` in both processes."""
        self._ask("shift", scale)
        self.clock.shift(scale)

    def fault_rate(self, rate: float) -> None:
        self._ask("faults", rate)

    def take_log(self) -> list[Served]:
        """The requests answered since the last call."""
        return [Served(*e) for e in self._ask("log")]

    def contacts(self) -> list[dict[str, Any]]:
        return list(self._ask("contacts"))

    def cpu_s(self) -> float:
        """CPU seconds the simulator's process has used: with hub's, what the two cores were given to do."""
        return float(self._ask("cpu"))

    def call(self, listing: str) -> Any:
        """What the simulator's method `listing` answers (`messages`, ...)."""
        return self._ask("call", listing)
