"""hub's typed errors for what went wrong on the wire.

Two halves: the default mapping from an HTTP error response to hub's typed errors (providers refine it),
and the one classification of connection failures (refused, host name not found, no answer, dropped)
that the HTTP client and the SDK-based providers share, so that each failure reads the same wherever it
happens and never shows a URL's query string (where some vendors put credentials).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import AmbiguousWrite as AmbiguousWrite  # its home was here: `hub.transport.errors.AmbiguousWrite` stays
from ..errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
    Unreachable,
    VendorValidationError,
)
from .wire import WireFailure
from .writes import lost_answer_ambiguous


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; rare enough to fall back on backoff


def message_of(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title", "error", "result_message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(str(e.get("title", e)) if isinstance(e, dict) else str(e) for e in body["errors"])
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no details given"


def default_error(provider: str, status: int, body: Any, headers: Mapping[str, str], *, text: str | None = None,
                  auth_hint: str = "check the account's credentials",
                  errors: dict[str, list[str]] | None = None) -> ProviderError:
    """The error for a status. Providers handle their special cases first, then pass what they know: the
    vendor's explanation (`text`, default: read from common body shapes), what to check when the vendor
    refuses the credentials, and per-field problems (`errors`, default: a dict under "errors")."""
    msg = f"HTTP {status}: {text or message_of(body)}"
    if status in (401, 403):
        return AuthError(f"{msg} ({auth_hint})", provider=provider, status=status)
    if status == 404:
        return NotFound(msg, provider=provider, status=status)
    if status == 429:
        return RateLimited(msg, retry_after=retry_after_seconds(headers), provider=provider, status=status)
    if status >= 500:
        return Unavailable(msg, provider=provider, status=status)
    if errors is None and isinstance(body, dict) and isinstance(body.get("errors"), dict):
        errors = body["errors"]
    return VendorValidationError(msg, errors=errors, provider=provider, status=status)


# -- connection failures -----------------------------------------------------------------------------------

class ConnectionLost(Unavailable):
    """The connection failed after the request went out (dropped, no answer in time). Raised for requests
    that are safe to repeat; a write that is not idempotent raises `AmbiguousWrite` instead."""

    def __init__(self, message: str, *, kind: str = "", summary: str = "", **kw: Any) -> None:
        self.kind = kind
        self.summary = summary or message
        super().__init__(message, **kw)


# The kinds, as the request log (`-> refused`) and `Unreachable.kind` name them.
REFUSED = "refused"
DNS = "dns"  # the name does not exist: nearly always a wrong base_url
DNS_TEMPORARY = "dns-temporary"  # the resolver could not answer right now
CONNECT_TIMEOUT = "connect-timeout"
CONNECT_FAILED = "connect-failed"  # network unreachable, no route to host, ...
READ_TIMEOUT = "timeout"
DROPPED = "dropped"
TLS = "tls"
OTHER = "error"
# Failures that happen before anything is sent: even a write is safe to try again.
NOTHING_SENT = frozenset({REFUSED, DNS, DNS_TEMPORARY, CONNECT_TIMEOUT, CONNECT_FAILED})


def network_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of `requests` and of hub's wire that mean the conversation with the vendor failed (not a
    bad request)."""
    import requests

    return (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, WireFailure)


def describe_connection_error(exc: BaseException, url: str | None = None,
                              timeout: float | tuple[float, float] | None = None) -> tuple[str, str]:
    """What went wrong when talking to `url`, as (kind, message for the user).

    `exc` is what `requests` (or urllib3, or the socket) raised; the whole exception chain is read, so the
    exception an SDK wraps around it works too. The message names the host and port, never the path's
    query string. `url` is where the request went, for an exception that does not carry its request."""
    kind, summary, hint = _describe(exc, url, timeout)
    return kind, f"{summary} ({hint})" if hint else summary


def connection_error(exc: BaseException, *, provider: str, method: str, url: str | None = None,
                     idempotent: bool, timeout: float | tuple[float, float] | None = None) -> ProviderError:
    """The hub error for a failed conversation: `Unreachable` when nothing was sent, else `ConnectionLost`
    for a request that is safe to repeat and `AmbiguousWrite` for a write that may have happened."""
    kind, summary, hint = _describe(exc, url, timeout)
    message = f"{summary} ({hint})" if hint else summary
    if kind in NOTHING_SENT:
        return Unreachable(message, kind=kind, summary=summary, provider=provider)
    path = urlsplit(_url_of(exc, url)).path or "/"
    cls = AmbiguousWrite if lost_answer_ambiguous(idempotent) else ConnectionLost
    return cls(f"{method} {path}: {message}", kind=kind, summary=summary, provider=provider)


