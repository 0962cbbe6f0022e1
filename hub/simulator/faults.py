"""Faults a simulator injects into its answers: errors, dropped connections and latency.

A `Fault` applies to the next `count` requests that match its method and path prefix. `fault_rate`
adds a seeded random source of faults on a fraction of requests, for soak tests and benchmarks.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from hub.simulator.messages import SimRequest

FaultKind = Literal["status", "drop_before", "drop_after", "latency"]
FAULT_KINDS: tuple[str, ...] = ("status", "drop_before", "drop_after", "latency")
DEFAULT_RANDOM_KINDS: tuple[str, ...] = ("429", "500", "503", "drop_before", "drop_after")


@dataclass
class Fault:
    """One scripted misbehaviour.

    - ``status``: answer `status` without processing (429 carries ``Retry-After``);
    - ``drop_before``: close the connection without processing or answering;
    - ``drop_after``: process the request (state changes!) and close the connection without answering;
    - ``latency``: wait `seconds` of vendor time (``clock.sleep``) before processing.

    `count` is how many matching requests it applies to; a negative count means every matching request
    until ``clear_faults()``. `path_prefix` matches the request path with or without the simulator's
    `base_path` (``"/subscribers"`` and ``"/api/subscribers"`` both match ``/api/subscribers/1``).
    """

    kind: FaultKind
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0
    count: int = 1
    method: str | None = None
    path_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if self.method:
            self.method = self.method.upper()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, req: SimRequest, base_path: str = "") -> bool:
        if self.method and req.method != self.method:
            return False
        return self.path_prefix is None or path_matches(req.path, self.path_prefix, base_path)


def path_matches(path: str, prefix: str, base_path: str = "") -> bool:
    if path.startswith(prefix):
        return True
    return bool(base_path) and path.startswith(base_path) and path[len(base_path) :].startswith(prefix)


@dataclass
class _RandomFaults:
    probability: float
    kinds: tuple[str, ...]
    retry_after: int
    rng: random.Random
    match: Callable[[SimRequest], bool] | None


class FaultPlan:
    """The scripted and random faults of one simulator (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[Fault] = []
        self._random: _RandomFaults | None = None

    def add(self, fault: Fault) -> None:
        if fault.count == 0:
            return
        with self._lock:
            self._scripted.append(fault)

    def set_rate(self, probability: float, kinds: Iterable[str], *, retry_after: int, seed: int | None,
                 match: Callable[[SimRequest], bool] | None) -> None:
        kinds = tuple(str(k) for k in kinds)
        for kind in kinds:
            if kind not in ("drop_before", "drop_after") and not kind.isdigit():
                raise ValueError(f"unknown random fault kind {kind!r}: use an HTTP status or drop_before/after")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("fault probability must be between 0 and 1")
        with self._lock:
            if probability == 0 or not kinds:
                self._random = None
            else:
                self._random = _RandomFaults(probability, kinds, retry_after, random.Random(seed), match)

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()
            self._random = None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._scripted)

    def pick(self, req: SimRequest, base_path: str = "") -> tuple[Fault | None, Fault | None]:
        """Consume the faults for this request: (latency fault or None, other fault or None)."""
        if not self._scripted and self._random is None:
            return None, None
        latency: Fault | None = None
        other: Fault | None = None
        with self._lock:
            for fault in list(self._scripted):
                is_latency = fault.kind == "latency"
                if (latency if is_latency else other) is not None or not fault.matches(req, base_path):
                    continue
                if is_latency:
                    latency = fault
                else:
                    other = fault
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self._scripted.remove(fault)
            rnd = self._random
            if other is None and rnd is not None and (rnd.match is None or rnd.match(req)) \
                    and rnd.rng.random() < rnd.probability:
                kind = rnd.rng.choice(rnd.kinds)
                if kind.isdigit():
                    other = Fault("status", status=int(kind), retry_after=rnd.retry_after)
                elif kind == "drop_before":  # set_rate let only these two through besides statuses
                    other = Fault("drop_before")
                else:
                    other = Fault("drop_after")
        return latency, other
