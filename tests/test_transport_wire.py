"""hub's lean transport (`hub.transport.wire`, under the Twilio SDK): one kept-alive connection for many requests,
a connection the vendor closed while it sat idle never used again, and failures that say whether anything was
sent."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.errors import Unreachable
from hub.transport import wire
from hub.transport.errors import connection_error
from hub.transport.wire import Wire, WireFailure


class Vendor(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    close_after_answer = False  # closes without saying so (no `Connection: close`), as an idle timeout does

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.closed = threading.Semaphore(0)  # released as each connection is closed
        self.paths: list[str] = []  # each request's path and query, as they came

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closed.release()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Vendor

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.server.close_after_answer

    def do_GET(self) -> None:  # a chunked answer, as vendors stream large JSON
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Rate-Limit-Remaining", "7")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b'{"items": [', b"1, 2", b"]}"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def do_DELETE(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def vendor() -> Iterator[Vendor]:
    server = Vendor()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: Vendor) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/Messages.json"


def test_an_answer_asked_for_in_gzip_comes_back_decoded(vendor: Vendor) -> None:
    w = Wire(pool_size=1, timeout=5)
    answer = w.send("POST", url(vendor), headers={"Accept-Encoding": "gzip"}, body="café".encode() * 100)
    assert answer.headers["Content-Encoding"] == "gzip" and answer.text == "café" * 100


def test_chunked_and_empty_answers_are_read_whole_and_leave_the_connection_usable(vendor: Vendor) -> None:
    w = Wire(pool_size=1, timeout=5)
    listed = w.send("GET", url(vendor), headers={}, params=[("PageSize", "2")])
    assert listed.json() == {"items": [1, 2]} and listed.status_code == 200 and listed.ok
    assert listed.headers["x-rate-limit-remaining"] == listed.headers.get("X-Rate-Limit-Remaining") == "7"
    assert "content-type" in listed.headers and "Content-Type" in listed.headers
    deleted = w.send("DELETE", url(vendor), headers={})
    assert (deleted.status, deleted.content) == (204, b"")
    assert w.send("POST", url(vendor), headers={}, body=b"after").text == "after"
    assert vendor.connections == 1


def test_a_path_with_a_space_or_an_accent_goes_out_percent_encoded(vendor: Vendor) -> None:
    w = Wire(pool_size=1, timeout=5)
    answer = w.send("POST", url(vendor).replace("Messages.json", "subscribers/zoë léa@x.test"), headers={},
                    body=b"x", params=[("q", "a b")])
    assert answer.status == 201 and vendor.paths[-1] == "/subscribers/zo%C3%AB%20l%C3%A9a@x.test?q=a+b"
    with pytest.raises(ValueError, match="line break"):
        w.send("POST", url(vendor), headers={"X-Note": "a\r\nX-Injected: 1"}, body=b"x")


def test_many_requests_go_over_one_kept_connection(vendor: Vendor) -> None:
    w = Wire(pool_size=2, timeout=5)
    answers = [w.send("POST", url(vendor), headers={}, body=f"To={i}".encode()) for i in range(20)]
    assert [a.text for a in answers] == [f"To={i}" for i in range(20)] and answers[0].status == 201
    assert vendor.connections == 1


def test_a_connection_the_vendor_closed_while_idle_is_not_used_again(vendor: Vendor,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "STALE_AFTER_S", 0.0)  # every idle connection is looked at before reuse
    vendor.close_after_answer = True
    w = Wire(pool_size=2, timeout=5)
    for i in range(5):  # each would fail on the closed connection: a text sent twice, or reported lost
        assert w.send("POST", url(vendor), headers={}, body=b"%d" % i).text == str(i)
        assert vendor.closed.acquire(timeout=5)  # the vendor's close has reached us before the next request
    assert vendor.connections == 5


def test_a_refused_connection_says_that_nothing_was_sent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(WireFailure) as failed:
        Wire(pool_size=1, timeout=5).send("POST", f"http://127.0.0.1:{port}/x", headers={}, body=b"x")
    assert failed.value.connecting
    error = connection_error(failed.value, provider="sms", method="POST", idempotent=False)
    assert isinstance(error, Unreachable) and f"127.0.0.1:{port}" in str(error)
