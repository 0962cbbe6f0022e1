"""A vendor's official SDK, called through hub's shared limits, retries, request log and error mapping.

Every SDK hub wraps needs the same things, written here once:
- the SDK's client built on first use (`client`), so that `hub --help` never imports the SDK, and once
  per account however many threads call it;
- the raw response of the call just made, per thread (`recorded`, `last_response`): SDKs keep one
  response per client, and their exceptions drop its headers, so a 429's Retry-After would be lost; its
  status goes to the request log (`HttpClient.call(..., status=...)`);
- each call run under the account's gate and retries (`HttpClient.call`), with the SDK's exceptions
  mapped to hub's errors: error answers through the account's `map_error` (`refused`), failed
  conversations through the shared classification of `hub.transport.errors` (`lost`), and which calls
  are safe to repeat decided by the write table of `hub.transport.writes`.

A vendor's adapter subclasses `SdkAdapter` with its specifics only: how to build the SDK's client
(`build_client`, which routes the SDK's requests through `recorded`), how the SDK's exceptions read
(`translate`), and, if needed, what a successful call's result means (`result`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from ..errors import HubError
from .errors import connection_error, network_errors
from .writes import WRITES, WriteRules

if TYPE_CHECKING:
    from .http import HttpClient

__all__ = ["SdkAdapter", "SdkCall", "SdkHost"]

R = TypeVar("R")


class _Timed(Protocol):
    @property
    def timeout(self) -> float: ...


class SdkHost(Protocol):
    """What an adapter needs of its vendor account; a `hub.plugin.VendorApi` has all of it."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> _Timed: ...

    @property
    def http(self) -> HttpClient: ...

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception: ...


@dataclass(frozen=True)
class SdkCall:
    """The vendor call being made: what `translate` needs to say what went wrong."""

    method: str
    path: str
    idempotent: bool


class SdkAdapter:
    """Calls a vendor SDK: `adapter(METHOD, path, fn)` runs `fn(sdk_client)` under the account's limits
    and retries, and raises only hub's errors. `METHOD path` says what `fn` does, for rate-limit buckets,
    the request log and whether a failed call may be repeated (`idempotent`, default: by its method)."""

    writes: ClassVar[WriteRules] = WRITES

    def __init__(self, api: SdkHost) -> None:
        self.api = api
        self._client: Any = None
        self._lock = threading.Lock()
        self._last = threading.local()

    # -- what a vendor's adapter gives --------------------------------------------------------------
    def build_client(self) -> Any:
        """The SDK's client, configured for the vendor account; its requests go through `recorded`."""
        raise NotImplementedError

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        """The hub error for an exception the SDK raised, or None for one that is not the SDK's own (a
        network error the SDK lets through is then classified here; anything else is a bug, raised)."""
        return None

    def result(self, value: Any, call: SdkCall) -> Any:
        """What a call that did not raise returns (some SDKs return error answers instead of raising)."""
        return value

    # -- shared ---------------------------------------------------------------------------------------
    @property
    def sdk_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self.build_client()
            return self._client

    def __call__(self, method: str, path: str, fn: Callable[[Any], Any], *, body: Any = None,
                 idempotent: bool | None = None) -> Any:
        call = SdkCall(method, path, self.writes.idempotent(method, idempotent))

        def run() -> Any:
            try:
                return self.result(fn(self.sdk_client), call)
            except HubError:
                raise  # already hub's (a `result` that refused the answer)
            except Exception as exc:
                error = self.translate(exc, call)
                if error is None and isinstance(exc, network_errors()):
                    error = self.lost(call, exc)
                if error is None:
                    raise
                raise error from None

        return self.api.http.call(method, path, run, body=body, status=self.status)

    def recorded(self, send: Callable[..., R]) -> Callable[..., R]:
        """`send` (the function through which the SDK makes each request), keeping each response as this
        thread's last: `build_client` installs it in the SDK's client."""

        def request(*args: Any, **kwargs: Any) -> R:
            self._last.response = None  # a request that fails leaves no stale response behind
            response = send(*args, **kwargs)
            self._last.response = response
            return response

        return request

    def last_response(self) -> Any:
        """The raw response of the last request this thread made through the SDK, or None."""
        return getattr(self._last, "response", None)

    def status(self) -> int | None:
        """The HTTP status of the call just made on this thread, for the request log."""
        return getattr(self.last_response(), "status_code", None)

    def refused(self, call: SdkCall, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Exception:
        """The hub error for the vendor's error answer: the account's mapping, read with the headers of
        the answer (by default the last response's, which the SDK's exception does not carry)."""
        if headers is None:
            headers = getattr(self.last_response(), "headers", None) or {}
        return self.writes.refusal(self.api.map_error(status, body, headers), status=status,
                                   idempotent=call.idempotent, provider=self.api.name)

    def lost(self, call: SdkCall, exc: BaseException, url: str | None = None) -> Exception:
        """The hub error for a failed conversation (`exc`, or what an SDK wrapped it in): `url` is where
        the request went, when the exception does not carry it."""
        return connection_error(exc, provider=self.api.name, method=call.method, url=url,
                                idempotent=call.idempotent, timeout=self.api.settings.timeout)
