"""The one HTTP client providers use: base URL, auth, per-account limits, retries and error mapping.

Requests go out on `hub.transport.wire` (HTTP/1.1 on keep-alive sockets): a fraction of the CPU `requests` took
a call, which is what bounds hub when it drives hundreds of accounts at once. It follows no redirect: a write
sent on to another address is not the write hub journalled, so a redirect is an error that says where to.

Retries (tenacity) cover 429 (waiting `Retry-After` on the clock), 502/503/504 and connection errors, backing
off from 0.1 s.
Validation errors are never retried, and a host name that does not exist (nearly always a wrong
base_url) fails at once. A write that is not idempotent is not blindly repeated when the vendor may
already have done it (connection dropped after sending, HTTP 500): that raises `AmbiguousWrite`, and the
applier asks the vendor by natural key before trying again. A connection that was never made (refused,
name not found, no answer) raises `Unreachable`: nothing was sent, so even a write is retried. Which
calls are idempotent and which failures are retried or ambiguous is `hub.transport.writes`' table.

Two loggers, both redacted (`hub.redact`):
- `hub.http` INFO, one line per request: `LABEL METHOD PATH -> STATUS (N ms)`, the path without its
  query string; a failed conversation shows its kind instead of a status (`-> refused`, `-> timeout`).
- `hub.retry` WARNING, one line per wait before a retry:
  `LABEL: what happened — retrying in N s (attempt K of M)`, in vendor-clock seconds.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from tenacity import RetryCallState, Retrying, retry_if_exception

from ..clock import Clock
from ..errors import AmbiguousWrite, NotFound, ProviderError, RateLimited, VendorValidationError
from ..redact import guard_library_loggers
from ..work_slots import WorkSlots
from .errors import DNS, DNS_TEMPORARY, connection_error, seconds
from .ratelimit import AccountGate
from .wire import Answer, Wire, WireFailure, form_pairs
from .writes import WRITES, retryable

__all__ = ["AmbiguousWrite", "HttpClient", "Response"]


@dataclass
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]


log = logging.getLogger("hub.http")
retry_log = logging.getLogger("hub.retry")
T = TypeVar("T")
# Vendor seconds before the first retry, doubled at each next one. Most 5xx and lost connections are one-offs, so
# the first retry goes at once (8 attempts wait 12.7 s in all); a 429 waits its Retry-After, or from 1 s without.
FIRST_RETRY, FIRST_RATE_LIMITED_RETRY = 0.1, 1.0
# attempts at most, whatever the account allows, for failures that waiting does not fix
FAIL_FAST = {DNS: 1, DNS_TEMPORARY: 2}


def _outcome(exc: BaseException) -> str:
    """What the request log shows for a failed call: the kind of connection failure, else the status."""
    kind = getattr(exc, "kind", "")
    if kind:
        return str(kind)
    status = getattr(exc, "status", None)
    return str(status) if status else "error"


def _reason(exc: BaseException | None) -> str:
    """What happened, in a few words, for a retry line."""
    if exc is None:
        return "failed"
    summary = getattr(exc, "summary", "")
    if summary:
        return str(summary)
    text = exc.message if isinstance(exc, ProviderError) else str(exc)
    if isinstance(exc, RateLimited) and "429" not in text:
        text = f"rate limited: {text}"
    return text if len(text) <= 200 else text[:197] + "..."


def _path_of(path_or_url: str) -> str:
    path = urlsplit(path_or_url).path if "://" in path_or_url else path_or_url.split("?", 1)[0]
    return "/" + path.lstrip("/")


class HttpClient:
    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        gate: AccountGate,
        clock: Clock,
        auth_headers: Callable[[], Mapping[str, str]],
        map_error: Callable[[int, Any, Mapping[str, str]], Exception],
        buckets: Callable[[str, str, Any], tuple[str, ...]],
        timeout: float = 30.0,
        attempts: int = 8,
        max_backoff: float = 30.0,
        pool_size: int = 10,
        label: str = "",
    ) -> None:
        self.provider = provider
        self.label = label or provider  # "client/account", for the request log and retry lines
        self.base_url = base_url.rstrip("/")
        self.gate = gate
        self.clock = clock
        self._auth_headers = auth_headers
        self._map_error = map_error
        self._buckets = buckets
        self.timeout = timeout
        self.attempts = attempts
        self.max_backoff = max_backoff
        guard_library_loggers()
        self.wire = Wire(pool_size=pool_size, timeout=timeout)  # no proxy from the environment: never a stray one

    # -- public ----------------------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw).body

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw).body

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw).body

    def delete(self, path: str, *, missing_ok: bool = False, **kw: Any) -> Any:
        """DELETE; with `missing_ok`, something already gone is the desired outcome, not an error."""
        try:
            return self.request("DELETE", path, **kw).body
        except NotFound:
            if not missing_ok:
                raise
            return None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        ok: tuple[int, ...] = (),
    ) -> Response:
        """Send one request with retries. `ok` lists error statuses returned instead of raised."""
        return self._with_retries(self._once, method, path, params, json, data,
                                  WRITES.idempotent(method, idempotent), ok)

    def call(self, method: str, path: str, fn: Callable[[], T], *, body: Any = None,
             status: Callable[[], int | None] | None = None) -> T:
        """Run one vendor call made by a vendor SDK (`fn`) under this account's limits and retries.

        `fn` raises hub errors: `hub.transport.sdk.SdkAdapter` maps the SDK's own exceptions (connection
        failures through `hub.transport.errors.connection_error`), raising `AmbiguousWrite` when a write
        that is not idempotent may have happened. `method` and `path` say what the call is, for rate-limit
        buckets and the request log; `status`, when given, tells the HTTP status of the call `fn` just made.
        """

        def once() -> T:
            with self.gate.slot(self._buckets(method, path, body)):
                started = time.monotonic()
                try:
                    result = fn()
                except Exception as exc:
                    self._log_request(method, path, _outcome(exc), started)
                    raise
                self._log_request(method, path, (status() if status else None) or "ok", started)
            return result

        return self._with_retries(once)

    def download(self, url: str) -> bytes:
        """Fetch a file the vendor links to (e.g. batch results on a CDN): no credentials, same retries."""

        def once() -> bytes:
            started = time.monotonic()
            try:
                answer = self.wire.send("GET", url, headers=ACCEPT_GZIP)
            except WireFailure as exc:
                err = connection_error(exc, provider=self.provider, method="GET", url=url, idempotent=True,
                                       timeout=self.timeout)
                self._log_request("GET", url, _outcome(err), started)
                raise err from None
            self._log_request("GET", url, answer.status, started)
            if answer.status >= 400:
                raise self._map_error(answer.status, _decode(answer), answer.headers)
            return answer.content

        return self._with_retries(once)

    def _with_retries(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)`, retried as `_retrying` says. The first attempt is made without tenacity (its machinery, for
        calls that nearly all succeed at once, showed in hub's CPU per text): only a failure worth retrying starts
        it, as that failed attempt."""
        try:
            return fn(*args)
        except Exception as exc:
            if not retryable(exc) or self._max_attempts(exc) <= 1:
                raise
            failed: list[Exception] = [exc]

        def attempt(*a: Any) -> T:
            if failed:
                raise failed.pop()
            return fn(*a)

        return self._retrying()(attempt, *args)

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=self._stop,
            retry=retry_if_exception(retryable),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )

    def _sleep(self, seconds: float) -> None:
        WorkSlots.sleep(self.clock, seconds)

    def close(self) -> None:
        self.wire.close()

    # -- internals -------------------------------------------------------------------------------
    def _max_attempts(self, exc: BaseException | None) -> int:
        return min(self.attempts, FAIL_FAST.get(getattr(exc, "kind", ""), self.attempts))

    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return state.attempt_number >= self._max_attempts(exc)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        retry_log.warning("%s: %s — retrying in %s s (attempt %d of %d)", self.label, _reason(exc),
                          seconds(wait), state.attempt_number + 1, self._max_attempts(exc))

    def _log_request(self, method: str, path_or_url: str, outcome: int | str, started: float) -> None:
        log.info("%s %s %s -> %s (%.0f ms)", self.label, method, _path_of(path_or_url), outcome,
                 (time.monotonic() - started) * 1000)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        first = FIRST_RETRY
        if isinstance(exc, RateLimited):
            if exc.retry_after is not None:
                return exc.retry_after
            first = FIRST_RATE_LIMITED_RETRY
        return min(self.max_backoff, first * 2.0 ** (state.attempt_number - 1))

    def _once(self, method: str, path: str, params: Any, json: Any, data: Any, idempotent: bool,
              ok: tuple[int, ...]) -> Response:
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        headers = {**JSON_HEADERS, **self._auth_headers()}
        content: bytes | None = None
        if json is not None:
            content = jsonlib.dumps(json, allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            content = urlencode(form_pairs(data)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.gate.slot(self._buckets(method, path, json if json is not None else data)):
            started = time.monotonic()
            try:
                answer = self.wire.send(method, url, headers=headers, body=content, params=form_pairs(params))
            except WireFailure as exc:
                err = connection_error(exc, provider=self.provider, method=method, url=url, idempotent=idempotent,
                                       timeout=self.timeout)
                self._log_request(method, url, _outcome(err), started)
                raise err from None
            self._log_request(method, url, answer.status, started)
        if 300 <= answer.status < 400 and answer.status not in ok:
            raise _redirected(self.provider, answer)
        body = _decode(answer)
        if answer.status >= 400 and answer.status not in ok:
            raise WRITES.refusal(self._map_error(answer.status, body, answer.headers),
                                 status=answer.status, idempotent=idempotent, provider=self.provider)
        return Response(answer.status, body, answer.headers)


ACCEPT_GZIP = {"Accept-Encoding": "gzip", "User-Agent": "hub"}
JSON_HEADERS = {"Accept": "application/json", **ACCEPT_GZIP}


def _redirected(provider: str, answer: Answer) -> VendorValidationError:
    """hub follows no redirect (a write sent on elsewhere is not the write hub journalled): it says where to."""
    to = urlsplit(answer.headers.get("Location", ""))
    where = f" to {to.scheme}://{to.netloc}{to.path}" if to.netloc else ""  # never its query: it may hold a key
    return VendorValidationError(f"HTTP {answer.status}: the vendor redirects this request{where}; is the account's"
                                 " base_url right (https, the account's own host)?", provider=provider,
                                 status=answer.status)


def _decode(answer: Answer) -> Any:
    if not answer.content:
        return None
    if "json" in answer.headers.get("Content-Type", ""):
        try:
            return jsonlib.loads(answer.content)
        except ValueError:
            return answer.text
    return answer.text
