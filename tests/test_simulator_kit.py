"""The simulator kit (hub.simulator), exercised through a tiny simulator defined here."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from hub.clock import FakeClock
from hub.simulator import Fault, LogEntry, SimRequest, SimResponse, Simulator, bearer_token, control, route


class ToySimulator(Simulator):
    """Items per account, Bearer tokens, 3 requests per 10 vendor seconds."""

    name = "toy"
    base_path = "/v1"
    tokens: dict[str, str] = {"t1": "acct1", "t2": "acct2"}
    limit = 3
    window = 10.0

    def initial_state(self) -> dict[str, Any]:
        return {"items": {}}

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        account = self.tokens.get(bearer_token(req) or "")
        return account if account else SimResponse(401, {"error": "unauthorized"})

    def rate_limits(self, req: SimRequest) -> list[Any]:
        return [("api", self.limit, self.window)]

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None:
            return {}
        return {"X-Remaining": str(self.rate_remaining(account, "api"))}

    @route("GET", "/v1/items")
    def list_items(self, req: SimRequest) -> Any:
        return 200, {"items": list(self.account_state(req.account)["items"].values())}

    @route("POST", "/v1/items")
    def create_item(self, req: SimRequest) -> Any:
        body = req.json() or {}
        item = {"id": str(self.next_seq()), "name": body.get("name")}
        self.account_state(req.account)["items"][item["id"]] = item
        return 201, item, {"Location": f"/v1/items/{item['id']}"}

    @route("GET", "/v1/items/{id}")
    def get_item(self, req: SimRequest) -> Any:
        item = self.account_state(req.account)["items"].get(req.params["id"])
        return SimResponse(200, item) if item else SimResponse(404, {"error": "no such item"})

    @route("DELETE", "/v1/items/{id}")
    def delete_item(self, req: SimRequest) -> Any:
        self.account_state(req.account)["items"].pop(req.params["id"], None)
        return SimResponse(204)

    @route("GET", "/v1/numbers/{n:\\d+}")
    def number(self, req: SimRequest) -> Any:
        return 200, {"n": int(req.params["n"])}

    @route("GET", "/v1/numbers/special")
    def special(self, req: SimRequest) -> Any:
        return 200, {"special": True}

    @route("GET", "/v1/echo")
    def echo(self, req: SimRequest) -> Any:
        return 200, {"q": req.arg("q"), "all": req.query.get("q"), "missing": req.arg("nope", "dflt")}

    @route("POST", "/v1/form")
    def form(self, req: SimRequest) -> Any:
        return 200, req.form()

    @route("GET", "/v1/text")
    def text(self, req: SimRequest) -> Any:
        return SimResponse(200, "plain words")

    @route("GET", "/v1/boom")
    def boom(self, req: SimRequest) -> Any:
        raise RuntimeError("kaboom")

    @control("add_item")
    def add_item(self, account: str, name: str) -> dict[str, Any]:
        with self.lock:
            item = {"id": str(self.next_seq()), "name": name}
            self.account_state(account)["items"][item["id"]] = item
            return item


class SubToy(ToySimulator):
    """Inherits every route and overrides one."""

    name = "subtoy"

    def list_items(self, req: SimRequest) -> Any:
        return 200, {"overridden": True}

    @route("GET", "/v1/extra")
    def extra(self, req: SimRequest) -> Any:
        return 200, {"extra": True}


class GateClock(FakeClock):
    """A fake clock whose sleep blocks until released, so tests can hold requests in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.sleepers = 0
        self.cond = threading.Condition()

    def sleep(self, seconds: float) -> None:
        with self.cond:
            self.sleepers += 1
            self.cond.notify_all()
        self.gate.wait(timeout=10)
        super().sleep(seconds)

    def wait_for_sleepers(self, n: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.sleepers >= n, timeout=10)


AUTH1 = {"Authorization": "Bearer t1"}
AUTH2 = {"Authorization": "Bearer t2"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock):
    with ToySimulator(clock) as s:
        yield s


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def advance(clock: FakeClock, seconds: float = 10.0) -> None:
    clock.advance(seconds)


