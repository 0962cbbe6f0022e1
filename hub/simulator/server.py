"""The simulator kit: a stateful HTTP server on 127.0.0.1 that a vendor simulator subclasses.

A subclass declares its vendor's routes with `@route`, keeps its data in `self.state` (one JSON-able
dict per simulated account), and overrides a few hooks for the vendor's own answers (authentication,
rate limits, 401/404/405/429 bodies, headers). The kit supplies the rest: threading HTTP/1.1 server with
keep-alive, per-account sliding-window rate limits in vendor seconds, per-account concurrency limits,
scripted and random faults (error statuses, dropped connections before or after processing, latency),
a request log, persistence to a state file, and a control interface under ``/_sim/`` so that tests and
other processes can drive all of that over HTTP.

Request pipeline, in order: authenticate → concurrency limit → rate limits → faults (latency, then
status/drop) → route and handler (under ``self.lock``) → ``extra_headers`` → log → answer.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import json
import os
import re
import socket
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from hub.clock import SYSTEM_CLOCK, Clock
from hub.simulator.faults import DEFAULT_RANDOM_KINDS, Fault, FaultPlan, path_matches
from hub.simulator.ratelimit import Limit, SlidingWindows

__all__ = [
    "Abort",
    "Headers",
    "LogEntry",
    "RequestLog",
    "SimRequest",
    "SimResponse",
    "Simulator",
    "control",
    "route",
]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --------------------------------------------------------------------------------------------------
# requests and responses


class Headers(Mapping[str, str]):
    """A case-insensitive, read-only header mapping (the last value wins for repeated headers)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or ())
        self._items: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class MalformedBody(Exception):
    """The request body could not be parsed; the simulator answers with `malformed_body()`."""


class Abort(Exception):
    """Raise from a handler (or anything it calls) to answer at once: ``raise Abort(404, {...})``."""

    def __init__(self, status: int | SimResponse, body: Any = None, headers: dict[str, str] | None = None):
        self.response = status if isinstance(status, SimResponse) else SimResponse(status, body, headers or {})
        super().__init__(f"HTTP {self.response.status}")


_NO_JSON = object()


class SimRequest:
    """One incoming request, as a handler sees it."""

    __slots__ = ("_json", "account", "body", "headers", "method", "params", "path", "query", "time")

    def __init__(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]] | None = None,
        headers: Headers | Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        time: float = 0.0,
        account: str | None = None,
        json_data: Any = _NO_JSON,
    ) -> None:
        """`json_data` presets what `json()` returns (for internal sub-requests: no encode/parse round
        trip; `body` then stays as given, usually empty)."""
        self.method = method.upper()
        self.path = path
        self.query = query or {}
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self.params: dict[str, str] = {}
        self.account = account
        self.time = time
        self._json: Any = json_data

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); malformed JSON becomes the simulator's 400."""
        if self._json is _NO_JSON:
            if not self.body.strip():
                self._json = None
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise MalformedBody(f"malformed JSON body: {exc}") from None
        return self._json

    def form(self) -> dict[str, list[str]]:
        """The body parsed as application/x-www-form-urlencoded."""
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise MalformedBody(f"malformed form body: {exc}") from None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    def __repr__(self) -> str:
        return f"<SimRequest {self.method} {self.path}>"


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str | None]:
        body = self.body
        if body is None:
            return b"", self.content_type
        if isinstance(body, bytes):
            return body, self.content_type or "application/octet-stream"
        if isinstance(body, str):
            return body.encode("utf-8"), self.content_type or "text/plain; charset=utf-8"
        return (
            json.dumps(body, separators=(",", ":")).encode("utf-8"),
            self.content_type or "application/json",
        )

    def json(self) -> Any:
        """The body as JSON data (parses str/bytes bodies) — handy for tests and internal calls."""
        if isinstance(self.body, bytes | str):
            return json.loads(self.body) if self.body else None
        return self.body


def _to_response(result: Any) -> SimResponse:
    if isinstance(result, SimResponse):
        return result
    if isinstance(result, tuple):
        if len(result) == 2:
            return SimResponse(int(result[0]), result[1])
        if len(result) == 3:
            return SimResponse(int(result[0]), result[1], dict(result[2]))
        raise TypeError(f"a handler tuple must be (status, body) or (status, body, headers), got {result!r}")
    if result is None:
        return SimResponse(204)
    if isinstance(result, dict | list):
        return SimResponse(200, result)
    raise TypeError(f"unsupported handler result {type(result).__name__}")


# --------------------------------------------------------------------------------------------------
# routing


