"""The one HTTP client providers use: base URL, auth, per-account limits, retries and error mapping.

Retries (tenacity) cover 429 (waiting `Retry-After` on the clock), 502/503/504 and connection errors.
Validation errors are never retried. A write that is not idempotent is not blindly repeated when the
vendor may already have done it (connection dropped after sending, HTTP 500): that raises
`AmbiguousWrite`, and the applier asks the vendor by natural key before trying again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ..clock import Clock
from ..errors import NotFound, ProviderError, RateLimited, Unavailable
from ..redact import guard_library_loggers
from .ratelimit import AccountGate


class AmbiguousWrite(Unavailable):
    """A non-idempotent write may or may not have taken effect."""


@dataclass
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]


log = logging.getLogger("hub.http")
T = TypeVar("T")
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RateLimited | Unavailable) and not isinstance(exc, AmbiguousWrite)


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
        attempts: int = 6,
        max_backoff: float = 30.0,
        pool_size: int = 10,
    ) -> None:
        self.provider = provider
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
        self.session = requests.Session()
        self.session.trust_env = False  # never route a vendor call through a stray proxy variable
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

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
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        return self._retrying()(self._once, method, path, params, json, data, idempotent, ok)

    def call(self, method: str, path: str, fn: Callable[[], T], *, body: Any = None) -> T:
        """Run one vendor call made by a vendor SDK (`fn`) under this account's limits and retries.

        `fn` raises hub errors: the provider maps the SDK's own exceptions, raising `AmbiguousWrite` when
        a write that is not idempotent may have happened. `method` and `path` say what the call is, for
        rate-limit buckets and logs.
        """

        def once() -> T:
            with self.gate.slot(self._buckets(method, path, body)):
                result = fn()
            log.debug("%s %s (sdk)", method, path)
            return result

        return self._retrying()(once)

    def download(self, url: str) -> bytes:
        """Fetch a file the vendor links to (e.g. batch results on a CDN): no credentials, same retries."""

        def once() -> bytes:
            try:
                resp = self.session.get(url, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise Unavailable(f"download of {self._where(url)} failed: {type(exc).__name__}",
                                  provider=self.provider) from None
            if resp.status_code >= 400:
                raise self._map_error(resp.status_code, _decode(resp), resp.headers)
            return resp.content

        return self._retrying()(once)

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            retry=retry_if_exception(_retryable),
            wait=self._wait,
            sleep=self.clock.sleep,
            reraise=True,
        )

    def close(self) -> None:
        self.session.close()

    # -- internals -------------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return min(self.max_backoff, 0.5 * 2 ** (state.attempt_number - 1))

    def _once(self, method: str, path: str, params: Any, json: Any, data: Any, idempotent: bool,
              ok: tuple[int, ...]) -> Response:
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Accept": "application/json", **self._auth_headers()}
        with self.gate.slot(self._buckets(method, path, json if json is not None else data)):
            try:
                resp = self.session.request(method, url, params=params, json=json, data=data, headers=headers,
                                            timeout=self.timeout)
            except requests.ConnectTimeout as exc:
                raise Unavailable(f"could not connect to {self._where(url)}: {type(exc).__name__}",
                                  provider=self.provider) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                cls = Unavailable if idempotent else AmbiguousWrite
                raise cls(f"{method} {self._where(url)} failed: {type(exc).__name__} (connection lost)",
                          provider=self.provider) from None
        body = _decode(resp)
        log.debug("%s %s -> %s (%.0f ms)", method, self._where(url), resp.status_code,
                  resp.elapsed.total_seconds() * 1000)
        if resp.status_code >= 400 and resp.status_code not in ok:
            err = self._map_error(resp.status_code, body, resp.headers)
            if resp.status_code == 500 and not idempotent and isinstance(err, ProviderError):
                raise AmbiguousWrite(str(err), provider=self.provider, status=500)
            raise err
        return Response(resp.status_code, body, resp.headers)

    def _where(self, url: str) -> str:
        return url.split("?", 1)[0]


def _decode(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    ctype = resp.headers.get("Content-Type", "")
    if "json" in ctype:
        try:
            return resp.json()
        except ValueError:
            return resp.text
    return resp.text
