"""A lean HTTP/1.1 conversation on keep-alive connections: what hub's HTTP client (`hub.transport.http`) and an
SDK that lets hub choose its transport (Twilio: one request per text) send requests with.

Measured per text against the simulator, on 2 cores: `requests` cost about 1 ms of CPU a request, urllib3 about
0.5, `http.client` 0.25, most of it reading the answer's headers with the e-mail parser; this reads them as lines,
which took a fifth off a text's CPU. What matters as much with several sending threads is how often a request lets
go of the interpreter's lock: here a request is one `sendall` (head and body together) and buffered reads. A
connection idle for longer than `STALE_AFTER_S` is looked at before reuse instead (a vendor closes idle
connections after seconds, not milliseconds). Answers are read by Content-Length, chunks, or to the close.

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
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["Answer", "Wire", "WireFailure", "form_pairs"]

STALE_AFTER_S = 2.0
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # kept as they are in a request's path and query (those of requests' requote_uri)


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


class Headers(dict[str, str]):
    """An answer's headers, looked up whatever their case (kept lowercased)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class _Connection:
    """One socket and its buffered reader: a conversation at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class Wire:
    """Keep-alive connections to each host asked, at most `pool_size` kept idle per host (more are opened when
    more threads ask at once, and closed after)."""

    def __init__(self, *, pool_size: int, timeout: float) -> None:
        self.pool_size = max(1, pool_size)
        self.timeout = timeout
        self._idle: dict[tuple[str, str, int | None], list[tuple[_Connection, float]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None = None,
             params: Iterable[tuple[str, str]] = (), timeout: float | None = None) -> Answer:
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(list(params))) if q)
        # what may not stand in a request line (a space, an accent in an address) is percent-encoded, as `requests`
        # does; what is encoded already stays so
        path = quote((parts.path or "/") + (f"?{query}" if query else ""), safe=URL_SAFE)
        scheme, host, port = parts.scheme, parts.hostname or "", parts.port
        origin = (scheme, host, port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {host}" + (f":{port}" if port else "")]
        head += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
        if any("\r" in line or "\n" in line for line in head):
            raise ValueError(f"a header of the request to {host} holds a line break")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")
        conn = self._checkout(origin, url, timeout or self.timeout)
        try:
            conn.sock.sendall(request)
            status, answer_headers, data, keep = _read_answer(conn.reader, method)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            conn.close()
            raise WireFailure(url, connecting=False) from exc
        except BaseException:
            conn.close()
            raise
        if keep:
            self._checkin(origin, conn)
        else:
            conn.close()
        if data and answer_headers.get("content-encoding", "").lower() == "gzip":
            try:
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            except zlib.error as exc:
                raise WireFailure(url, connecting=False) from exc
        return Answer(status, answer_headers, data)

    def close(self) -> None:
        """Close the idle connections (those in use close when their answer is read)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn, _ in conns:
                conn.close()

    def _checkout(self, origin: tuple[str, str, int | None], url: str, timeout: float) -> _Connection:
        now = time.monotonic()
        with self._lock:
            idle = self._idle.get(origin) or []
            while idle:
                conn, since = idle.pop()
                if now - since < STALE_AFTER_S or _still_open(conn.sock):
                    conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port or (443 if scheme == "https" else 80)), timeout=timeout)
        except OSError as exc:
            raise WireFailure(url, connecting=True) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = self._context().wrap_socket(sock, server_hostname=host)
        except OSError as exc:
            sock.close()
            raise WireFailure(url, connecting=not isinstance(exc, ssl.SSLError)) from exc
        return _Connection(sock)

    def _checkin(self, origin: tuple[str, str, int | None], conn: _Connection) -> None:
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


MAX_LINE = 65536  # longest status or header line read (as http.client)
MAX_HEADERS = 100


def _read_answer(reader: Any, method: str) -> tuple[int, Headers, bytes, bool]:
    """(status, headers, body, whether the connection may be used again) of the answer on `reader`."""
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("the vendor closed the connection without an answer")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        if not version.startswith("HTTP/") or len(line) > MAX_LINE:
            raise http.client.BadStatusLine(line.decode("latin-1", errors="replace")[:100])
        status = int(rest[:3])
        headers = read_headers(reader)
        if status >= 200:
            break  # 1xx (100 Continue, 103 Early Hints) come before the answer: skipped
    keep = version != "HTTP/1.0" and "close" not in headers.get("connection", "").lower()
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, headers, _read_chunked(reader), keep
    length = headers.get("content-length")
    if length is not None:
        size = int(length)
        data = reader.read(size)
        if len(data) < size:
            raise http.client.IncompleteRead(data, size - len(data))
        return status, headers, data, keep
    return status, headers, reader.read(), False  # to the end: the vendor closes when it is done


def read_headers(reader: Any) -> Headers:
    """The header lines on `reader` up to the blank line (a repeated header's values joined by ", "); the
    simulators' server reads requests' headers with it too."""
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        line = reader.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            return headers
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        name, _, value = line.decode("latin-1").partition(":")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise http.client.HTTPException(f"more than {MAX_HEADERS} headers")


def _read_chunked(reader: Any) -> bytes:
    parts: list[bytes] = []
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line:
            raise http.client.IncompleteRead(b"".join(parts))
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            read_headers(reader)  # trailers, and the blank line that ends the answer
            return b"".join(parts)
        chunk = reader.read(size)
        if len(chunk) < size:
            raise http.client.IncompleteRead(b"".join(parts) + chunk)
        parts.append(chunk)
        reader.readline(MAX_LINE + 1)  # the CRLF after each chunk


def _still_open(sock: socket.socket) -> bool:
    """An idle connection the vendor has not closed: nothing to read on it (a close reads as readable)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