def route(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a handler for `method` on `pattern`, an absolute server path including `base_path`
    (e.g. ``"/api/groups/{id}"``; ``{name}`` matches one path segment into ``req.params[name]``, and
    ``{name:REGEX}`` only a segment that fully matches REGEX, e.g. ``{id:\\d+}``).
    Stackable; a subclass overrides a route by redefining the method or by routing the same pattern."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        routes = list(getattr(func, "_sim_routes", ()))
        routes.append((method.upper(), _normalise_path(pattern)))
        func._sim_routes = tuple(routes)  # type: ignore[attr-defined]
        return func

    return decorate


def control(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Expose a simulator method as ``POST /_sim/control/<action>``, called with the JSON body as
    keyword arguments; its return value is the JSON answer. The method stays callable from Python."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func._sim_control = action  # type: ignore[attr-defined]
        return func

    return decorate


def _normalise_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


class _Router:
    """Static paths in a dict; patterned ones grouped by segment count. A ``{name}`` segment matches
    any non-empty segment, ``{name:REGEX}`` one that fully matches REGEX (``{id:\\d+}``)."""

    def __init__(self, table: dict[tuple[str, str], str]) -> None:
        self.static: dict[tuple[str, str], str] = {}
        self.static_methods: dict[str, list[str]] = {}
        self.dynamic: dict[int, list[tuple[str, tuple[Any, ...], tuple[str, ...], str]]] = {}
        for (method, pattern), name in table.items():
            segments = pattern.strip("/").split("/") if pattern != "/" else []
            if not any(_is_param(s) for s in segments):
                self.static[(method, pattern)] = name
                self.static_methods.setdefault(pattern, []).append(method)
                continue
            matchers: list[Any] = []
            names: list[str] = []
            for seg in segments:
                if not _is_param(seg):
                    matchers.append(seg)
                    continue
                param, _, regex = seg[1:-1].partition(":")
                names.append(param)
                matchers.append(re.compile(regex) if regex else _ANY)
            self.dynamic.setdefault(len(segments), []).append((method, tuple(matchers), tuple(names), name))
        for candidates in self.dynamic.values():  # more literal segments win ("/x/languages" over "/x/{id}")
            candidates.sort(key=lambda c: sum(not isinstance(m, str) for m in c[1]))

    def match(self, method: str, path: str) -> tuple[str | None, dict[str, str], list[str]]:
        """(handler name or None, path params, methods allowed on this path when the method is not)."""
        lookup = "GET" if method == "HEAD" else method
        name = self.static.get((lookup, path))
        if name is not None:
            return name, {}, []
        allowed: list[str] = list(self.static_methods.get(path, ()))
        segments = path.strip("/").split("/") if path != "/" else []
        for cand_method, matchers, names, cand_name in self.dynamic.get(len(segments), ()):
            values: list[str] = []
            for want, got in zip(matchers, segments, strict=True):
                if isinstance(want, str):
                    if want != got:
                        break
                elif not got or (want is not _ANY and not want.fullmatch(got)):
                    break
                else:
                    values.append(got)
            else:
                if cand_method == lookup:
                    return cand_name, dict(zip(names, values, strict=True)), []
                allowed.append(cand_method)
        return None, {}, sorted(set(allowed))


_ANY = object()


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


# --------------------------------------------------------------------------------------------------
# request log


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
        body = self.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        response = self.response
        if isinstance(response, bytes):
            response = response.decode("utf-8", "replace")
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "account": self.account,
            "time": self.time,
            "body": body,
            "is_write": self.is_write,
            "fault": self.fault,
            "response": response,
        }


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
        return [
            e
            for e in snapshot
            if (method is None or e.method == method)
            and (path_prefix is None or path_matches(e.path, path_prefix, self._base_path))
        ]

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


# --------------------------------------------------------------------------------------------------
# the simulator


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


class _Result:
    __slots__ = ("drop", "response")

    def __init__(self, response: SimResponse | None, drop: bool = False) -> None:
        self.response = response
        self.drop = drop


class Simulator:
    """Base class of every vendor simulator. See the module docstring for the request pipeline."""

    name: ClassVar[str] = "simulator"
    base_path: ClassVar[str] = ""
    max_concurrent: ClassVar[int | None] = None
    """Per-account limit of requests in flight at once; the one over it gets `too_many_connections()`."""

    _router: ClassVar[_Router] = _Router({})
    _controls: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[tuple[str, str], str] = {}
        controls: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr_name, attr in vars(klass).items():
                target = attr.__func__ if isinstance(attr, staticmethod | classmethod) else attr
                for method, pattern in getattr(target, "_sim_routes", ()):
                    table[(method, pattern)] = attr_name
                action = getattr(target, "_sim_control", None)
                if action:
                    controls[action] = attr_name
        cls._router = _Router(table)
        cls._controls = controls

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        state_file: str | Path | None = None,
        seed: int = 0,
        **options: Any,
    ) -> None:
        """`options` the kit understands: ``host`` (127.0.0.1), ``port`` (0 = ephemeral) and ``latency``
        (vendor seconds added to every request, default 0). Subclasses take their own keywords."""
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.state_file = Path(state_file) if state_file else None
        self.seed = seed
        self.host: str = options.pop("host", "127.0.0.1")
        self.requested_port: int = int(options.pop("port", 0))
        self.latency: float = float(options.pop("latency", 0.0))
        self.options: dict[str, Any] = options
        self.lock = threading.RLock()
        self.state: dict[str, dict[str, Any]] = {}
        self.log = RequestLog(self.base_path)
        self._seq = 0
        self._windows = SlidingWindows()
        self._faults: FaultPlan[SimRequest] = FaultPlan()
        self._in_flight: dict[str, int] = {}
        self._flight_lock = threading.Lock()
        self._aliases: dict[str, str] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.port: int = 0
        self.base_url: str = ""

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Serve on an ephemeral port of 127.0.0.1 in a background thread; returns `base_url`."""
        if self._server is not None:
            return self.base_url
        if self.state_file and self.state_file.exists():
            self.load(json.loads(self.state_file.read_text(encoding="utf-8")))
        server = _Server((self.host, self.requested_port), _Handler)
        server.sim = self
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}{self.base_path}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{self.name}", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Shut the server down (closing kept-alive connections) and save state to `state_file`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with self._conn_lock:
                connections = list(self._connections)
                self._connections.clear()
            for conn in connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._thread = None
        if self.state_file:
            self.save(self.state_file)

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` — where ``/_sim/`` lives (base_url without base_path)."""
        return f"http://{self.host}:{self.port}"

    # ---------------------------------------------------------------- state

    def initial_state(self) -> dict[str, Any]:
        """The state of a fresh simulated account (override)."""
        return {}

    def account_state(self, account: str) -> dict[str, Any]:
        """The account's state, created from `initial_state()` on first use."""
        with self.lock:
            st = self.state.get(account)
            if st is None:
                st = self.state[account] = self.initial_state()
            return st

    def next_seq(self) -> int:
        """A simulator-wide counter (persisted) for deterministic ids."""
        with self.lock:
            self._seq += 1
            return self._seq

    def dump(self) -> dict[str, Any]:
        """Everything needed to restore this simulator's vendor data, as plain JSON data (with the vendor
        time it was taken at: the state keeps due times on that clock)."""
        with self.lock:
            data = {"simulator": self.name, "version": 1, "seq": self._seq, "clock": self.clock.now(),
                    "accounts": self.state}
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

    def reset(self) -> None:
        """Forget all vendor data, rate-limit windows, faults and the request log."""
        with self.lock:
            self.state = {}
            self._seq = 0
        self._windows.clear()
        self._faults.clear()
        self.log.clear()

    # ---------------------------------------------------------------- hooks (override)

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        """The account id the request acts for, or the vendor's 401. Called outside `self.lock`."""
        return "default"

    def rate_limits(self, req: SimRequest) -> list[Limit]:
        """The (bucket, max requests, window seconds[, cost]) limits this request counts against."""
        return []

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        return SimResponse(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)})

    def too_many_connections(self, req: SimRequest) -> SimResponse:
        return SimResponse(429, {"message": "Too many concurrent connections"}, {"Retry-After": "1"})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        """Headers added to every answer (after processing), e.g. rate-limit headers; see `rate_remaining`."""
        return {}

    def not_found(self, req: SimRequest) -> SimResponse:
        return SimResponse(404, {"message": f"No route for {req.method} {req.path}"})

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        return SimResponse(405, {"message": f"{req.method} is not allowed here"}, {"Allow": ", ".join(allowed)})

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        return SimResponse(400, {"message": message})

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        """The answer of an injected `status` fault."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        headers = {}
        if status == 429 or retry_after is not None:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
        return SimResponse(status, {"message": phrase}, headers)

    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse:
        """A handler raised: answer 500 with the exception in the body (this is a simulator bug)."""
        return SimResponse(
            500,
            {
                "message": "Server Error",
                "exception": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exception(exc)[-3:],
            },
        )

    # ---------------------------------------------------------------- credentials

    def alias_credential(self, alias: str, credential: str) -> None:
        """Accept `alias` wherever the simulator accepts `credential` (a token, key or password it knows).

        Before `authenticate()` runs, every occurrence of `alias` in header values (also inside
        ``Authorization: Basic`` payloads) and query values is replaced by `credential`, so this works
        for any vendor's auth scheme without the subclass doing anything (tests use it to plant a
        recognisable secret and check it never leaks)."""
        if alias:
            self._aliases[alias] = credential

    def _unalias(self, req: SimRequest) -> None:
        def swap(value: str) -> str:
            for alias, credential in self._aliases.items():
                if alias in value:
                    value = value.replace(alias, credential)
            return value

        headers = []
        for key, value in req.headers.items():
            if key.lower() == "authorization" and value[:6].lower() == "basic ":
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    decoded = base64.b64decode(value[6:].strip()).decode("utf-8")
                    swapped = swap(decoded)
                    if swapped != decoded:
                        value = "Basic " + base64.b64encode(swapped.encode("utf-8")).decode("ascii")
            headers.append((key, swap(value)))
        req.headers = Headers(headers)
        req.query = {k: [swap(v) for v in values] for k, values in req.query.items()}

    # ---------------------------------------------------------------- rate limits and concurrency

    def rate_remaining(self, account: str, bucket: str) -> int | None:
        """Requests still allowed in the bucket's window right now (None if never used)."""
        return self._windows.remaining(account, bucket, self.clock.now())

    def rate_used(self, account: str, bucket: str) -> int | None:
        return self._windows.used(account, bucket, self.clock.now())

    def in_flight(self, account: str) -> int:
        with self._flight_lock:
            return self._in_flight.get(account, 0)

    # ---------------------------------------------------------------- faults

    def inject(self, fault: Fault) -> None:
        self._faults.add(fault)

    def fault_rate(
        self,
        probability: float,
        kinds: Iterable[str] = DEFAULT_RANDOM_KINDS,
        *,
        retry_after: int = 1,
        seed: int | None = None,
        match: Callable[[SimRequest], bool] | None = None,
    ) -> None:
        """Random faults on a fraction of requests (deterministic order with `seed`); 0 turns them off.
        `kinds`: HTTP statuses as strings ("429", "500", "503", ...), "drop_before", "drop_after"."""
        self._faults.set_rate(
            probability, kinds, retry_after=retry_after, seed=self.seed if seed is None else seed, match=match
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        return self._faults.pending()

    # ---------------------------------------------------------------- internal dispatch

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        account: str | None = None,
        headers: Mapping[str, str] | None = None,
        query: dict[str, list[str]] | None = None,
    ) -> SimResponse:
        """Route a request straight to its handler — no auth, rate limit, fault or log. Used for batch
        sub-requests and by tests. `path` may carry a query string; `body` may be bytes or JSON data."""
        split = urlsplit(path)
        q = parse_qs(split.query, keep_blank_values=True) if split.query else {}
        if query:
            q.update(query)
        raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        req = SimRequest(
            method,
            _normalise_path(unquote(split.path)),
            q,
            headers,
            raw,
            time=self.clock.now(),
            account=account,
        )
        try:
            with self.lock:
                return self._route(req)
        except Exception as exc:
            return self.server_error(req, exc)

    def _route(self, req: SimRequest) -> SimResponse:
        name, params, allowed = self._router.match(req.method, req.path)
        try:
            if name is None:
                return self.method_not_allowed(req, allowed) if allowed else self.not_found(req)
            req.params = params
            return _to_response(getattr(self, name)(req))
        except Abort as abort:
            return abort.response
        except MalformedBody as exc:
            return self.malformed_body(req, str(exc))

    def _process(self, method: str, raw_path: str, headers: Headers, body: bytes) -> _Result:
        split = urlsplit(raw_path)
        path = _normalise_path(unquote(split.path))
        query = parse_qs(split.query, keep_blank_values=True) if split.query else {}
        req = SimRequest(method, path, query, headers, body, time=self.clock.now())
        if path.startswith("/_sim/") or path == "/_sim":
            return _Result(self._control_request(req))
        fault_label: str | None = None
        drop = False
        entered = False
        account: str | None = None
        try:
            if self._aliases:
                self._unalias(req)
            auth = self.authenticate(req)
            if isinstance(auth, SimResponse):
                resp = auth
            else:
                account = req.account = auth
                resp = None
                if self.max_concurrent is not None:
                    with self._flight_lock:
                        busy = self._in_flight.get(account, 0)
                        if busy >= self.max_concurrent:
                            fault_label = "too_many_connections"
                            resp = self.too_many_connections(req)
                        else:
                            self._in_flight[account] = busy + 1
                            entered = True
                if resp is None:
                    refused = self._windows.admit(account, self.rate_limits(req), req.time)
                    if refused is not None:
                        fault_label = f"rate_limited:{refused[0]}"
                        resp = self.rate_limited(req, refused[0], refused[1])
                if resp is None:
                    resp, fault_label, drop = self._faulted_dispatch(req)
            if resp is not None and not (drop and fault_label == "drop_before"):
                extra = self.extra_headers(req, account)
                if extra:
                    resp.headers = {**extra, **resp.headers}
        except Exception as exc:
            resp = self.server_error(req, exc)
        finally:
            if entered and account is not None:
                with self._flight_lock:
                    self._in_flight[account] -= 1
        self.log.append(
            LogEntry(
                req.method,
                req.path,
                req.query,
                0 if resp is None else resp.status,
                account,
                req.time,
                _log_body(req),
                req.method in WRITE_METHODS,
                fault_label,
                None if resp is None else resp.body,
            )
        )
        return _Result(None if drop else resp, drop)

    def _faulted_dispatch(self, req: SimRequest) -> tuple[SimResponse | None, str | None, bool]:
        latency_fault, fault = self._faults.pick(req, self.base_path)
        label: str | None = None
        delay = self.latency
        if latency_fault is not None:
            delay += latency_fault.seconds
            label = f"latency:{latency_fault.seconds:g}"
        if delay > 0:
            self.clock.sleep(delay)
        if fault is not None:
            if fault.kind == "status":
                return self.fault_response(req, fault.status, fault.retry_after), f"status:{fault.status}", False
            if fault.kind == "drop_before":
                return None, "drop_before", True
        with self.lock:
            resp = self._route(req)
        if fault is not None and fault.kind == "drop_after":
            return resp, "drop_after", True
        return resp, label, False

    # ---------------------------------------------------------------- control interface (/_sim/...)

    def _control_request(self, req: SimRequest) -> SimResponse:
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
                    self.fault_rate(
                        float(data["rate"]),
                        data.get("kinds", DEFAULT_RANDOM_KINDS),
                        retry_after=int(data.get("retry_after", 1)),
                        seed=data.get("seed"),
                    )
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
                return SimResponse(
                    200,
                    {
                        "name": self.name,
                        "base_url": self.base_url,
                        "controls": sorted(self._controls),
                        "accounts": sorted(self.state),
                    },
                )
            if path.startswith("/_sim/control/") and method == "POST":
                return self._run_control(path[len("/_sim/control/") :], req)
        except Abort as abort:
            return abort.response
        except (MalformedBody, ValueError, TypeError, KeyError) as exc:
            return SimResponse(400, {"message": str(exc)})
        except Exception as exc:
            return self.server_error(req, exc)
        return SimResponse(404, {"message": f"unknown simulator control endpoint {method} {path}"})

    def _run_control(self, action: str, req: SimRequest) -> SimResponse:
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

    # ---------------------------------------------------------------- HTTP plumbing

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def _log_body(req: SimRequest) -> Any:
    if req._json is not _NO_JSON:
        return req._json
    body = req.body
    if not body:
        return None
    ctype = req.headers.get("content-type", "")
    if "json" in ctype or body[:1] in (b"{", b"["):
        try:
            return json.loads(body)
        except ValueError:
            return body
    if "x-www-form-urlencoded" in ctype:
        with contextlib.suppress(UnicodeDecodeError):
            return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sim: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients drop connections
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-simulator"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.sim._track(self.connection, True)

    def finish(self) -> None:
        self.server.sim._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _serve(self) -> None:
        body = self._read_body()
        headers = Headers(self.headers.items())
        result = self.server.sim._process(self.command, self.path, headers, body)
        if result.drop or result.response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        resp = result.response
        payload, ctype = resp.encode()
        if resp.status in (204, 304):
            payload = b""
        try:
            reason = HTTPStatus(resp.status).phrase
        except ValueError:
            reason = ""
        lines = [f"HTTP/1.1 {resp.status} {reason}"]
        has_ctype = False
        for key, value in resp.headers.items():
            low = key.lower()
            if low in ("content-length", "connection"):
                continue
            has_ctype = has_ctype or low == "content-type"
            lines.append(f"{key}: {value}")
        if ctype and not has_ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(payload)}")
        lines.append("Connection: close" if self.close_connection else "Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            payload = b""
        try:
            self.wfile.write(head + payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def basic_auth(req: SimRequest) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, for simulators of vendors that use it."""
    value = req.headers.get("authorization", "")
    if not value.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def bearer_token(req: SimRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    value = req.headers.get("authorization", "")
    if value[:7].lower() != "bearer ":
        return None
    return value[7:].strip() or None
