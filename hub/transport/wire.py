"""A lean HTTP/1.1 conversation on keep-alive connections: what hub's HTTP client (`hub.transport.http`) and an
SDK that lets hub choose its transport (Twilio: one request per text) send requests with.

Measured per text against the simulator, on 2 cores: `requests` cost about 1 ms of CPU a request, urllib3 about
0.5, `http.client` 0.25. What matters as much with several sending threads is how often a request lets go of the
interpreter's lock: here a request is one `send` (headers and body together, as `http.client` writes a bytes body)
and its reads, where urllib3 sends headers and body apart and polls the socket before each reuse. A connection
idle for longer than `STALE_AFTER_S` is looked at before reuse instead (a vendor closes idle connections after
seconds, not milliseconds).

Nothing here retries, follows redirects or reads proxies from the environment: hub's retries and limits wrap
the call. A gzip-encoded answer (hub's client asks for one: vendors' JSON shrinks tenfold) is decoded. A failed
conversation raises `WireFailure` from the socket's own error, which hub's classification of connection failures
(`hub.transport.errors`) reads; `connecting` tells that nothing was sent.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

__all__ = ["Answer", "Wire", "WireFailure", "form_pairs"]

STALE_AFTER_S = 2.0


@dataclass(frozen=True)
class Answer:
    """The vendor's answer; it reads as much like a `requests.Response` as an SDK that was written for one reads
    (`status_code`, `ok`, `text`, `json()`), so that such an SDK can be given the wire."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class WireFailure(Exception):
    """The conversation with `url` failed (the socket's error is the cause); `connecting`: before anything was
    sent."""

    def __init__(self, url: str, *, connecting: bool) -> None:
        super().__init__(f"request to {urlsplit(url).netloc} failed")
        self.url = url
        self.connecting = connecting


def form_pairs(values: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Form or query fields as `requests` writes them: a list is the field repeated, None is left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in (values or {}).items():
        for one in value if isinstance(value, list | tuple) else (value,):
            if one is not None:
                pairs.append((key, str(one)))
    return pairs


class Wire:
    """Keep-alive connections to each host asked, at most `pool_size` kept idle per host (more are opened when
    more threads ask at once, and closed after)."""

    def __init__(self, *, pool_size: int, timeout: float) -> None:
        self.pool_size = max(1, pool_size)
        self.timeout = timeout
        self._idle: dict[tuple[str, str, int | None], list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None = None,
             params: Iterable[tuple[str, str]] = (), timeout: float | None = None) -> Answer:
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(list(params))) if q)
        path = (parts.path or "/") + (f"?{query}" if query else "")
        origin = (parts.scheme, parts.hostname or "", parts.port)
        conn = self._checkout(origin, url, timeout or self.timeout)
        try:
            conn.request(method, path, body=body, headers=dict(headers))
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise WireFailure(url, connecting=False) from exc
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._checkin(origin, conn)
        headers = cast(Mapping[str, str], response.headers)  # an HTTPMessage: case-insensitive, a mapping but in name
        if data and headers.get("Content-Encoding", "").lower() == "gzip":
            try:
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            except zlib.error as exc:
                raise WireFailure(url, connecting=False) from exc
        return Answer(response.status, headers, data)

    def close(self) -> None:
        """Close the idle connections (those in use close when their answer is read)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn, _ in conns:
                conn.close()

    def _checkout(self, origin: tuple[str, str, int | None], url: str, timeout: float) -> http.client.HTTPConnection:
        now = time.monotonic()
        with self._lock:
            idle = self._idle.get(origin) or []
            while idle:
                conn, since = idle.pop()
                if now - since < STALE_AFTER_S or _still_open(conn):
                    conn.timeout = timeout
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        scheme, host, port = origin
        new = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context()) \
            if scheme == "https" else http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            new.connect()
        except OSError as exc:
            new.close()
            raise WireFailure(url, connecting=not isinstance(exc, ssl.SSLError)) from exc
        new.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return new

    def _checkin(self, origin: tuple[str, str, int | None], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self.pool_size:
                idle.append((conn, time.monotonic()))
                return
        conn.close()

    def _context(self) -> ssl.SSLContext:
        """The certificates `requests` trusts (certifi's), so that a vendor reached through the wire is trusted
        exactly when it was through `requests`."""
        if self._tls is None:
            try:
                import certifi
                self._tls = ssl.create_default_context(cafile=certifi.where())
            except ImportError:
                self._tls = ssl.create_default_context()
        return self._tls


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle connection the vendor has not closed: nothing to read on it (a close reads as readable)."""
    if conn.sock is None:
        return False
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