def seconds(value: float) -> str:
    """A duration for people: "2", "0.5", "30"."""
    if value >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.2g}"


def _describe(exc: BaseException, url: str | None,
              timeout: float | tuple[float, float] | None) -> tuple[str, str, str]:
    from urllib3 import exceptions as u3

    chain = _chain(exc)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    parts = urlsplit(_url_of(exc, url))
    host = parts.hostname or "the vendor's host"
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    where = f"{host}:{port}" if port else host
    connect_s, read_s = timeout if isinstance(timeout, tuple) else (timeout, timeout)

    gai = first(socket.gaierror)
    if gai is not None or first(u3.NameResolutionError):
        if isinstance(gai, socket.gaierror) and gai.errno == getattr(socket, "EAI_AGAIN", None):
            return (DNS_TEMPORARY, f"host name {host} could not be resolved just now",
                    "a temporary DNS failure: check the network and the account's base_url")
        return DNS, f"host name {host} not found", "check the account's base_url"
    if first(ConnectionRefusedError):
        return REFUSED, f"connection refused by {where}", "is the vendor's base_url right? is the service up?"
    wire = first(WireFailure)
    connecting = isinstance(wire, WireFailure) and wire.connecting
    # urllib3's NewConnectionError is a subclass of its ConnectTimeoutError, so asked first
    if first(u3.NewConnectionError) or (connecting and not first(TimeoutError)):
        cause = first(OSError)
        reason = (cause.strerror if isinstance(cause, OSError) and cause.strerror else "").lower()
        return (CONNECT_FAILED, f"could not connect to {where}" + (f": {reason}" if reason else ""),
                "check the account's base_url and the network")
    if connecting or first(u3.ConnectTimeoutError, *_requests_types("ConnectTimeout")):
        within = f" within {seconds(connect_s)} s" if connect_s else " in time"
        return (CONNECT_TIMEOUT, f"no answer from {where}{within}",
                "could not connect: check the account's base_url and the network")
    if first(u3.ReadTimeoutError, TimeoutError, *_requests_types("ReadTimeout", "Timeout")):
        within = f" within {seconds(read_s)} s" if read_s else " in time"
        return READ_TIMEOUT, f"request sent to {where}, but no answer came{within} (read timeout)", ""
    tls = first(ssl.SSLError, u3.SSLError, *_requests_types("SSLError"))
    if tls is not None:
        cause = first(ssl.SSLError)
        reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or type(tls).__name__
        return TLS, f"secure connection to {where} failed: {reason}", "is the base_url's scheme (https/http) right?"
    if first(u3.ProtocolError, ConnectionError, http.client.HTTPException,
             *_requests_types("ConnectionError", "ChunkedEncodingError")):
        return DROPPED, f"connection to {where} dropped before the answer came (connection lost)", ""
    return OTHER, f"request to {where} failed: {type(exc).__name__}", ""


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception behind it, outermost first: causes, contexts, wrapped arguments (requests
    wraps urllib3's MaxRetryError, whose `reason` is the NewConnectionError, caused by the socket's error)."""
    out: list[BaseException] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        out.append(e)
        todo += [a for a in e.args if isinstance(a, BaseException)]
        reason = getattr(e, "reason", None)
        todo += [reason if isinstance(reason, BaseException) else None, e.__cause__, e.__context__]
    return out


def _url_of(exc: BaseException, url: str | None) -> str:
    """The URL the failed request went to: the one `requests` put on its exception, else `url`, else the
    host and port urllib3 names."""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, WireFailure):
            return e.url
        request_url = getattr(getattr(e, "request", None), "url", None)
        if isinstance(request_url, str):
            return request_url
    if url:
        return url
    for e in chain:
        pool = getattr(e, "conn", None) or getattr(e, "pool", None)
        host = getattr(pool, "host", None)
        if host:
            scheme = getattr(pool, "scheme", "http")
            port = getattr(pool, "port", None)
            return f"{scheme}://{host}:{port}/" if port else f"{scheme}://{host}/"
    return ""


def _requests_types(*names: str) -> tuple[type[BaseException], ...]:
    import requests

    return tuple(getattr(requests.exceptions, n) for n in names)
