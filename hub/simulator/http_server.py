"""The HTTP/1.1 server under a simulator: keep-alive, chunked bodies, dropped connections on a drop fault."""

from __future__ import annotations

import contextlib
import http.client
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from hub.simulator.messages import Headers, SimResponse
from hub.transport.wire import read_headers


class Served(Protocol):
    """What the server hands each request to (a `Simulator`)."""

    def _process(self, method: str, raw_path: str, headers: Headers, body: bytes) -> Outcome: ...
    def _track(self, conn: socket.socket, add: bool) -> None: ...


class Outcome:
    """What the server does with one request: answer `response`, or drop the connection."""

    __slots__ = ("drop", "response")

    def __init__(self, response: SimResponse | None, drop: bool = False) -> None:
        self.response = response
        self.drop = drop


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sim: Served

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients drop connections
        pass


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-simulator"
    sys_version = ""
    server: SimServer
    raw_requestline: bytes  # (set by http.server before parse_request)

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

    def parse_request(self) -> bool:
        """The request line and headers, the headers read as lines: `http.server` hands them to the e-mail parser,
        the largest cost of a small request (a text sent). Anything but an HTTP/1.x request line is left to it."""
        words = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            return super().parse_request()
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):  # (as http.server: never taken for a scheme-relative URL)
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = Headers(read_headers(self.rfile).items())  # type: ignore[assignment]  # (.get, .items)
        except http.client.HTTPException:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return False
        connection = self.headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0"
                                                           and connection != "keep-alive")
        if self.headers.get("Expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

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
        headers = self.headers if isinstance(self.headers, Headers) else Headers(self.headers.items())
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