# ---------------------------------------------------------------------------------------------- routing


def test_base_url_and_routing(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    assert sim.base_url == f"http://127.0.0.1:{sim.port}/v1"
    assert sim.root_url == f"http://127.0.0.1:{sim.port}"
    created = http.post(sim.base_url + "/items", json={"name": "a"}, headers=AUTH1)
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/items/{created.json()['id']}"
    assert created.headers["Content-Type"] == "application/json"
    assert created.headers["Content-Length"] == str(len(created.content))
    got = http.get(f"{sim.base_url}/items/{created.json()['id']}/", headers=AUTH1)  # trailing slash is fine
    assert got.json() == {"id": created.json()["id"], "name": "a"}
    advance(clock)
    assert http.get(sim.base_url + "/nowhere", headers=AUTH1).status_code == 404
    not_allowed = http.put(sim.base_url + "/items", headers=AUTH1)
    assert not_allowed.status_code == 405
    assert not_allowed.headers["Allow"] == "GET, POST"
    head = http.head(sim.base_url + "/items", headers=AUTH1)
    assert head.status_code == 200 and head.content == b""
    advance(clock)
    assert http.get(sim.base_url + "/numbers/42", headers=AUTH1).json() == {"n": 42}
    assert http.get(sim.base_url + "/numbers/special", headers=AUTH1).json() == {"special": True}
    assert http.get(sim.base_url + "/numbers/abc", headers=AUTH1).status_code == 404


def test_request_helpers(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    echoed = http.get(sim.base_url + "/echo?q=1&q=2", headers=AUTH1).json()
    assert echoed == {"q": "1", "all": ["1", "2"], "missing": "dflt"}
    form = http.post(sim.base_url + "/form", data={"a": "1", "b": ["x", "y"]}, headers=AUTH1)
    assert form.json() == {"a": ["1"], "b": ["x", "y"]}
    text = http.get(sim.base_url + "/text", headers=AUTH1)
    assert text.text == "plain words" and text.headers["Content-Type"].startswith("text/plain")
    advance(clock)
    bad = http.post(sim.base_url + "/items", data=b"{not json", headers={**AUTH1, "Content-Type": "application/json"})
    assert bad.status_code == 400
    assert "malformed JSON" in bad.json()["message"]


def test_routes_are_inherited_and_overridable(clock: FakeClock, http: requests.Session) -> None:
    with SubToy(clock) as sub:
        assert http.get(sub.base_url + "/items", headers=AUTH1).json() == {"overridden": True}
        assert http.get(sub.base_url + "/extra", headers=AUTH1).json() == {"extra": True}
        assert http.post(sub.base_url + "/items", json={"name": "x"}, headers=AUTH1).status_code == 201
    with ToySimulator(clock) as base:  # the parent class is untouched
        assert http.get(base.base_url + "/extra", headers=AUTH1).status_code == 404


def test_handler_exception_is_a_logged_500(sim: ToySimulator, http: requests.Session) -> None:
    resp = http.get(sim.base_url + "/boom", headers=AUTH1)
    assert resp.status_code == 500
    assert "kaboom" in resp.json()["exception"]
    assert sim.log[-1].status == 500 and sim.log[-1].path == "/v1/boom"
    # the server is still fine
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 200


def test_internal_call_skips_auth_limits_and_log(sim: ToySimulator) -> None:
    for _ in range(10):
        resp = sim.call("POST", "/v1/items", {"name": "direct"}, account="acct1")
        assert resp.status == 201
    assert sim.call("GET", "/v1/echo?q=z", account="acct1").json()["q"] == "z"
    assert len(sim.account_state("acct1")["items"]) == 10
    assert len(sim.log) == 0


# ---------------------------------------------------------------------------------------------- auth + state


def test_authentication_and_per_account_state(sim: ToySimulator, http: requests.Session) -> None:
    missing = http.get(sim.base_url + "/items")
    assert missing.status_code == 401 and missing.json() == {"error": "unauthorized"}
    assert "X-Remaining" not in missing.headers
    assert http.get(sim.base_url + "/items", headers={"Authorization": "Bearer nope"}).status_code == 401
    http.post(sim.base_url + "/items", json={"name": "one"}, headers=AUTH1)
    assert http.get(sim.base_url + "/items", headers=AUTH2).json() == {"items": []}
    assert [i["name"] for i in http.get(sim.base_url + "/items", headers=AUTH1).json()["items"]] == ["one"]
    assert sim.log[0].account is None and sim.log[0].status == 401


# ---------------------------------------------------------------------------------------------- request log


def test_request_log(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    http.get(sim.base_url + "/items?x=1", headers=AUTH1)
    http.post(sim.base_url + "/items", json={"name": "a"}, headers=AUTH1)
    clock.advance(5)
    http.delete(sim.base_url + "/items/1", headers=AUTH1)
    assert len(sim.log) == 3
    first: LogEntry = sim.log[0]
    assert (first.method, first.path, first.query, first.status, first.account) == (
        "GET",
        "/v1/items",
        {"x": ["1"]},
        200,
        "acct1",
    )
    assert first.is_write is False and first.fault is None
    post = sim.log[1]
    assert post.is_write and post.body == {"name": "a"} and post.response["name"] == "a"
    assert sim.log[2].time == 5.0
    assert [e.method for e in sim.log.writes()] == ["POST", "DELETE"]
    assert sim.log.count() == 3
    assert sim.log.count("POST") == 1
    assert sim.log.count(path_prefix="/items") == 3  # with or without base_path
    assert sim.log.count("GET", "/v1/items") == 1
    over_http = http.get(sim.root_url + "/_sim/log").json()
    assert [e["method"] for e in over_http] == ["GET", "POST", "DELETE"]
    assert over_http[1]["body"] == {"name": "a"}
    assert len(sim.log) == 3  # control calls are not logged
    assert http.post(sim.root_url + "/_sim/log/clear").json() == {"cleared": 3}
    assert len(sim.log) == 0
    sim.log.clear()


# ---------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [429, 500, 503])
def test_status_fault_answers_without_processing(sim: ToySimulator, http: requests.Session, status: int) -> None:
    sim.inject(Fault("status", status=status, retry_after=7 if status == 429 else None, method="POST"))
    resp = http.post(sim.base_url + "/items", json={"name": "x"}, headers=AUTH1)
    assert resp.status_code == status
    if status == 429:
        assert resp.headers["Retry-After"] == "7"
    assert sim.account_state("acct1")["items"] == {}
    assert sim.log[-1].fault == f"status:{status}"
    assert resp.headers["X-Remaining"] == "2"  # extra headers still added
    # one-shot: the next request goes through
    assert http.post(sim.base_url + "/items", json={"name": "x"}, headers=AUTH1).status_code == 201


def test_fault_matching_and_count(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    sim.inject(Fault("status", status=503, count=2, path_prefix="/items/"))
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 200  # prefix does not match
    assert http.get(sim.base_url + "/items/1", headers=AUTH1).status_code == 503
    clock.advance(10)
    assert http.get(sim.base_url + "/items/1", headers=AUTH1).status_code == 503
    assert http.get(sim.base_url + "/items/1", headers=AUTH1).status_code == 404
    assert sim.pending_faults() == []
    sim.inject(Fault("status", status=500, count=-1))
    clock.advance(10)
    assert [http.get(sim.base_url + "/items", headers=AUTH1).status_code for _ in range(3)] == [500] * 3
    sim.clear_faults()
    clock.advance(10)
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 200
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]


def test_drop_before_does_not_process(sim: ToySimulator, http: requests.Session) -> None:
    sim.inject(Fault("drop_before"))
    with pytest.raises(requests.ConnectionError):
        http.post(sim.base_url + "/items", json={"name": "lost"}, headers=AUTH1)
    assert sim.account_state("acct1")["items"] == {}
    entry = sim.log[-1]
    assert entry.fault == "drop_before" and entry.status == 0
    # the session recovers on a new connection
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 200


def test_drop_after_processes_then_drops(sim: ToySimulator, http: requests.Session) -> None:
    sim.inject(Fault("drop_after", method="POST"))
    with pytest.raises(requests.ConnectionError):
        http.post(sim.base_url + "/items", json={"name": "ambiguous"}, headers=AUTH1)
    items = sim.account_state("acct1")["items"]
    assert [i["name"] for i in items.values()] == ["ambiguous"]  # the write happened
    entry = sim.log[-1]
    assert entry.fault == "drop_after" and entry.status == 201


def test_latency_uses_vendor_time(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    sim.inject(Fault("latency", seconds=30.0))
    resp = http.get(sim.base_url + "/items", headers=AUTH1)
    assert resp.status_code == 200
    assert clock.now() == 30.0 and clock.slept == [30.0]
    assert sim.log[-1].fault == "latency:30"
    # latency and a status fault can apply to the same request
    sim.inject(Fault("latency", seconds=1.5))
    sim.inject(Fault("status", status=502))
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 502
    assert clock.now() == 31.5


def test_base_latency_option(clock: FakeClock, http: requests.Session) -> None:
    with ToySimulator(clock, latency=0.25) as s:
        http.get(s.base_url + "/items", headers=AUTH1)
        http.get(s.base_url + "/items", headers=AUTH1)
    assert clock.slept == [0.25, 0.25]


class SlowToy(ToySimulator):
    """Its listing takes `work` vendor seconds of its own (a batch of 500 members, a turn at the lock)."""

    work = 0.0

    @route("GET", "/v1/items")
    def list_items(self, req: SimRequest) -> Any:
        self.clock.sleep(self.work)
        return super().list_items(req)


def test_base_latency_counts_the_vendors_own_work(clock: FakeClock, http: requests.Session) -> None:
    # the latency is how long the vendor takes to answer: work done within it adds nothing; work longer
    # than it is all the time the request takes (a latency fault still comes before it all)
    with SlowToy(clock, latency=0.25) as s:
        s.work = 0.1
        http.get(s.base_url + "/items", headers=AUTH1)
        s.work = 0.4
        http.get(s.base_url + "/items", headers=AUTH1)
        s.inject(Fault("latency", seconds=2.0))
        s.work = 0.0
        http.get(s.base_url + "/items", headers=AUTH1)
    assert clock.slept == pytest.approx([0.1, 0.15, 0.4, 2.0, 0.0, 0.25])


def test_fault_rate_is_seeded_and_switchable(clock: FakeClock, http: requests.Session) -> None:
    def run(seed: int) -> list[int]:
        with ToySimulator(clock) as s:
            s.limit = 10_000
            s.fault_rate(0.5, ("500", "503"), seed=seed)
            return [http.get(s.base_url + "/items", headers=AUTH1).status_code for _ in range(30)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    assert {500, 503, 200} == set(first)
    with ToySimulator(clock) as s:
        s.limit = 10_000
        s.fault_rate(1.0, ("429",), retry_after=3, match=lambda req: req.method == "POST")
        assert http.get(s.base_url + "/items", headers=AUTH1).status_code == 200
        refused = http.post(s.base_url + "/items", json={}, headers=AUTH1)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
        s.fault_rate(0)
        assert http.post(s.base_url + "/items", json={}, headers=AUTH1).status_code == 201
        s.fault_rate(1.0, ("drop_before",))
        with pytest.raises(requests.ConnectionError):
            http.get(s.base_url + "/items", headers=AUTH1)


# ---------------------------------------------------------------------------------------------- rate limits


def test_sliding_window_rate_limit(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    url = sim.base_url + "/items"
    statuses = []
    for _ in range(3):
        resp = http.get(url, headers=AUTH1)
        statuses.append((resp.status_code, resp.headers["X-Remaining"]))
        clock.advance(1)
    assert statuses == [(200, "2"), (200, "1"), (200, "0")]
    clock.advance(0.5)  # now t=3.5; the oldest request (t=0) leaves the window at t=10
    refused = http.get(url, headers=AUTH1)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "7"
    assert sim.log[-1].fault == "rate_limited:api"
    assert http.get(url, headers=AUTH2).status_code == 200  # other accounts have their own window
    clock.advance(6.5)  # t=10: the t=0 request has left
    assert http.get(url, headers=AUTH1).status_code == 200
    assert http.get(url, headers=AUTH1).status_code == 429  # refused requests did not count... but this one is full
    clock.advance(1)  # t=11: the t=1 request left
    assert http.get(url, headers=AUTH1).status_code == 200
    assert sim.rate_used("acct1", "api") == 3


def test_weighted_cost_counts_several(clock: FakeClock) -> None:
    from hub.simulator.ratelimit import SlidingWindows

    windows = SlidingWindows()
    assert windows.admit("a", [("api", 5, 10.0, 3)], 0.0) is None
    assert windows.admit("a", [("api", 5, 10.0, 3)], 1.0) == ("api", 9)
    assert windows.admit("a", [("api", 5, 10.0, 2)], 1.0) is None
    assert windows.remaining("a", "api", 1.0) == 0
    assert windows.admit("a", [("api", 5, 10.0, 9)], 1.0) == ("api", 10)
    # a request refused by its second bucket is not counted in the first
    assert windows.admit("b", [("api", 5, 10.0), ("import", 0, 10.0)], 0.0) == ("import", 10)
    assert windows.used("b", "api", 0.0) == 0


# ---------------------------------------------------------------------------------------------- concurrency


class NarrowToy(ToySimulator):
    max_concurrent = 2

    def too_many_connections(self, req: SimRequest) -> SimResponse:
        return SimResponse(429, {"error": "too many connections"})


def test_concurrency_limit_per_account(http: requests.Session) -> None:
    clock = GateClock()
    with NarrowToy(clock) as sim:
        sim.limit = 1000
        sim.inject(Fault("latency", seconds=1.0, count=2, path_prefix="/items"))

        def slow() -> int:
            with requests.Session() as own:
                return own.get(sim.base_url + "/items", headers=AUTH1).status_code

        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(slow), pool.submit(slow)]
            clock.wait_for_sleepers(2)
            assert sim.in_flight("acct1") == 2
            third = http.get(sim.base_url + "/echo", headers=AUTH1)
            assert third.status_code == 429 and third.json() == {"error": "too many connections"}
            assert sim.log[-1].fault == "too_many_connections"
            assert http.get(sim.base_url + "/echo", headers=AUTH2).status_code == 200  # per account
            clock.gate.set()
            assert [f.result(timeout=10) for f in futures] == [200, 200]
        assert sim.in_flight("acct1") == 0
        assert http.get(sim.base_url + "/echo", headers=AUTH1).status_code == 200


# ---------------------------------------------------------------------------------------------- control interface


def test_control_interface(sim: ToySimulator, http: requests.Session) -> None:
    root = sim.root_url + "/_sim"
    info = http.get(root + "/info").json()
    assert info["name"] == "toy" and info["controls"] == ["add_item"]
    added = http.post(root + "/control/add_item", json={"account": "acct1", "name": "from-ui"})
    assert added.status_code == 200 and added.json()["name"] == "from-ui"
    assert http.post(root + "/control/add_item", json={"account": "acct1"}).status_code == 400
    assert http.post(root + "/control/nope", json={}).status_code == 404
    assert sim.add_item("acct2", "python")["name"] == "python"  # still a plain method

    assert http.post(root + "/faults", json={"kind": "status", "status": 503, "method": "GET"}).status_code == 200
    assert http.get(root + "/faults").json()[0]["status"] == 503
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 503
    assert http.post(root + "/faults", json={"kind": "bogus"}).status_code == 400
    assert http.post(root + "/faults", json={"rate": 1.0, "kinds": ["500"], "seed": 1}).status_code == 200
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 500
    assert http.post(root + "/faults/clear").status_code == 200
    assert http.get(sim.base_url + "/items", headers=AUTH1).status_code == 200

    state = http.get(root + "/state").json()
    assert state["simulator"] == "toy"
    assert [i["name"] for i in state["accounts"]["acct1"]["items"].values()] == ["from-ui"]
    assert http.post(root + "/reset").status_code == 200
    assert sim.state == {} and len(sim.log) == 0
    assert http.post(root + "/state", json=state).status_code == 200
    assert sim.account_state("acct1")["items"] == state["accounts"]["acct1"]["items"]
    assert http.get(root + "/unknown").status_code == 404


# ---------------------------------------------------------------------------------------------- persistence


def test_dump_load_and_state_file(tmp_path, clock: FakeClock, http: requests.Session) -> None:
    path = tmp_path / "sim" / "toy.json"
    with ToySimulator(clock, state_file=path) as first:
        http.post(first.base_url + "/items", json={"name": "kept"}, headers=AUTH1)
        dumped = first.dump()
    assert path.exists()
    assert json.loads(path.read_text())["accounts"] == dumped["accounts"]
    with ToySimulator(clock, state_file=path) as second:
        items = http.get(second.base_url + "/items", headers=AUTH1).json()["items"]
        assert [i["name"] for i in items] == ["kept"]
        clock.advance(10)
        created = http.post(second.base_url + "/items", json={"name": "next"}, headers=AUTH1).json()
        assert created["id"] == "2"  # the id counter survives too
    fresh = ToySimulator(clock)
    fresh.load(dumped)
    assert fresh.account_state("acct1")["items"]["1"]["name"] == "kept"
    dumped["accounts"]["acct1"]["items"].clear()  # load() copied the data
    assert fresh.account_state("acct1")["items"]
    fresh.reset()
    assert fresh.state == {}


def test_stop_closes_connections(clock: FakeClock) -> None:
    sim = ToySimulator(clock)
    sim.start()
    with requests.Session() as session:
        assert session.get(sim.base_url + "/items", headers=AUTH1).status_code == 200
        sim.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(sim.base_url + "/items", headers=AUTH1)


def test_many_requests_on_one_connection(sim: ToySimulator, http: requests.Session, clock: FakeClock) -> None:
    sim.limit = 10_000
    for i in range(200):
        resp = http.post(sim.base_url + "/items", json={"name": str(i)}, headers=AUTH1)
        assert resp.status_code == 201
        assert resp.headers["Connection"] == "keep-alive"
    assert len(sim.account_state("acct1")["items"]) == 200


def test_alias_credential(sim: ToySimulator, http: requests.Session) -> None:
    planted = {"Authorization": "Bearer PLANTED-SECRET"}
    assert http.get(sim.base_url + "/items", headers=planted).status_code == 401
    sim.alias_credential("PLANTED-SECRET", "t1")
    resp = http.get(sim.base_url + "/items", headers=planted)
    assert resp.status_code == 200 and sim.log[-1].account == "acct1"


def test_alias_credential_in_basic_auth_and_query(clock: FakeClock, http: requests.Session) -> None:
    from hub.simulator import basic_auth

    class BasicToy(ToySimulator):
        def authenticate(self, req: SimRequest) -> str | SimResponse:
            user_pass = basic_auth(req)
            if user_pass == ("AC1", "real-token") or req.arg("api_key") == "real-token":
                return "acct1"
            return SimResponse(401, {"error": "unauthorized"})

    with BasicToy(clock) as sim:
        sim.limit = 100
        assert http.get(sim.base_url + "/items", auth=("AC1", "real-token")).status_code == 200
        assert http.get(sim.base_url + "/items", auth=("AC1", "fake")).status_code == 401
        sim.alias_credential("fake", "real-token")
        assert http.get(sim.base_url + "/items", auth=("AC1", "fake")).status_code == 200
        assert http.get(sim.base_url + "/items?api_key=fake").status_code == 200
