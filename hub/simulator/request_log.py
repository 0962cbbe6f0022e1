"""The request log: every request a simulator answered or dropped, with the fault applied, if any."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from hub.simulator.faults import path_matches


@dataclass(slots=True)
class LogEntry:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    """The status answered; for a `drop_before` fault 0 (nothing was answered)."""
    account: str | None
    time: float
    body: Any
    """The request body: parsed JSON, a form dict, bytes, or None when empty."""
    is_write: bool
    fault: str | None = None
    """None, or the fault applied: "status:503", "drop_before", "drop_after", "latency:2.0", ...;
    "rate_limited:<bucket>" and "too_many_connections" mark answers the kit's emulation gave."""
    response: Any = None
    """The response body as the handler returned it (not sent when the connection was dropped)."""

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else v for k, v in out.items()}


class RequestLog:
    """Every request the simulator answered (or dropped), oldest first; list-like and thread-safe."""

    def __init__(self, base_path: str = "") -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()
        self._base_path = base_path

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __getitem__(self, index: int | slice) -> Any:
        with self._lock:
            return self._entries[index]

    def __bool__(self) -> bool:
        return bool(self._entries)

    def entries(self, method: str | None = None, path_prefix: str | None = None) -> list[LogEntry]:
        method = method.upper() if method else None
        with self._lock:
            snapshot = list(self._entries)
        return [e for e in snapshot if (method is None or e.method == method)
                and (path_prefix is None or path_matches(e.path, path_prefix, self._base_path))]

    def writes(self) -> list[LogEntry]:
        """Requests that could change vendor state (any method but GET/HEAD/OPTIONS)."""
        with self._lock:
            return [e for e in self._entries if e.is_write]

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        return len(self.entries(method, path_prefix))

    def clear(self) -> int:
        with self._lock:
            n = len(self._entries)
            self._entries.clear()
            return n

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.to_json() for e in self._entries]

    def __repr__(self) -> str:
        return f"<RequestLog {len(self)} entries>"
