"""`Simulator`: the base class of every vendor simulator, and its request pipeline.

A subclass declares its vendor's routes with `@route`, keeps its data in `self.state` (one JSON-able
dict per simulated account, holding `Table`s of declared `Collection`s), and overrides a few hooks for
the vendor's own answers: authentication, rate limits, headers and `error_body` (the vendor's error
shape; every kit answer — 401/404/405/429, malformed bodies, injected faults — goes through it). The kit
supplies the rest: threading HTTP/1.1 server with keep-alive, per-account sliding-window rate limits in
vendor seconds, per-account concurrency limits, scripted and random faults (error statuses, dropped
connections before or after processing, latency), a request log, persistence to a state file, control
listings generated from the collections, and the ``/_sim/`` control interface.

Request pipeline, in order: authenticate → concurrency limit → rate limits → faults (latency, then
status/drop) → route and handler (under ``self.lock``) → the rest of the base ``latency`` → ``extra_headers`` →
log → answer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from hub.clock import SYSTEM_CLOCK, Clock
from hub.simulator.control_api import control_request
from hub.simulator.faults import DEFAULT_RANDOM_KINDS, Fault, FaultPlan
from hub.simulator.http_server import Outcome, SimHandler, SimServer
from hub.simulator.messages import (
    WRITE_METHODS,
    Abort,
    Headers,
    MalformedBody,
    SimRequest,
    SimResponse,
    logged_body,
    to_response,
)
from hub.simulator.persistence import Persistence
from hub.simulator.ratelimit import Limit, SlidingWindows
from hub.simulator.request_log import LogEntry, RequestLog
from hub.simulator.router import Router, control, normalise_path
from hub.simulator.store import Collection, Missing, Table


class Simulator(Persistence):
    """Base class of every vendor simulator. See the module docstring for the request pipeline."""

    name: ClassVar[str] = "simulator"
    base_path: ClassVar[str] = ""
    max_concurrent: int | None = None
    """Per-account limit of requests in flight at once (a class or an instance may set it); the one over it
    gets `too_many_connections()`."""

    _router: ClassVar[Router] = Router({})
    _controls: ClassVar[dict[str, str]] = {}

    collections: ClassVar[tuple[Collection, ...]] = ()
    """What the vendor holds per account; each with a `render` gets a generated control listing."""

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
        for spec in cls.collections:
            if spec.render and spec.name not in controls and not hasattr(cls, spec.name):
                setattr(cls, spec.name, listing(spec))
                controls[spec.name] = spec.name
        cls._router = Router(table)
        cls._controls = controls

    def __init__(self, clock: Clock | None = None, *, state_file: str | Path | None = None, seed: int = 0,
                 **options: Any) -> None:
        """`options` the kit understands: ``host`` (127.0.0.1), ``port`` (0 = ephemeral) and ``latency``
        (vendor seconds from taking a request to answering it, the vendor's work included; default 0).
        Subclasses take their own keywords."""
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
        self._faults = FaultPlan()
        self._in_flight: dict[str, int] = {}
        self._flight_lock = threading.Lock()
        self._aliases: dict[str, str] = {}
        self._server: SimServer | None = None
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
            self.restore(self.state_file)
        server = SimServer((self.host, self.requested_port), SimHandler)
        server.sim = self
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}{self.base_path}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sim-{self.name}", daemon=True)
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

    def table(self, account: str | dict[str, Any], spec: Collection | str) -> Table:
        """The rows of collection `spec` (or its name) in an account (by id, or its state dict)."""
        st = self.account_state(account) if isinstance(account, str) else account
        if isinstance(spec, str):
            spec = next(c for c in self.collections if c.name == spec)
        return spec.table(st)

    def known_accounts(self) -> list[str]:
        """The accounts a listing of all covers: those with state (override to add configured ones)."""
        return list(self.state)

    def settle(self, account: str) -> None:
        """Catch up the vendor's background work in `account` (scheduled sends, imports) before a listing
        shows it (override; handlers call it as their vendor does)."""

    def next_seq(self) -> int:
        """A simulator-wide counter (persisted) for deterministic ids."""
        with self.lock:
            self._seq += 1
            return self._seq

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

    error_messages: ClassVar[dict[int, str]] = {}
    """The vendor's own message for a status the kit answers (429, injected 5xx, ...); others get the
    standard phrase."""

    def error_body(self, status: int, message: str) -> Any:
        """The vendor's error shape (override): every answer the kit makes goes through it."""
        return {"message": message}

    def error(self, status: int, message: str | None = None, headers: dict[str, str] | None = None) -> SimResponse:
        """An error answer in the vendor's shape; `message` defaults to `error_messages` or the phrase."""
        if message is None:
            message = self.error_messages.get(status) or _phrase(status)
        return SimResponse(status, self.error_body(status, message), headers or {})

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        return self.error(429, None, {"Retry-After": str(retry_after)})

    def too_many_connections(self, req: SimRequest) -> SimResponse:
        return self.error(429, "Too many concurrent connections", {"Retry-After": "1"})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        """Headers added to every answer (after processing), e.g. rate-limit headers; see `rate_remaining`."""
        return {}

    def not_found(self, req: SimRequest) -> SimResponse:
        """No route for this path."""
        return self.error(404, f"No route for {req.method} {req.path}")

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        """A row looked up by id does not exist (`Table.require` raised `Missing`)."""
        return self.error(404, f"{model} not found")

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        return self.error(405, f"{req.method} is not allowed here", {"Allow": ", ".join(allowed)})

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        return self.error(400, message)

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        """The answer of an injected `status` fault."""
        headers = {}
        if status == 429 or retry_after is not None:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
        return self.error(status, None, headers)

    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse:
        """A handler raised: answer 500 with the exception in the body (this is a simulator bug)."""
        return SimResponse(500, {"message": "Server Error", "exception": f"{type(exc).__name__}: {exc}",
                                 "trace": traceback.format_exception(exc)[-3:]})

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

    def rate_headers(self, account: str | None, bucket: str, limit: int, names: tuple[str, str]) -> dict[str, str]:
        """The vendor's headers naming `bucket`'s limit and what is left of it now (for `extra_headers`)."""
        if account is None:
            return {}
        remaining = self.rate_remaining(account, bucket)
        return {names[0]: str(limit), names[1]: str(limit if remaining is None else remaining)}

    def rate_used(self, account: str, bucket: str) -> int | None:
        return self._windows.used(account, bucket, self.clock.now())

    def in_flight(self, account: str) -> int:
        with self._flight_lock:
            return self._in_flight.get(account, 0)

    # ---------------------------------------------------------------- faults

    def inject(self, fault: Fault) -> None:
        self._faults.add(fault)

    def fault_rate(self, probability: float, kinds: Iterable[str] = DEFAULT_RANDOM_KINDS, *, retry_after: int = 1,
                   seed: int | None = None, match: Callable[[SimRequest], bool] | None = None) -> None:
        """Random faults on a fraction of requests (deterministic order with `seed`); 0 turns them off.
        `kinds`: HTTP statuses as strings ("429", "500", "503", ...), "drop_before", "drop_after"."""
        self._faults.set_rate(probability, kinds, retry_after=retry_after, seed=self.seed if seed is None else seed,
                              match=match)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        return self._faults.pending()

    # ---------------------------------------------------------------- internal dispatch

    def call(self, method: str, path: str, body: Any = None, *, account: str | None = None,
             headers: Mapping[str, str] | None = None, query: dict[str, list[str]] | None = None) -> SimResponse:
        """Route a request straight to its handler — no auth, rate limit, fault or log. Used for batch
        sub-requests and by tests. `path` may carry a query string; `body` may be bytes or JSON data."""
        split = urlsplit(path)
        q = parse_qs(split.query, keep_blank_values=True) if split.query else {}
        if query:
            q.update(query)
        raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        req = SimRequest(method, normalise_path(unquote(split.path)), q, headers, raw, time=self.clock.now(),
                         account=account)
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
            return to_response(getattr(self, name)(req))
        except Abort as abort:
            return abort.response
        except Missing as exc:
            return self.missing(req, exc.model, exc.key)
        except MalformedBody as exc:
            return self.malformed_body(req, str(exc))

    def _process(self, method: str, raw_path: str, headers: Headers, body: bytes) -> Outcome:
        split = urlsplit(raw_path)
        path = normalise_path(unquote(split.path))
        query = parse_qs(split.query, keep_blank_values=True) if split.query else {}
        req = SimRequest(method, path, query, headers, body, time=self.clock.now())
        if path.startswith("/_sim/") or path == "/_sim":
            return Outcome(control_request(self, req))
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
        self.log.append(LogEntry(req.method, req.path, req.query, 0 if resp is None else resp.status, account,
                                 req.time, logged_body(req), req.method in WRITE_METHODS, fault_label,
                                 None if resp is None else resp.body))
        return Outcome(None if drop else resp, drop)

    def _faulted_dispatch(self, req: SimRequest) -> tuple[SimResponse | None, str | None, bool]:
        latency_fault, fault = self._faults.pick(req, self.base_path)
        label: str | None = None
        start = req.time  # (when the request was read)
        if latency_fault is not None:  # before the vendor works on it: a client's timeout may come first
            self.clock.sleep(latency_fault.seconds)
            label = f"latency:{latency_fault.seconds:g}"
            start = self.clock.now()
        try:
            return self._answer(req, fault, label)
        finally:
            # The vendor answers `latency` after it took the request, its own work included: the time this
            # simulator's work took on this machine (a batch of 500 members, other requests' turns at `self.lock`)
            # is not added on top, unless it is longer
            rest = self.latency - (self.clock.now() - start)
            if rest > 0:
                self.clock.sleep(rest)

    def _answer(self, req: SimRequest, fault: Fault | None, label: str | None
                ) -> tuple[SimResponse | None, str | None, bool]:
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

    # ---------------------------------------------------------------- HTTP plumbing

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def listing(spec: Collection, render: str | None = None, **defaults: Any) -> Callable[..., list[Any]]:
    """A control listing of `spec` ("what the vendor's UI shows"): the rows of one account or, with
    ``account=None``, of all (`known_accounts`), oldest first, each shown by ``render(account_state, row)``
    (default: the collection's), after `settle`. Keyword arguments select rows by field; `defaults` apply
    until given (None: any value). Generated for every collection with a `render`; declare one on the
    class for other renderings or defaults: ``messages = listing(MESSAGES, direction="outbound-api")``."""

    def rows(self: Simulator, account: str | None = None, **where: Any) -> list[Any]:
        wanted = {k: v for k, v in {**defaults, **where}.items() if v is not None}
        show = getattr(self, render or spec.render or "")
        with self.lock:
            accounts = [account] if account is not None else self.known_accounts()
            out = []
            for acc in accounts:
                self.settle(acc)
                st = self.account_state(acc)
                out += [show(st, r) for r in spec.table(st).values() if all(r.get(k) == v for k, v in wanted.items())]
            return out

    rows.__name__ = spec.name
    rows.__doc__ = f"Every {spec.model or spec.name} of one account or all (``account=None``), as the vendor shows it."
    return control(spec.name)(rows)
