"""The Twilio simulator answers the real `twilio` SDK like the vendor (Messaging, Messaging Services, Studio v2).

The SDK is pointed at the simulator by an HTTP client that rewrites every ``*.twilio.com`` host (recipe B of
``vendors/mailchimp-twilio.md`` §3.2), so it follows both pagination styles exactly as it would against Twilio.
Time is a `FakeClock`: tests advance it instead of sleeping.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from hub.clock import FakeClock
from hub.simulator import Fault
from hub_sms.provider import TwilioProvider
from hub_sms.simulator import TwilioSimulator

ACC = TwilioSimulator.SANDBOX_ACCOUNT_SID
TOKEN = TwilioSimulator.SANDBOX_AUTH_TOKEN
MG = TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID
FROM = TwilioSimulator.SANDBOX_FROM_NUMBER
SERVICE_NUMBER = TwilioSimulator.SANDBOX_SERVICE_NUMBER
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "vendor-specs"


class LocalTwilioHttpClient(TwilioHttpClient):
    """Sends every request for ``https://<product>.twilio.com/...`` to the simulator instead."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")
        self.urls: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("twilio.com"):
            url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        self.urls.append(url)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_REGION", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[TwilioSimulator]:
    with TwilioSimulator(clock) as s:
        yield s


def make_client(sim: TwilioSimulator, user: str = ACC, password: str = TOKEN, account_sid: str | None = None) -> Client:
    return Client(user, password, account_sid, http_client=LocalTwilioHttpClient(sim.base_url, timeout=5))


@pytest.fixture
def client(sim: TwilioSimulator) -> Client:
    return make_client(sim)


def last_json(client: Client) -> Any:
    return json.loads(client.http_client._test_only_last_response.text)


