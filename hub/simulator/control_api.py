"""The ``/_sim/`` control interface: log, faults, state, reset, info and the vendor's "UI" actions over HTTP."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol

from hub.simulator.faults import DEFAULT_RANDOM_KINDS, Fault
from hub.simulator.messages import Abort, MalformedBody, SimRequest, SimResponse
from hub.simulator.request_log import RequestLog
from hub.simulator.store import Missing


class Controllable(Protocol):
    """What the control interface drives (a `Simulator`)."""

    name: ClassVar[str]
    base_url: str
    lock: threading.RLock
    log: RequestLog
    state: dict[str, dict[str, Any]]
    _controls: ClassVar[dict[str, str]]

    def pending_faults(self) -> list[Fault]: ...
    def inject(self, fault: Fault) -> None: ...
    def clear_faults(self) -> None: ...
    def fault_rate(self, probability: float, kinds: Iterable[str] = ..., *, retry_after: int = ...,
                   seed: int | None = ..., match: Callable[[SimRequest], bool] | None = ...) -> None: ...
    def dump(self) -> dict[str, Any]: ...
    def load(self, data: dict[str, Any]) -> None: ...
    def reset(self) -> None: ...
    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse: ...


def control_request(self: Controllable, req: SimRequest) -> SimResponse:
    path, method = req.path, req.method
    try:
        if path == "/_sim/log" and method == "GET":
            entries = self.log.entries(req.arg("method"), req.arg("path_prefix"))
            return SimResponse(200, [e.to_json() for e in entries])
        if path == "/_sim/log/clear" and method == "POST":
            return SimResponse(200, {"cleared": self.log.clear()})
        if path == "/_sim/faults" and method == "GET":
            return SimResponse(200, [f.to_dict() for f in self.pending_faults()])
        if path == "/_sim/faults" and method == "POST":
            data = req.json() or {}
            if "rate" in data:
                self.fault_rate(float(data["rate"]), data.get("kinds", DEFAULT_RANDOM_KINDS),
                                retry_after=int(data.get("retry_after", 1)), seed=data.get("seed"))
            else:
                self.inject(Fault.from_dict(data))
            return SimResponse(200, {"ok": True})
        if path == "/_sim/faults/clear" and method == "POST":
            self.clear_faults()
            return SimResponse(200, {"ok": True})
        if path == "/_sim/state" and method == "GET":
            return SimResponse(200, self.dump())
        if path == "/_sim/state" and method == "POST":
            self.load(req.json() or {})
            return SimResponse(200, {"ok": True})
        if path == "/_sim/reset" and method == "POST":
            self.reset()
            return SimResponse(200, {"ok": True})
        if path == "/_sim/info" and method == "GET":
            return SimResponse(200, {"name": self.name, "base_url": self.base_url,
                                     "controls": sorted(self._controls), "accounts": sorted(self.state)})
        if path.startswith("/_sim/control/") and method == "POST":
            return _run_control(self, path[len("/_sim/control/") :], req)
    except Abort as abort:
        return abort.response
    except Missing as exc:
        return SimResponse(404, {"message": str(exc)})
    except (MalformedBody, ValueError, TypeError, KeyError) as exc:
        return SimResponse(400, {"message": str(exc)})
    except Exception as exc:
        return self.server_error(req, exc)
    return SimResponse(404, {"message": f"unknown simulator control endpoint {method} {path}"})


def _run_control(self: Controllable, action: str, req: SimRequest) -> SimResponse:
    name = self._controls.get(action)
    if name is None:
        known = sorted(self._controls)
        return SimResponse(404, {"message": f"unknown control action {action!r}", "actions": known})
    args = req.json() or {}
    if not isinstance(args, dict):
        return SimResponse(400, {"message": "control arguments must be a JSON object"})
    func = getattr(self, name)
    try:
        inspect.signature(func).bind(**args)
    except TypeError as exc:
        return SimResponse(400, {"message": f"{action}: {exc}"})
    with self.lock:
        result = func(**args)
    return SimResponse(200, {"ok": True} if result is None else result)
