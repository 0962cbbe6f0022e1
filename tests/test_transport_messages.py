"""What the user reads when a vendor cannot be reached, and what hub logs while it retries.

Real sockets on 127.0.0.1 (a closed port, a listener that never answers, a server that hangs up), a name
that cannot resolve (`.invalid` never does), and a FakeClock so that no retry wait takes wall time.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.errors import ExitCode, RateLimited, Unavailable, Unreachable, VendorValidationError
from hub.plugins import make_plugins
from hub.provider import Limits
from hub.redact import register
from hub.sync.accounts import HttpFactory, open_provider
from hub.transport.errors import AmbiguousWrite, ConnectionLost, default_error, describe_connection_error
from hub.transport.http import HttpClient
from hub.transport.ratelimit import GateRegistry

LABEL = "bakery/mailerlite"
SECRET = "sk-live-transport-0123456789"


def make_http(base_url: str, clock: FakeClock, **kw: Any) -> HttpClient:
    gate = GateRegistry(clock).gate("test", Limits())
    return HttpClient(provider="mailerlite", base_url=base_url, gate=gate, clock=clock,
                      auth_headers=lambda: {"Authorization": f"Bearer {SECRET}"},
                      map_error=lambda status, body, headers: default_error("mailerlite", status, body, headers),
                      buckets=lambda method, path, body: (), label=LABEL, **kw)


def http_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hub.http" and r.levelno == logging.INFO]


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hub.retry" and r.levelno == logging.WARNING]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens there


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


@pytest.fixture
def unanswered_connect_port() -> Iterator[int]:
    """A listener whose accept queue is full: a new connection attempt gets no answer at all."""
    with contextlib.ExitStack() as stack:
        s = stack.enter_context(socket.socket())
        s.bind(("127.0.0.1", 0))
        s.listen(0)
        port = int(s.getsockname()[1])
        for _ in range(8):
            filler = stack.enter_context(socket.socket())
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        else:
            pytest.skip("this kernel answers connections beyond the listen backlog")
        yield port


class Scripted:
    """An HTTP server on 127.0.0.1 that answers request N with `replies[N]`: (status, headers) or "drop"
    (read the request, then hang up without answering). Past the script: 200 with {"ok": true}."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.seen: list[str] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                script.seen.append(f"{self.command} {self.path}")
                reply = script.replies.pop(0) if script.replies else (200, {})
                if reply == "drop":
                    self.close_connection = True
                    return
                status, headers = reply
                body = b'{"ok": true}' if status < 400 else b'{"message": "try later"}'
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Any]:
    servers: list[Scripted] = []

    def make(replies: list[Any]) -> Scripted:
        servers.append(Scripted(replies))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


# -- what the error says ---------------------------------------------------------------------------------------


def test_closed_port_says_connection_refused_by_host_and_port(closed_port: int) -> None:
    clock = FakeClock()
    with pytest.raises(Unreachable) as err:
        make_http(f"http://127.0.0.1:{closed_port}/api", clock).get("subscribers", params={"api_key": SECRET})
    message = str(err.value)
    assert f"connection refused by 127.0.0.1:{closed_port}" in message
    assert "base_url" in message and "api_key" not in message and SECRET not in message
    assert err.value.kind == "refused" and err.value.exit_code == ExitCode.UNAVAILABLE
    assert clock.slept == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4]  # refused can be a restart: retried with backoff


def test_refused_write_is_retried_not_ambiguous(closed_port: int) -> None:
    """Nothing was sent, so a POST that could not connect is not a write that "may have happened"."""
    clock = FakeClock()
    with pytest.raises(Unreachable) as err:
        make_http(f"http://127.0.0.1:{closed_port}", clock, attempts=3).post("campaigns", json={"name": "x"})
    assert not isinstance(err.value, AmbiguousWrite)
    assert len(clock.slept) == 2