def error_of(call: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        call()
    return info.value


def spec_properties(file: str, schema: str) -> set[str]:
    path = SPECS / file
    if not path.exists():
        pytest.skip(f"vendor spec {path} not found (../shared/vendor-specs is absent)")
    return set(json.loads(path.read_text())["components"]["schemas"][schema]["properties"])


# ---------------------------------------------------------------------------------------------- auth


def test_auth_token_and_api_key(sim: TwilioSimulator) -> None:
    bad = make_client(sim, password="wrong-token")
    err = error_of(lambda: bad.api.v2010.accounts(ACC).fetch())
    assert (err.status, err.code) == (401, 20003)
    body = json.loads(bad.http_client._test_only_last_response.text)
    assert body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    keyed = make_client(sim, TwilioSimulator.SANDBOX_API_KEY_SID, TwilioSimulator.SANDBOX_API_KEY_SECRET, ACC)
    assert keyed.messages.create(to="+15551230001", from_=FROM, body="hi").status == "queued"
    assert keyed.api.v2010.accounts(ACC).fetch().status == "active"


def test_other_accounts_resources_are_not_found(clock: FakeClock) -> None:
    other = "AC" + "1" * 32
    accounts = {
        ACC: TwilioSimulator.sandbox_config(),
        other: {"auth_token": "other-token", "numbers": ["+15550009999"]},
    }
    with TwilioSimulator(clock, accounts=accounts) as sim:
        mine = make_client(sim)
        sid = mine.messages.create(to="+15551230001", from_=FROM, body="mine").sid
        theirs = make_client(sim, other, "other-token")
        err = error_of(lambda: theirs.api.v2010.accounts(ACC).messages(sid).fetch())
        assert (err.status, err.code) == (404, 20404)
        err = error_of(lambda: theirs.messages(sid).fetch())
        assert (err.status, err.code) == (404, 20404)
        err = error_of(lambda: theirs.messages.create(to="+15551230001", from_=FROM, body="not my number"))
        assert err.code == 21606


# ---------------------------------------------------------------------------------------------- messages


def test_create_and_fetch_shape(client: Client) -> None:
    msg = client.messages.create(
        to="+15551230001",
        from_=FROM,
        body="Hello!",
        media_url=["https://example.com/a.png", "https://example.com/b.png"],
    )
    raw = last_json(client)
    assert client.http_client._test_only_last_response.status_code == 201
    assert raw["sid"].startswith("MM") and len(raw["sid"]) == 34
    assert raw["status"] == "queued" and raw["direction"] == "outbound-api"
    assert raw["num_media"] == "2" and raw["num_segments"] == "1"
    assert raw["uri"] == f"/2010-04-01/Accounts/{ACC}/Messages/{raw['sid']}.json"
    assert raw["date_created"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert raw["date_sent"] is None and raw["error_code"] is None
    assert raw["subresource_uris"]["media"].endswith(f"/Messages/{raw['sid']}/Media.json")
    fetched = client.messages(msg.sid).fetch()
    assert fetched.body == "Hello!" and fetched.to == "+15551230001" and fetched.from_ == FROM
    assert fetched.date_created.year == 2026  # the SDK parsed the RFC 2822 date


def test_message_fields_match_the_spec(client: Client) -> None:
    wanted = spec_properties("twilio_api_v2010.json", "api.v2010.account.message")
    client.messages.create(to="+15551230001", from_=FROM, body="x")
    assert set(last_json(client)) == wanted


def test_segments_are_counted(client: Client) -> None:
    assert client.messages.create(to="+15551230001", from_=FROM, body="a" * 160).num_segments == "1"
    assert client.messages.create(to="+15551230001", from_=FROM, body="a" * 161).num_segments == "2"
    assert client.messages.create(to="+15551230001", from_=FROM, body="é😀" * 35).num_segments == "2"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"to": "555-1234", "from_": FROM, "body": "x"}, 400, 21211),
        ({"to": "+15551230001", "body": "x"}, 400, 21603),
        ({"to": "+15551230001", "from_": "+15559990000", "body": "x"}, 400, 21606),
        ({"to": "+15551230001", "from_": FROM}, 400, 21602),
        ({"to": "+15551230001", "messaging_service_sid": "MG" + "0" * 32, "body": "x"}, 400, 21705),
        ({"to": "+15551230001", "from_": FROM, "body": "x" * 1601}, 400, 21617),
    ],
)
def test_create_errors(client: Client, kwargs: dict[str, Any], status: int, code: int) -> None:
    err = error_of(lambda: client.messages.create(**kwargs))
    assert (err.status, err.code) == (status, code)
    assert last_json(client)["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def test_messaging_service_message_is_accepted_then_gets_a_sender(client: Client) -> None:
    msg = client.messages.create(to="+15551230001", messaging_service_sid=MG, body="hi")
    assert msg.status == "accepted" and msg.from_ is None and msg.messaging_service_sid == MG
    fetched = client.messages(msg.sid).fetch()  # queued and then sending at once on an idle sender
    assert fetched.from_ == SERVICE_NUMBER and fetched.status == "sending"
    # an MG sid in From means the same thing
    assert client.messages.create(to="+15551230002", from_=MG, body="hi").messaging_service_sid == MG


def test_status_progression_and_throughput(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    sids = [client.messages.create(to=f"+1555123000{i}", from_=FROM, body=f"msg {i}").sid for i in range(5)]
    statuses = lambda: [client.messages(s).fetch().status for s in sids]  # noqa: E731
    assert statuses() == ["sending", "queued", "queued", "queued", "queued"]
    clock.advance(1.5)
    assert statuses() == ["sent", "sending", "queued", "queued", "queued"]
    clock.advance(3.0)  # t=4.5: four sent (one already delivered), the fifth still sending
    assert statuses() == ["delivered", "delivered", "delivered", "sent", "sending"]
    clock.advance(0.5)  # t=5: five messages from one long code took five seconds
    assert statuses()[-1] == "sent"
    clock.advance(1.0)
    assert statuses() == ["delivered"] * 5
    sent = [client.messages(s).fetch().date_sent for s in sids]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(sent)] == [1.0] * 4
    assert client.messages(sids[0]).fetch().price == "-0.00790"


def test_multi_segment_messages_take_longer(client: Client, clock: FakeClock) -> None:
    first = client.messages.create(to="+15551230001", from_=FROM, body="x" * 300)  # 2 segments
    second = client.messages.create(to="+15551230002", from_=FROM, body="short")
    clock.advance(2.0)
    assert client.messages(first.sid).fetch().status == "sent"
    assert client.messages(second.sid).fetch().status == "sending"
    clock.advance(1.0)
    assert client.messages(second.sid).fetch().status == "sent"


def test_messaging_service_spreads_over_its_senders(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    for number in ("+15005550101", "+15005550102"):
        sim.add_number(number, service_sid=MG)
    sids = [client.messages.create(to=f"+1555000000{i}", messaging_service_sid=MG, body="hi").sid for i in range(6)]
    clock.advance(2.0)
    fetched = [client.messages(s).fetch() for s in sids]
    assert [m.status for m in fetched] == ["delivered"] * 3 + ["sent"] * 3  # six messages, three senders: 2 s
    senders = [m.from_ for m in fetched]
    assert sorted(senders.count(n) for n in set(senders)) == [2, 2, 2]
    # sticky sender: the same recipient keeps its sender
    again = client.messages.create(to="+15550000000", messaging_service_sid=MG, body="again")
    assert client.messages(again.sid).fetch().from_ == senders[0]


def test_short_code_throughput_override(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    sim.add_number(FROM, mps=10)
    sids = [client.messages.create(to=f"+1555000000{i}", from_=FROM, body="x").sid for i in range(10)]
    clock.advance(1.0)
    assert all(client.messages(s).fetch().status == "sent" for s in sids)
    sim.add_number("55555")  # a short code: 100 segments per second
    assert sim.add_number("55555")["short_code"] == "55555"


def test_queue_limit(clock: FakeClock) -> None:
    with TwilioSimulator(clock, queue_limit_seconds=10) as sim:
        client = make_client(sim)
        for i in range(10):
            client.messages.create(to=f"+1555000000{i}", from_=FROM, body="x")
        assert sim.queue_seconds(FROM) == 10.0
        err = error_of(lambda: client.messages.create(to="+15550000010", from_=FROM, body="x"))
        assert (err.status, err.code) == (400, 21611)
        clock.advance(1.0)  # one sent: room for one more
        client.messages.create(to="+15550000010", from_=FROM, body="x")
        # through a Messaging Service the overflowing message is created and then fails with 30001
        for i in range(10):
            client.messages.create(to=f"+1555100000{i}", messaging_service_sid=MG, body="x")
        over = client.messages.create(to="+15551000010", messaging_service_sid=MG, body="x")
        fetched = client.messages(over.sid).fetch()
        assert (fetched.status, fetched.error_code) == ("failed", 30001)


def test_validity_period_expires_queued_messages(client: Client, clock: FakeClock) -> None:
    client.messages.create(to="+15550000001", from_=FROM, body="x" * 1000)  # 7 segments: 7 s
    late = client.messages.create(to="+15550000002", from_=FROM, body="x", validity_period=5)
    clock.advance(4.0)
    assert client.messages(late.sid).fetch().status == "queued"
    clock.advance(1.0)
    fetched = client.messages(late.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 30036)


def test_undelivered_and_failed_numbers(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    sim.set_number_behaviour("+15550000001", "undelivered")
    sim.set_number_behaviour("+15550000002", "failed", error_code=30007)
    a = client.messages.create(to="+15550000001", from_=FROM, body="x")
    b = client.messages.create(to="+15550000002", from_=FROM, body="x")
    c = client.messages.create(to="+15550000003", from_=FROM, body="x")
    clock.advance(5)
    assert (client.messages(a.sid).fetch().status, client.messages(a.sid).fetch().error_code) == ("undelivered", 30003)
    assert (client.messages(b.sid).fetch().status, client.messages(b.sid).fetch().error_code) == ("failed", 30007)
    assert client.messages(c.sid).fetch().status == "delivered"
    assert client.messages(c.sid).fetch().date_sent is not None


# ---------------------------------------------------------------------------------------------- scheduling


def test_scheduling_window_and_requirements(client: Client, clock: FakeClock) -> None:
    now = clock.utcnow()
    ok = client.messages.create(
        to="+15550000001",
        messaging_service_sid=MG,
        body="later",
        schedule_type="fixed",
        send_at=now + timedelta(minutes=10),
    )
    assert ok.status == "scheduled" and ok.from_ is None
    cases = [
        ({"messaging_service_sid": MG, "send_at": now + timedelta(seconds=200)}, 35114),
        ({"messaging_service_sid": MG, "send_at": now + timedelta(days=36)}, 35115),
        ({"from_": FROM, "send_at": now + timedelta(hours=1)}, 35118),
        ({"messaging_service_sid": MG}, 35111),
    ]
    for kwargs, code in cases:
        err = error_of(
            lambda kw=kwargs: client.messages.create(to="+15550000002", body="x", schedule_type="fixed", **kw)
        )
        assert (err.status, err.code) == (400, code)
    assert client.messages(ok.sid).fetch().status == "scheduled"
    clock.advance(600)
    assert client.messages(ok.sid).fetch().status == "sending"
    clock.advance(2)
    fetched = client.messages(ok.sid).fetch()
    assert fetched.status == "delivered" and fetched.from_ == SERVICE_NUMBER
    assert fetched.date_sent == now + timedelta(seconds=601)


def test_scheduling_window_is_configurable(clock: FakeClock) -> None:
    with TwilioSimulator(clock, schedule_min=900, schedule_max=3600) as sim:
        client = make_client(sim)
        for seconds, code in ((600, 35114), (7200, 35115)):
            err = error_of(
                lambda s=seconds: client.messages.create(
                    to="+15550000001",
                    messaging_service_sid=MG,
                    body="x",
                    schedule_type="fixed",
                    send_at=clock.utcnow() + timedelta(seconds=s),
                )
            )
            assert err.code == code


def test_cancel(client: Client, clock: FakeClock, sim: TwilioSimulator) -> None:
    send_at = clock.utcnow() + timedelta(hours=1)
    msg = client.messages.create(
        to="+15550000001", messaging_service_sid=MG, body="x", schedule_type="fixed", send_at=send_at
    )
    canceled = client.messages(msg.sid).update(status="canceled")
    assert canceled.status == "canceled"
    err = error_of(lambda: client.messages(msg.sid).update(status="canceled"))
    assert (err.status, err.code) == (400, 30409)
    queued = client.messages.create(to="+15550000002", from_=FROM, body="now")
    err = error_of(lambda: client.messages(queued.sid).update(status="canceled"))
    assert err.code == 30409
    clock.advance(3700)
    assert client.messages(msg.sid).fetch().status == "canceled"
    assert [m["status"] for m in sim.messages()] == ["canceled", "delivered"]


def test_redact_and_delete(client: Client, clock: FakeClock) -> None:
    msg = client.messages.create(to="+15550000001", from_=FROM, body="secret")
    err = error_of(lambda: client.messages(msg.sid).delete())
    assert (err.status, err.code) == (400, 20009)
    clock.advance(5)
    assert client.messages(msg.sid).update(body="").body == ""
    assert client.messages(msg.sid).delete() is True
    assert error_of(lambda: client.messages(msg.sid).fetch()).status == 404


# ---------------------------------------------------------------------------------------------- listing


def test_list_pagination_follows_relative_next_page_uri(client: Client, clock: FakeClock) -> None:
    sids = []
    for i in range(7):
        sids.append(client.messages.create(to=f"+1555000000{i % 2}", from_=FROM, body=str(i)).sid)
    client.http_client.urls.clear()
    listed = client.messages.list(page_size=3)
    assert [m.sid for m in listed] == sids[::-1]  # newest first
    assert len(client.http_client.urls) == 3
    first_page = client.messages.page(page_size=3)
    payload = first_page._payload
    assert set(payload) == {
        "messages",
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert payload["next_page_uri"].startswith(
        f"/2010-04-01/Accounts/{ACC}/Messages.json?PageSize=3&Page=1&PageToken=PA"
    )
    second = first_page.next_page()
    assert second._payload["page"] == 1 and second._payload["start"] == 3
    assert second._payload["previous_page_uri"] is not None
    back = second.previous_page()
    assert [m.sid for m in back] == [m.sid for m in client.messages.page(page_size=3)]
    to_one = client.messages.list(to="+15550000001", page_size=2)
    assert [m.sid for m in to_one] == [sids[5], sids[3], sids[1]]
    assert client.messages.list(from_="+15550000001") == []


def test_list_date_sent_filters(client: Client, clock: FakeClock) -> None:
    early = client.messages.create(to="+15550000001", from_=FROM, body="day one")
    clock.advance(86400)
    late = client.messages.create(to="+15550000002", from_=FROM, body="day two")
    unsent = client.messages.create(
        to="+15550000003",
        messaging_service_sid=MG,
        body="x",
        schedule_type="fixed",
        send_at=clock.utcnow() + timedelta(hours=2),
    )
    clock.advance(5)
    day_one = clock.utcnow() - timedelta(days=1)
    assert [m.sid for m in client.messages.list(date_sent=day_one.date())] == [early.sid]
    assert [m.sid for m in client.messages.list(date_sent_after=clock.utcnow().date())] == [late.sid]
    assert [m.sid for m in client.messages.list(date_sent_before=day_one.date())] == [early.sid]
    assert unsent.sid not in {m.sid for m in client.messages.list(date_sent_after=day_one.date())}


def test_page_size_is_capped(client: Client) -> None:
    client.messages.create(to="+15550000001", from_=FROM, body="x")
    resp = requests.get(
        f"{client.http_client.base}/2010-04-01/Accounts/{ACC}/Messages.json?PageSize=5000", auth=(ACC, TOKEN), timeout=5
    )
    assert resp.json()["page_size"] == 1000


# ---------------------------------------------------------------------------------------------- opt-out, inbound


def test_stop_blocks_only_that_pair_and_start_unblocks(sim: TwilioSimulator, client: Client) -> None:
    contact = "+15557770001"
    inbound = sim.inbound(contact, FROM, "  Stop ")
    assert inbound["direction"] == "inbound" and inbound["status"] == "received"
    err = error_of(lambda: client.messages.create(to=contact, from_=FROM, body="x"))
    assert (err.status, err.code) == (400, 21610)
    client.messages.create(to="+15557770002", from_=FROM, body="other recipient")  # not blocked
    client.messages.create(to=contact, messaging_service_sid=MG, body="other sender")  # not blocked
    assert sim.opt_outs() == [{"account": ACC, "sender": FROM, "recipient": contact}]
    sim.inbound(contact, FROM, "start")
    client.messages.create(to=contact, from_=FROM, body="welcome back")
    assert sim.opt_outs() == []
    # a STOP to a number of a Messaging Service blocks the service; "stop please" is not a keyword
    sim.inbound(contact, SERVICE_NUMBER, "stop please")
    client.messages.create(to=contact, messaging_service_sid=MG, body="still fine")
    sim.inbound(contact, SERVICE_NUMBER, "UNSUBSCRIBE")
    assert error_of(lambda: client.messages.create(to=contact, messaging_service_sid=MG, body="x")).code == 21610
    inbound_listed = [m for m in client.messages.list() if m.direction == "inbound"]
    assert len(inbound_listed) == 4 and inbound_listed[0].body == "UNSUBSCRIBE"


def test_inbound_webhook_of_the_service(clock: FakeClock) -> None:
    with TwilioSimulator(clock, deliver_callbacks=False) as sim:
        client = make_client(sim)
        client.messaging.v1.services(MG).update(inbound_request_url="https://example.test/inbound")
        msg = sim.inbound("+15557770001", SERVICE_NUMBER, "STOP")
        hooks = sim.callback_log("inbound")
        assert [h["url"] for h in hooks] == ["https://example.test/inbound"]
        params = hooks[0]["params"]
        assert params["OptOutType"] == "STOP" and params["MessageSid"] == msg["sid"]
        assert (params["From"], params["To"], params["Body"]) == ("+15557770001", SERVICE_NUMBER, "STOP")
        assert params["MessagingServiceSid"] == MG


def test_control_actions_over_http(sim: TwilioSimulator, client: Client) -> None:
    resp = requests.post(
        f"{sim.root_url}/_sim/control/inbound", json={"from_": "+15557770001", "to": FROM, "body": "quit"}, timeout=5
    )
    assert resp.status_code == 200 and resp.json()["direction"] == "inbound"
    assert error_of(lambda: client.messages.create(to="+15557770001", from_=FROM, body="x")).code == 21610
    resp = requests.post(
        f"{sim.root_url}/_sim/control/set_number_behaviour",
        json={"number": "+15550000009", "behaviour": "failed"},
        timeout=5,
    )
    assert resp.status_code == 200
    assert requests.post(f"{sim.root_url}/_sim/control/tick", json={}, timeout=5).json() == {"ok": True}
    assert len(requests.post(f"{sim.root_url}/_sim/control/messages", json={"direction": None}, timeout=5).json()) == 1


# ---------------------------------------------------------------------------------------------- callbacks


class _Receiver:
    def __init__(self) -> None:
        received: list[tuple[str, dict[str, str], dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                received.append((self.path, form, dict(self.headers)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_status_callbacks_are_posted_and_signed(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    receiver = _Receiver()
    try:
        msg = client.messages.create(
            to="+15550000001", messaging_service_sid=MG, body="x", status_callback=receiver.url
        )
        clock.advance(5)
        sim.tick()
        assert sim.flush_callbacks(timeout=5)
        statuses = [form["MessageStatus"] for _, form, _ in receiver.received]
        assert statuses == ["queued", "sending", "sent", "delivered"]
        _, form, headers = receiver.received[-1]
        assert form["MessageSid"] == msg.sid and form["AccountSid"] == ACC and form["ApiVersion"] == "2010-04-01"
        assert (form["From"], form["To"]) == (SERVICE_NUMBER, "+15550000001")
        assert RequestValidator(TOKEN).validate(receiver.url, form, headers["X-Twilio-Signature"])
        assert [c["MessageStatus"] for c in sim.status_callbacks(msg.sid)] == statuses
    finally:
        receiver.close()


def test_failure_callbacks_carry_the_error_code(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    sim.deliver_callbacks = False
    sim.set_number_behaviour("+15550000001", "undelivered")
    client.messages.create(to="+15550000001", from_=FROM, body="x", status_callback="https://example.test/cb")
    clock.advance(5)
    sim.tick()
    last = sim.status_callbacks()[-1]
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")


# ---------------------------------------------------------------------------------------------- rate limit, faults


def test_too_many_requests_in_flight_answer_20429(clock: FakeClock) -> None:
    with TwilioSimulator(clock, api_concurrency=0) as sim:  # every request is one too many
        err = error_of(make_client(sim).api.v2010.accounts(ACC).fetch)
        assert (err.status, err.code) == (429, 20429)
    # the provider keeps under the vendor's default (the contract holds requests against a smaller one)
    assert TwilioProvider.limits.max_concurrency <= (TwilioSimulator(clock).max_concurrent or 0)


def test_injected_faults_use_the_error_shape(sim: TwilioSimulator, client: Client) -> None:
    sim.inject(Fault("status", status=503))
    err = error_of(lambda: client.api.v2010.accounts(ACC).fetch())
    assert (err.status, err.code) == (503, 20503)


# ---------------------------------------------------------------------------------------------- Messaging Services


def test_messaging_services_crud_and_senders(sim: TwilioSimulator, client: Client) -> None:
    svc = client.messaging.v1.services.create(friendly_name="Campaigns", status_callback="https://example.test/s")
    assert svc.sid.startswith("MG") and svc.sticky_sender is True and svc.validity_period == 36000
    assert svc.url == f"https://messaging.twilio.com/v1/Services/{svc.sid}"
    assert client.messaging.v1.services(svc.sid).update(friendly_name="Renamed").friendly_name == "Renamed"
    sim.add_number("+15005550201")
    pn = client.incoming_phone_numbers.list(phone_number="+15005550201")[0]
    added = client.messaging.v1.services(svc.sid).phone_numbers.create(phone_number_sid=pn.sid)
    assert (added.sid, added.phone_number, added.service_sid) == (pn.sid, "+15005550201", svc.sid)
    assert [p.phone_number for p in client.messaging.v1.services(svc.sid).phone_numbers.list()] == ["+15005550201"]
    err = error_of(lambda: client.messaging.v1.services(MG).phone_numbers.create(phone_number_sid=pn.sid))
    assert err.code == 21712
    msg = client.messages.create(to="+15550000001", messaging_service_sid=svc.sid, body="x")
    assert client.messages(msg.sid).fetch().from_ == "+15005550201"
    assert client.messaging.v1.services(svc.sid).delete() is True
    assert error_of(lambda: client.messaging.v1.services(svc.sid).fetch()).status == 404
    assert client.incoming_phone_numbers(pn.sid).fetch().phone_number == "+15005550201"
    err = error_of(lambda: client.messaging.v1.services.create(friendly_name=""))
    assert (err.status, err.code) == (400, 20001)


def test_service_fields_match_the_spec(client: Client) -> None:
    wanted = spec_properties("twilio_messaging_v1.json", "messaging.v1.service")
    client.messaging.v1.services(MG).fetch()
    assert set(last_json(client)) == wanted


def test_v1_pagination_follows_absolute_next_page_url(client: Client) -> None:
    for i in range(4):
        client.messaging.v1.services.create(friendly_name=f"Service {i}")
    client.http_client.urls.clear()
    services = client.messaging.v1.services.list(page_size=2)
    assert [s.friendly_name for s in services] == ["Sandbox Messaging Service"] + [f"Service {i}" for i in range(4)]
    assert len(client.http_client.urls) == 3
    meta = client.messaging.v1.services.page(page_size=2)._payload["meta"]
    assert meta["key"] == "services"
    assert meta["next_page_url"].startswith("https://messaging.twilio.com/v1/Services?PageSize=2&Page=1&PageToken=PA")
    assert meta["first_page_url"] == "https://messaging.twilio.com/v1/Services?PageSize=2&Page=0"


def test_public_base_url_for_domain_overrides(clock: FakeClock) -> None:
    with TwilioSimulator(clock) as sim:
        sim.public_base_url = sim.base_url
        client = Client(ACC, TOKEN, http_client=TwilioHttpClient(timeout=5))
        for domain in (client.api, client.messaging, client.studio):
            domain.base_url = sim.base_url
        for i in range(3):
            client.messaging.v1.services.create(friendly_name=f"S{i}")
        assert len(client.messaging.v1.services.list(page_size=1)) == 4


# ---------------------------------------------------------------------------------------------- Studio

ASK_FLOW = {
    "description": "Ask and branch",
    "initial_state": "Trigger",
    "flags": {"allow_concurrent_calls": True},
    "states": [
        {
            "name": "Trigger",
            "type": "trigger",
            "properties": {"offset": {"x": 0, "y": 0}},
            "transitions": [
                {"event": "incomingMessage"},
                {"event": "incomingCall"},
                {"event": "incomingConversationMessage"},
                {"event": "incomingRequest", "next": "ask"},
                {"event": "incomingParent"},
            ],
        },
        {
            "name": "ask",
            "type": "send-and-wait-for-reply",
            "properties": {
                "from": "{{flow.channel.address}}",
                "body": "Hi {{flow.data.name}}! Want the deal? YES/NO",
                "timeout": "3600",
            },
            "transitions": [
                {"event": "incomingMessage", "next": "split"},
                {"event": "timeout", "next": "nudge"},
                {"event": "deliveryFailure"},
            ],
        },
        {
            "name": "split",
            "type": "split-based-on",
            "properties": {"input": "{{widgets.ask.inbound.Body}}"},
            "transitions": [
                {"event": "noMatch", "next": "bye"},
                {
                    "event": "match",
                    "next": "deal",
                    "conditions": [
                        {
                            "friendly_name": "yes",
                            "arguments": ["{{widgets.ask.inbound.Body}}"],
                            "type": "matches_any_of",
                            "value": "yes,y,sure",
                        }
                    ],
                },
            ],
        },
        {
            "name": "deal",
            "type": "send-message",
            "properties": {"body": "Code: SAVE10"},
            "transitions": [{"event": "sent"}, {"event": "failed"}],
        },
        {
            "name": "bye",
            "type": "send-message",
            "properties": {"body": "OK, bye"},
            "transitions": [{"event": "sent"}, {"event": "failed"}],
        },
        {
            "name": "nudge",
            "type": "send-message",
            "properties": {"body": "Still there?"},
            "transitions": [{"event": "sent"}, {"event": "failed"}],
        },
    ],
}


def test_flow_create_validate_update_revisions(client: Client) -> None:
    flows = client.studio.v2.flows
    flow = flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW, commit_message="first")
    assert flow.sid.startswith("FW") and flow.revision == 1 and flow.valid is True and flow.errors == []
    assert flow.definition == ASK_FLOW and flow.url == f"https://studio.twilio.com/v2/Flows/{flow.sid}"
    assert client.studio.v2.flow_validate.update(friendly_name="x", status="published", definition=ASK_FLOW).valid
    broken = json.loads(json.dumps(ASK_FLOW))
    broken["states"][2]["transitions"][0]["next"] = "nowhere"
    broken["states"].append({"name": "ask", "type": "send-message", "properties": {"body": "dup"}, "transitions": []})
    broken["states"].append({"name": "odd", "type": "teleport", "properties": {}, "transitions": []})
    err = error_of(lambda: client.studio.v2.flow_validate.update(friendly_name="x", status="draft", definition=broken))
    assert (err.status, err.code) == (400, 81022)
    paths = {e["property_path"] for e in err.details["errors"]}
    assert paths == {"#/states/2/transitions/0/next", "#/states/6/name", "#/states/7/type"}
    err = error_of(lambda: flows.create(friendly_name="Bad", status="published", definition=broken))
    assert err.code == 81022
    draft = flows.create(friendly_name="Bad draft", status="draft", definition=broken)
    assert draft.valid is False and len(draft.errors) == 3
    updated = client.studio.v2.flows(flow.sid).update(status="draft", friendly_name="Deal v2", commit_message="second")
    assert (updated.revision, updated.status, updated.friendly_name) == (2, "draft", "Deal v2")
    revisions = client.studio.v2.flows(flow.sid).revisions.list()
    assert [r.revision for r in revisions] == [2, 1]
    assert client.studio.v2.flows(flow.sid).revisions("1").fetch().commit_message == "first"
    assert [f.friendly_name for f in flows.list()] == ["Deal v2", "Bad draft"]
    assert client.studio.v2.flows(draft.sid).delete() is True


def test_flow_fields_match_the_spec(client: Client) -> None:
    wanted = spec_properties("twilio_studio_v2.json", "studio.v2.flow")
    client.studio.v2.flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW)
    assert set(last_json(client)) == wanted


def test_execution_runs_the_flow_with_replies(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    flow = client.studio.v2.flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW)
    executions = client.studio.v2.flows(flow.sid).executions
    yes = executions.create(to="+15558880001", from_=MG, parameters={"name": "Zoe"})
    assert yes.sid.startswith("FN") and yes.status == "active" and yes.contact_channel_address == "+15558880001"
    assert yes.context["flow"]["data"] == {"name": "Zoe"}
    err = error_of(lambda: executions.create(to="+15558880001", from_=MG))
    assert (err.status, err.code) == (409, 20409)
    no = executions.create(to="+15558880002", from_=FROM, parameters={"name": "Al"})
    asked = sim.messages()
    assert [m["body"] for m in asked] == ["Hi Zoe! Want the deal? YES/NO", "Hi Al! Want the deal? YES/NO"]
    clock.advance(10)
    sim.inbound("+15558880001", SERVICE_NUMBER, "Sure")  # to a number of the MG the flow sent from
    sim.inbound("+15558880002", FROM, "nope")
    assert executions(yes.sid).fetch().status == "ended" and executions(no.sid).fetch().status == "ended"
    bodies = {m["to"]: m["body"] for m in sim.messages()[2:]}
    assert bodies == {"+15558880001": "Code: SAVE10", "+15558880002": "OK, bye"}
    steps = executions(yes.sid).steps.list()
    assert [(s.transitioned_from, s.name, s.transitioned_to) for s in steps] == [
        ("Trigger", "incomingRequest", "ask"),
        ("ask", "incomingMessage", "split"),
        ("split", "match", "deal"),
        ("deal", "sent", "Ended"),
    ]
    context = executions(yes.sid).execution_context().fetch().context
    assert context["widgets"]["ask"]["inbound"]["Body"] == "Sure"
    step_context = executions(yes.sid).steps(steps[1].sid).step_context().fetch().context
    assert step_context["inbound"]["From"] == "+15558880001"
    listed = [e["sid"] for e in sim.executions(flow_sid=flow.sid)]
    assert listed == [yes.sid, no.sid]


def test_execution_timeout_and_manual_end(sim: TwilioSimulator, client: Client, clock: FakeClock) -> None:
    flow = client.studio.v2.flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW)
    executions = client.studio.v2.flows(flow.sid).executions
    quiet = executions.create(to="+15558880003", from_=FROM)
    clock.advance(3599)
    assert executions(quiet.sid).fetch().status == "active"
    clock.advance(1)
    assert executions(quiet.sid).fetch().status == "ended"
    assert sim.messages()[-1]["body"] == "Still there?"
    assert [s.name for s in executions(quiet.sid).steps.list()][1] == "timeout"
    stopped = executions.create(to="+15558880004", from_=FROM)
    assert executions(stopped.sid).update(status="ended").status == "ended"
    sim.inbound("+15558880004", FROM, "yes")  # nobody is waiting any more
    assert len(executions(stopped.sid).steps.list()) == 1
    assert executions(stopped.sid).delete() is True


def test_execution_list_pagination_and_failures(sim: TwilioSimulator, client: Client) -> None:
    flow = client.studio.v2.flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW)
    executions = client.studio.v2.flows(flow.sid).executions
    sim.inbound("+15558880010", FROM, "STOP")
    blocked = executions.create(to="+15558880010", from_=FROM)  # the first send is refused: deliveryFailure
    assert executions(blocked.sid).fetch().status == "ended"
    assert [s.name for s in executions(blocked.sid).steps.list()] == ["incomingRequest", "deliveryFailure"]
    for i in range(3):
        executions.create(to=f"+1555888002{i}", from_=FROM)
    page = executions.page(page_size=2)
    assert page._payload["meta"]["next_page_url"].startswith(
        f"https://studio.twilio.com/v2/Flows/{flow.sid}/Executions?"
    )
    assert len(executions.list(page_size=2)) == 4
    assert executions.list(page_size=2)[-1].sid == blocked.sid  # newest first
    wanted = spec_properties("twilio_studio_v2.json", "studio.v2.flow.execution")
    executions(blocked.sid).fetch()
    assert set(last_json(client)) == wanted


def test_message_creation_is_cheap(sim: TwilioSimulator) -> None:
    """A smoke check of the hot path without HTTP (the benchmark measures it properly)."""
    sim.set_activity_rates(failed_rate=0.0)  # every text queues (a failed one takes no sender time)
    path = f"/2010-04-01/Accounts/{ACC}/Messages.json"
    for i in range(2000):
        body = f"To=%2B1555{i:07d}&MessagingServiceSid={MG}&Body=Hello".encode()
        assert sim.call("POST", path, body, account=ACC).status == 201
    assert len(sim.messages()) == 2000
    assert sim.queue_seconds(SERVICE_NUMBER) == 2000.0


def test_other_resources_match_the_spec(sim: TwilioSimulator, client: Client) -> None:
    api = "twilio_api_v2010.json"
    client.api.v2010.accounts(ACC).fetch()
    assert set(last_json(client)) == spec_properties(api, "api.v2010.account")
    number = client.incoming_phone_numbers.list(phone_number=FROM)[0]
    client.incoming_phone_numbers(number.sid).fetch()
    assert set(last_json(client)) == spec_properties(api, "api.v2010.account.incoming_phone_number")
    client.messaging.v1.services(MG).phone_numbers.list()
    assert set(last_json(client)["phone_numbers"][0]) == spec_properties(
        "twilio_messaging_v1.json", "messaging.v1.service.phone_number"
    )
    flow = client.studio.v2.flows.create(friendly_name="Deal", status="published", definition=ASK_FLOW)
    client.studio.v2.flows(flow.sid).revisions("LatestRevision").fetch()
    assert set(last_json(client)) == spec_properties("twilio_studio_v2.json", "studio.v2.flow.flow_revision")
    execution = client.studio.v2.flows(flow.sid).executions.create(to="+15558880001", from_=FROM)
    client.studio.v2.flows(flow.sid).executions(execution.sid).steps.list()
    step = last_json(client)["steps"][0]
    assert set(step) == spec_properties("twilio_studio_v2.json", "studio.v2.flow.execution.execution_step")


def test_state_survives_dump_and_load(clock: FakeClock) -> None:
    with TwilioSimulator(clock) as first:
        client = make_client(first)
        sid = client.messages.create(
            to="+15550000001", from_=FROM, body="x", status_callback="https://example.test/s"
        ).sid
        first.inbound("+15550000002", FROM, "STOP")
        saved = json.loads(json.dumps(first.dump()))
    with TwilioSimulator(clock, deliver_callbacks=False) as second:
        second.load(saved)
        client = make_client(second)
        clock.advance(5)
        assert client.messages(sid).fetch().status == "delivered"
        assert error_of(lambda: client.messages.create(to="+15550000002", from_=FROM, body="x")).code == 21610
        # "sending" happened (and was called back) before the dump
        assert [c["MessageStatus"] for c in second.status_callbacks(sid)] == ["sent", "delivered"]