def test_unknown_host_fails_fast_naming_the_host(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    clock = FakeClock()
    with pytest.raises(Unreachable) as err:
        make_http("http://nosuchhost.invalid:8080/api", clock).get("subscribers")
    assert "host name nosuchhost.invalid" in str(err.value) and "base_url" in str(err.value)
    assert err.value.kind in ("dns", "dns-temporary")  # the latter where no resolver answers at all
    assert len(clock.slept) <= 1 and len(http_lines(caplog)) == len(clock.slept) + 1
    if err.value.kind == "dns":  # a definite "no such name": not retried at all
        assert "host name nosuchhost.invalid not found (check the account's base_url)" in str(err.value)
        assert clock.slept == [] and retry_lines(caplog) == []


def test_listener_that_never_answers_is_a_read_timeout(silent_port: int) -> None:
    clock = FakeClock()
    with pytest.raises(ConnectionLost) as err:
        make_http(f"http://127.0.0.1:{silent_port}", clock, timeout=0.2, attempts=2).get("subscribers")
    message = str(err.value)
    assert f"127.0.0.1:{silent_port}" in message and "no answer came within 0.2 s" in message
    assert "timeout" in message and err.value.kind == "timeout"
    assert isinstance(err.value, Unavailable) and len(clock.slept) == 1


def test_host_that_never_takes_the_connection_is_a_connect_timeout(unanswered_connect_port: int) -> None:
    clock = FakeClock()
    with pytest.raises(Unreachable) as err:
        make_http(f"http://127.0.0.1:{unanswered_connect_port}", clock, timeout=0.2, attempts=1).get("x")
    assert f"no answer from 127.0.0.1:{unanswered_connect_port} within 0.2 s" in str(err.value)
    assert err.value.kind == "connect-timeout"


def test_describe_connection_error_is_usable_on_its_own(closed_port: int) -> None:
    import requests

    with pytest.raises(requests.ConnectionError) as raw:
        requests.get(f"http://127.0.0.1:{closed_port}/x?token={SECRET}", timeout=1)
    kind, message = describe_connection_error(raw.value)
    assert kind == "refused" and f"127.0.0.1:{closed_port}" in message and SECRET not in message


# -- writes whose answer is lost ----------------------------------------------------------------------------------


def test_post_dropped_mid_request_is_an_ambiguous_write_never_repeated(scripted: Any) -> None:
    server = scripted(["drop"])
    clock = FakeClock()
    with pytest.raises(AmbiguousWrite) as err:
        make_http(server.base_url, clock).post("campaigns", json={"name": "Launch"})
    assert "connection lost" in str(err.value) and "POST /api/campaigns" in str(err.value)
    assert err.value.exit_code == ExitCode.UNAVAILABLE
    assert server.seen == ["POST /api/campaigns"] and clock.slept == []


def test_get_dropped_mid_request_is_retried(scripted: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    server = scripted(["drop"])
    assert make_http(server.base_url, FakeClock()).get("subscribers") == {"ok": True}
    assert len(server.seen) == 2
    assert re.fullmatch(rf"{LABEL}: connection to 127\.0\.0\.1:\d+ dropped .*connection lost.* — retrying in 0\.1 s"
                        r" \(attempt 2 of 8\)", retry_lines(caplog)[0])


# -- progress while retrying ----------------------------------------------------------------------------------


def test_each_retry_wait_logs_one_warning_with_attempt_numbers(closed_port: int,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    with pytest.raises(Unreachable):
        make_http(f"http://127.0.0.1:{closed_port}", FakeClock(), attempts=3).get("subscribers")
    assert retry_lines(caplog) == [
        f"{LABEL}: connection refused by 127.0.0.1:{closed_port} — retrying in 0.1 s (attempt 2 of 3)",
        f"{LABEL}: connection refused by 127.0.0.1:{closed_port} — retrying in 0.2 s (attempt 3 of 3)",
    ]


def test_rate_limits_and_server_errors_say_what_and_how_long(scripted: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    server = scripted([(429, {"Retry-After": "3"}), (503, {})])
    clock = FakeClock()
    assert make_http(server.base_url, clock).get("subscribers") == {"ok": True}
    assert clock.slept == [3.0, 0.2]
    first, second = retry_lines(caplog)
    assert first.startswith(f"{LABEL}: ") and "429" in first and first.endswith("retrying in 3 s (attempt 2 of 8)")
    assert "HTTP 503" in second and second.endswith("retrying in 0.2 s (attempt 3 of 8)")
    assert [line.split(" -> ")[1].split()[0] for line in http_lines(caplog)] == ["429", "503", "200"]


def test_a_rate_limit_without_retry_after_waits_a_second_then_longer(scripted: Any) -> None:
    """A 5xx is retried almost at once (most are one-offs); a 429 that does not say how long is not."""
    server = scripted([(429, {}), (429, {})])
    clock = FakeClock()
    assert make_http(server.base_url, clock).get("subscribers") == {"ok": True}
    assert clock.slept == [1.0, 2.0]


def test_a_redirect_is_not_followed_and_says_where_without_its_query(scripted: Any) -> None:
    """A vendor redirecting (http to https, an old host) gets no write sent on: the error names where to."""
    server = scripted([(301, {"Location": f"https://acct.example.com/api/3/contacts?api_key={SECRET}"})])
    with pytest.raises(VendorValidationError) as err:
        make_http(server.base_url, FakeClock()).post("contacts", json={"email": "a@x.test"}, idempotent=False)
    assert "redirects this request to https://acct.example.com/api/3/contacts" in str(err.value)
    assert SECRET not in str(err.value) and len(server.seen) == 1


def test_retries_give_up_with_the_last_error(scripted: Any) -> None:
    server = scripted([(429, {"Retry-After": "1"})] * 3)
    with pytest.raises(RateLimited):
        make_http(server.base_url, FakeClock(), attempts=3).get("subscribers")
    assert len(server.seen) == 3


# -- the request log ------------------------------------------------------------------------------------------


def test_request_log_has_one_line_per_request_and_no_secret(scripted: Any, caplog: pytest.LogCaptureFixture) -> None:
    register(SECRET)
    caplog.set_level(logging.DEBUG)  # everything, urllib3's own request lines too
    caplog.set_level(logging.DEBUG, logger="hub")  # whatever an earlier test (the CLI) set it to
    server = scripted([])
    make_http(server.base_url, FakeClock()).get("subscribers", params={"api_key": SECRET, "limit": 1000})
    (line,) = http_lines(caplog)
    assert re.fullmatch(rf"{LABEL} GET /api/subscribers -> 200 \(\d+ ms\)", line)
    assert SECRET not in caplog.text


def test_request_log_names_the_failure(closed_port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    with pytest.raises(Unreachable):
        make_http(f"http://127.0.0.1:{closed_port}", FakeClock(), attempts=1).post("campaigns?x=1", json={})
    (line,) = http_lines(caplog)
    assert re.fullmatch(rf"{LABEL} POST /campaigns -> refused \(\d+ ms\)", line)


# -- the same through a vendor SDK ----------------------------------------------------------------------------------


def sdk_provider(name: str, base_url: str, clock: FakeClock) -> Any:
    cls = make_plugins().registry.get(name)
    settings = cls.Settings.model_validate({**cls.sandbox_settings(base_url), "base_url": base_url})
    return open_provider(cls, settings, "bakery", name, clock, HttpFactory(clock))


def test_mailchimp_sdk_pointed_at_a_closed_port_says_connection_refused(closed_port: int,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub")
    clock = FakeClock()
    mc = sdk_provider("mailchimp", f"http://127.0.0.1:{closed_port}/3.0", clock)
    with pytest.raises(Unreachable) as err:
        mc.api("POST", "lists/abc/segments", lambda c: c.lists.create_segment("abc", {"name": "x"}), idempotent=False)
    assert f"connection refused by 127.0.0.1:{closed_port}" in str(err.value)
    assert len(clock.slept) == mc.limits.retry_attempts - 1  # nothing sent: retried even though a write
    assert retry_lines(caplog)[0] == (f"bakery/mailchimp: connection refused by 127.0.0.1:{closed_port}"
                                      f" — retrying in 0.1 s (attempt 2 of {mc.limits.retry_attempts})")
    assert re.fullmatch(r"bakery/mailchimp POST /lists/abc/segments -> refused \(\d+ ms\)", http_lines(caplog)[0])


def test_mailchimp_sdk_calls_log_their_status(caplog: pytest.LogCaptureFixture) -> None:
    from hub_mailchimp.simulator import MailchimpSimulator

    caplog.set_level(logging.INFO, logger="hub")
    clock = FakeClock()
    sim = MailchimpSimulator(clock)
    try:
        mc = sdk_provider("mailchimp", sim.start(), clock)
        mc.api("GET", "ping", lambda c: c.ping.get())
    finally:
        sim.stop()
    assert re.fullmatch(r"bakery/mailchimp GET /ping -> 200 \(\d+ ms\)", http_lines(caplog)[-1])


def test_twilio_sdk_with_an_unknown_host_fails_fast() -> None:
    clock = FakeClock()
    sms = sdk_provider("sms", "http://nosuchhost.invalid", clock)
    with pytest.raises(Unreachable) as err:
        sms.api("GET", "Messages/SM1.json", lambda c: c.messages("SM1").fetch())
    assert "host name nosuchhost.invalid" in str(err.value) and len(clock.slept) <= 1


def test_twilio_sdk_write_dropped_mid_request_is_ambiguous(scripted: Any) -> None:
    server = scripted(["drop"])
    clock = FakeClock()
    sms = sdk_provider("sms", server.base_url.removesuffix("/api"), clock)
    with pytest.raises(AmbiguousWrite) as err:
        sms.api("POST", "Messages.json", lambda c: c.messages.create(to="+15005550006", body="hi",
                                                                     messaging_service_sid="MG1"), idempotent=False)
    assert "connection lost" in str(err.value) and len(server.seen) == 1 and clock.slept == []


def test_a_resolver_that_cannot_answer_gets_one_more_try(caplog: pytest.LogCaptureFixture) -> None:
    """EAI_AGAIN (no resolver reachable just now) is not proof of a wrong name: one retry, no more."""
    from hub.transport.wire import WireFailure

    caplog.set_level(logging.INFO, logger="hub")
    clock = FakeClock()
    http = make_http("http://vendor.example:8080", clock)

    def no_resolver(method: str, url: str, **kwargs: Any) -> Any:
        try:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        except socket.gaierror as exc:
            raise WireFailure(url, connecting=True) from exc

    http.wire.send = no_resolver  # type: ignore[method-assign]
    with pytest.raises(Unreachable) as err:
        http.get("subscribers")
    assert err.value.kind == "dns-temporary" and "vendor.example" in str(err.value)
    assert clock.slept == [0.1]
    assert retry_lines(caplog) == [f"{LABEL}: host name vendor.example could not be resolved just now"
                                   " — retrying in 0.1 s (attempt 2 of 2)"]
