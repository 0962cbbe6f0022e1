"""The simulator conformance kit: every vendor simulator's tests subclass `SimulatorContract`.

`ProviderContract` proves a provider against its simulator; this suite proves the simulator itself: what
every simulator must do whatever its vendor, over real HTTP on 127.0.0.1 with the `requests` library, on
a `FakeClock` (nothing here sleeps on wall time). It is the safety net for moving simulators onto a new
kit: a rewrite that still passes behaves the same on the outside.

```python
from hub.testing import SimulatorContract, WindowLimit

class TestKlaviyoSimulator(SimulatorContract):
    simulator_cls = KlaviyoSimulator
    collection = "/profiles"                         # under the simulator's base_url
    items_key = "data"
    rate_limit = WindowLimit(requests=75, per_seconds=60)

    def auth_headers(self): return {"Authorization": "Klaviyo-API-Key sandbox"}
    def bad_auth_headers(self): return [{"Authorization": "Klaviyo-API-Key wrong"}]
    def create_body(self, n): return {"email": f"p{n}@example.org"}
    def key_of(self, n): return f"p{n}@example.org"
    def item_key(self, item): return item["email"]
    def first_page(self): return {"page[size]": "10"}
    def next_page(self, body, params): ...          # the next (path or URL, params), or None
```

Checked, each against the vendor's own shapes (the hooks):

- authentication: no or wrong credentials → the vendor's refusal (`unauthenticated_status`,
  `check_error`); valid ones → 2xx;
- paging: more items than a page, read with the vendor's page parameters (`first_page`, `next_page`),
  every item exactly once; the vendor's default page size (`default_page_size`);
- rate limits: past the declared limit (`rate_limit`: a window of requests, or simultaneous connections)
  → the vendor's 429, with a ``Retry-After`` that is true on the simulator's clock, and the provider
  declares the same limit (`provider_name`);
- faults: an injected status (in Python and through ``/_sim/faults``) answered in the vendor's error
  shape; ``drop_after`` on a create writes but drops the answer; ``drop_before`` does not write;
- persistence: a state file restores the items, ids do not collide, and simulated time does not go back
  in a new process (what the state has due still comes due: `settle_seconds`, `is_settled`);
- malformed bodies (`malformed_bodies`, encoded for the vendor by `encode`) → the vendor's 400/422,
  never a 500, nothing created;
- the request log: every request with method, path and status, in Python and at ``/_sim/log``.

A vendor whose behaviour is unknown for one of these lists the test in `skips` with the reason (cite the
vendor notes); the test is then reported as skipped with it.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from ..clock import FakeClock
from ..simulator import Fault, Simulator

__all__ = ["ConcurrencyLimit", "SimApi", "SimulatorContract", "WindowLimit"]

TIMEOUT = 30.0  # seconds a test waits on the simulator before it counts as hung (a safety net, never slept)


@dataclass(frozen=True)
class WindowLimit:
    """At most `requests` per `per_seconds` vendor seconds per account; the next one is refused."""

    requests: int
    per_seconds: float
    status: int = 429
    retry_after: bool = True
    """The refusal carries ``Retry-After`` (whole seconds after which a request is admitted again)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Simulator options that set this limit, when the default one is too large to exercise."""


@dataclass(frozen=True)
class ConcurrencyLimit:
    """At most `connections` requests in flight per account; one more is refused at once."""

    connections: int
    status: int = 429
    retry_after: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


class SimApi:
    """A `requests` session on a running simulator, with valid credentials and the vendor's Accept.

    With `pace` (the simulator's FakeClock) it behaves like a polite client: a 429 with ``Retry-After``
    advances the clock by that much and asks again, so that tests of other things stay under the
    vendor's rate limit however many requests they make."""

    def __init__(self, sim: Simulator, auth: Mapping[str, str], *, pace: FakeClock | None = None) -> None:
        self.sim = sim
        self.pace = pace
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **auth})

    def url(self, path: str) -> str:
        """`path` under the simulator's base_url; absolute URLs pass through."""
        return path if path.startswith(("http://", "https://")) else self.sim.base_url + path

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                data: bytes | None = None, content_type: str | None = None,
                headers: Mapping[str, str] | None = None) -> requests.Response:
        extra = dict(headers or {})
        if content_type:
            extra["Content-Type"] = content_type
        for _ in range(10):
            resp = self.session.request(method, self.url(path), params=params, data=data, headers=extra,
                                        timeout=TIMEOUT)
            wait = resp.headers.get("Retry-After", "")
            if self.pace is None or resp.status_code != 429 or not wait.isdigit():
                break
            self.pace.advance(int(wait))
        return resp

    def close(self) -> None:
        self.session.close()


class SimulatorContract:
    # -- hooks: what a vendor's simulator is and how its API looks --------------------------------------------
    simulator_cls: ClassVar[type[Simulator]]
    simulator_options: ClassVar[Mapping[str, Any]] = {}
    provider_name: ClassVar[str | None] = None
    """The provider that ships the simulator: its declared limits must match the simulator's."""

    collection: ClassVar[str]
    """A collection the contract creates items in, reads and pages through (path under base_url)."""
    create_path: ClassVar[str | None] = None
    """Where an item of `collection` is created, when not at `collection` itself (Mastodon posts statuses to
    /api/v1/statuses and lists them elsewhere; an XRPC server has one method per action)."""
    items_key: ClassVar[str]
    """Where a page of `collection` keeps its items."""
    page_size: ClassVar[int] = 10
    """Items per page the contract asks for (with the vendor's own parameters, `first_page`)."""
    default_page_size: ClassVar[int | None] = None
    """Items on a page when the request names no page size (the vendor's default), if known."""
    create_status: ClassVar[tuple[int, ...]] = (200, 201)

    unauthenticated_status: ClassVar[int] = 401
    rate_limit: ClassVar[WindowLimit | ConcurrencyLimit | None] = None
    rate_limit_headers: ClassVar[tuple[str, str] | None] = None
    """(limit header, remaining header) the vendor sends on every authenticated answer, if any."""
    error_keys: ClassVar[tuple[str, ...]] = ("message",)
    """Keys every error body of the vendor carries (`check_error` checks them)."""
    malformed_statuses: ClassVar[tuple[int, ...]] = (400, 422)
    malformed_bodies: ClassVar[tuple[tuple[str, bytes, str], ...]] = (
        ("truncated JSON", b'{"name": "x", ', "application/json"),
        ("JSON that is not UTF-8", b'{"name": "\xff\xfe"}', "application/json"),
        ("a JSON array", b"[1, 2, 3]", "application/json"),
        ("a JSON string", b'"just a string"', "application/json"),
    )
    """(label, body, content type) posted to the create endpoint of `collection`."""
    settle_seconds: ClassVar[float | None] = None
    """Vendor seconds after which an item just created in `collection` is final (`is_settled`: a text
    delivered), for vendors whose items move on in time; None when they do not."""
    skips: ClassVar[Mapping[str, str]] = {}
    """Test name -> why this vendor's behaviour is unknown there (cite the vendor notes)."""

    def auth_headers(self) -> dict[str, str]:
        """Headers with valid credentials of the simulator's (default or configured) account."""
        raise NotImplementedError

    def bad_auth_headers(self) -> list[dict[str, str]]:
        """Headers with wrong credentials (a request without any is always tried as well)."""
        raise NotImplementedError

    def create_body(self, n: int) -> dict[str, Any]:
        """The body that creates the `n`-th distinct item of `collection`."""
        raise NotImplementedError

    def key_of(self, n: int) -> str:
        """What `item_key` reads from the item `create_body(n)` made."""
        raise NotImplementedError

    def item_key(self, item: Any) -> str:
        """The identifying value of one item as a page lists it."""
        raise NotImplementedError

    def first_page(self) -> dict[str, str]:
        """Query parameters of the first page of `page_size` items."""
        raise NotImplementedError

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        """The next page after the one answered `body` for `params`: (path under base_url or absolute URL,
        query parameters), or None after the last page."""
        raise NotImplementedError

    def is_settled(self, item: Any) -> bool:
        """Whether an item of `collection` has reached its final state (with `settle_seconds`)."""
        raise NotImplementedError

    def encode(self, body: dict[str, Any]) -> tuple[bytes, str]:
        """A request body as the vendor takes it: (bytes, content type). Default JSON."""
        return json.dumps(body).encode("utf-8"), "application/json"

    def items_of(self, body: Any) -> list[Any]:
        items = body[self.items_key]
        assert isinstance(items, list), f"{self.items_key} is not a list: {items!r}"
        return items

    def check_error(self, resp: requests.Response, status: int) -> None:
        """Assert that `resp` is the vendor's error answer with `status` (override for its shape)."""
        assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:300]}"
        try:
            body = resp.json()
        except ValueError:
            raise AssertionError(f"an error answer without a JSON body: {resp.text[:300]!r}") from None
        assert isinstance(body, dict), f"an error body that is not an object: {body!r}"
        missing = [k for k in self.error_keys if k not in body]
        assert not missing, f"error body without {missing}: {body}"

    def make_simulator(self, clock: FakeClock, **options: Any) -> Simulator:
        return self.simulator_cls(clock, **{**self.simulator_options, **options})

    # -- fixtures ------------------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _vendor_skips(self, request: pytest.FixtureRequest) -> None:
        name = getattr(request.node, "originalname", None) or request.node.name
        reason = self.skips.get(name)
        if reason:
            pytest.skip(reason)

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def sim(self, clock: FakeClock) -> Iterator[Simulator]:
        sim = self.make_simulator(clock)
        sim.start()
        yield sim
        sim.stop()

    @pytest.fixture
    def api(self, sim: Simulator, clock: FakeClock) -> Iterator[SimApi]:
        api = SimApi(sim, self.auth_headers(), pace=clock)
        yield api
        api.close()

    # -- helpers -------------------------------------------------------------------------------------
    @property
    def creates_at(self) -> str:
        return self.create_path or self.collection

    def create(self, api: SimApi, n: int) -> requests.Response:
        data, ctype = self.encode(self.create_body(n))
        return api.request("POST", self.creates_at, data=data, content_type=ctype)

    def created(self, api: SimApi, n: int) -> None:
        resp = self.create(api, n)
        assert resp.status_code in self.create_status, f"create {n}: {resp.status_code} {resp.text[:300]}"

    def read_pages(self, api: SimApi) -> list[list[Any]]:
        """Every page of `collection`, following the vendor's paging from `first_page`."""
        pages: list[list[Any]] = []
        target: tuple[str, dict[str, str]] | None = (self.collection, self.first_page())
        while target is not None:
            path, params = target
            resp = api.request("GET", path, params=params)
            assert resp.status_code == 200, f"GET {path} {params}: {resp.status_code} {resp.text[:300]}"
            body = resp.json()
            pages.append(self.items_of(body))
            assert len(pages) <= 200, f"paging does not end (last asked for {path} {params})"
            target = self.next_page(body, dict(params))
        return pages

    def keys(self, api: SimApi) -> list[str]:
        return [self.item_key(item) for page in self.read_pages(api) for item in page]

    # -- authentication --------------------------------------------------------------------------------
    def test_no_credentials_are_refused(self, sim: Simulator) -> None:
        resp = requests.get(sim.base_url + self.collection, params=self.first_page(),
                            headers={"Accept": "application/json"}, timeout=TIMEOUT)
        self.check_error(resp, self.unauthenticated_status)

    def test_wrong_credentials_are_refused(self, sim: Simulator, api: SimApi) -> None:
        bad = self.bad_auth_headers()
        assert bad, "give at least one set of wrong credentials"
        data, ctype = self.encode(self.create_body(0))
        for headers in bad:
            wrong = {"Accept": "application/json", **headers}
            resp = requests.get(sim.base_url + self.collection, params=self.first_page(), headers=wrong,
                                timeout=TIMEOUT)
            self.check_error(resp, self.unauthenticated_status)
            resp = requests.post(sim.base_url + self.collection, data=data,
                                 headers={**wrong, "Content-Type": ctype}, timeout=TIMEOUT)
            self.check_error(resp, self.unauthenticated_status)
        assert self.keys(api) == [], "a refused request wrote"

    def test_valid_credentials_are_accepted(self, api: SimApi) -> None:
        resp = api.request("GET", self.collection, params=self.first_page())
        assert 200 <= resp.status_code < 300, resp.text[:300]
        self.created(api, 0)
        assert self.keys(api) == [self.key_of(0)]

    # -- paging ----------------------------------------------------------------------------------------
    def test_pages_hold_every_item_exactly_once(self, api: SimApi) -> None:
        n = 2 * self.page_size + 3
        for i in range(n):
            self.created(api, i)
        pages = self.read_pages(api)
        sizes = [len(p) for p in pages]
        assert all(size <= self.page_size for size in sizes), f"pages larger than asked for: {sizes}"
        assert len([s for s in sizes if s]) == math.ceil(n / self.page_size), f"page sizes {sizes}"
        seen = Counter(self.item_key(item) for page in pages for item in page)
        repeated = {k: c for k, c in seen.items() if c > 1}
        assert not repeated, f"items on more than one page: {repeated}"
        assert set(seen) == {self.key_of(i) for i in range(n)}

    def test_a_page_holds_the_vendors_default_number_of_items(self, api: SimApi) -> None:
        if self.default_page_size is None:
            pytest.skip("the vendor's default page size is not known")
        for i in range(self.default_page_size + 1):
            self.created(api, i)
        resp = api.request("GET", self.collection)
        assert resp.status_code == 200, resp.text[:300]
        assert len(self.items_of(resp.json())) == self.default_page_size

    # -- rate limits -----------------------------------------------------------------------------------
    def test_rate_limit_is_answered_with_the_vendors_429(self, clock: FakeClock) -> None:
        limit = self.rate_limit
        if limit is None:
            pytest.skip("no rate limit declared for this simulator")
        if isinstance(limit, ConcurrencyLimit):
            self._concurrency_limit(limit)
            return
        sim = self.make_simulator(clock, **limit.options)
        sim.start()
        api = SimApi(sim, self.auth_headers())
        try:
            for i in range(limit.requests):
                resp = api.request("GET", self.collection, params=self.first_page())
                assert resp.status_code == 200, f"request {i + 1} of {limit.requests}: {resp.status_code}"
                self._check_rate_headers(resp, limit, remaining=limit.requests - i - 1)
            refused = api.request("GET", self.collection, params=self.first_page())
            self.check_error(refused, limit.status)
            self._check_rate_headers(refused, limit, remaining=0)
            assert sim.log[-1].status == limit.status and (sim.log[-1].fault or "").startswith("rate_limited")
            if limit.retry_after:
                wait = _retry_after(refused)
                assert 1 <= wait <= math.ceil(limit.per_seconds), f"Retry-After {wait} for {limit}"
                clock.advance(wait - 0.5)
                early = api.request("GET", self.collection, params=self.first_page())
                assert early.status_code == limit.status, "admitted before Retry-After had passed"
                clock.advance(0.5)
            else:
                clock.advance(limit.per_seconds)
            again = api.request("GET", self.collection, params=self.first_page())
            assert again.status_code == 200, f"still refused once the window passed: {again.text[:300]}"
        finally:
            api.close()
            sim.stop()

    def _check_rate_headers(self, resp: requests.Response, limit: WindowLimit, remaining: int) -> None:
        if self.rate_limit_headers is None:
            return
        limit_header, remaining_header = self.rate_limit_headers
        assert resp.headers.get(limit_header) == str(limit.requests), dict(resp.headers)
        assert resp.headers.get(remaining_header) == str(remaining), dict(resp.headers)

    def _concurrency_limit(self, limit: ConcurrencyLimit) -> None:
        clock = _GateClock()
        sim = self.make_simulator(clock, **limit.options)
        sim.start()
        url, params, auth = sim.base_url + self.collection, self.first_page(), self.auth_headers()
        statuses: list[int] = []

        def held() -> None:
            try:
                statuses.append(requests.get(url, params=params, headers=auth, timeout=TIMEOUT).status_code)
            finally:
                clock.wake()  # an answer before the gate opened: it was never held

        # `connections` requests parked inside the simulator (a latency fault sleeps on the gate clock)
        sim.inject(Fault("latency", seconds=1.0, count=limit.connections))
        threads = [threading.Thread(target=held) for _ in range(limit.connections)]
        try:
            for t in threads:
                t.start()
            try:
                clock.wait_for(lambda: clock.parked >= limit.connections or bool(statuses))
                assert clock.parked == limit.connections and not statuses, \
                    f"{clock.parked} of {limit.connections} requests held; answered at once: {statuses}"
                refused = requests.get(url, params=params, headers=auth, timeout=TIMEOUT)
                self.check_error(refused, limit.status)
                if limit.retry_after:
                    assert _retry_after(refused) >= 1
            finally:
                clock.open()
                for t in threads:
                    t.join(TIMEOUT)
            assert statuses == [200] * limit.connections, f"the held requests answered {statuses}"
            again = requests.get(url, params=params, headers=auth, timeout=TIMEOUT)
            assert again.status_code == 200, "still refused once the connections were free"
        finally:
            sim.stop()

    def test_provider_declares_the_same_limit(self) -> None:
        if self.provider_name is None or self.rate_limit is None:
            pytest.skip("no provider or rate limit to compare")
        from ..plugins import make_plugins

        limits = make_plugins().registry.get(self.provider_name).limits
        if self.rate_limit.options:
            pytest.skip("the contract runs the simulator with a smaller limit than the vendor's")
        if isinstance(self.rate_limit, ConcurrencyLimit):
            assert limits.max_concurrency <= self.rate_limit.connections, \
                f"the provider opens {limits.max_concurrency} connections; the vendor allows {self.rate_limit}"
            return
        window = self.rate_limit
        strict = [(r.requests, r.per_seconds) for r in limits.rate if r.strict]
        assert (window.requests, window.per_seconds) in strict, \
            f"the provider throttles to {strict}; the simulator refuses beyond {window}"

    # -- faults ----------------------------------------------------------------------------------------
    @pytest.mark.parametrize("status, via", [(503, "python"), (503, "control API"), (500, "python"),
                                             (429, "python")])
    def test_injected_status_is_answered(self, sim: Simulator, status: int, via: str) -> None:
        fault = Fault("status", status=status, retry_after=7 if status == 429 else None)
        if via == "python":
            sim.inject(fault)
        else:
            resp = requests.post(sim.root_url + "/_sim/faults", json=fault.to_dict(), timeout=TIMEOUT)
            assert resp.status_code == 200, resp.text
        api = SimApi(sim, self.auth_headers())  # no pacing: the injected 429 is what is looked at
        try:
            answer = api.request("GET", self.collection, params=self.first_page())
            self.check_error(answer, status)
            if status == 429:
                assert _retry_after(answer) == 7
            assert sim.log[-1].status == status and sim.log[-1].fault == f"status:{status}"
            assert api.request("GET", self.collection, params=self.first_page()).status_code == 200, \
                "a fault of count 1 applies once"
        finally:
            api.close()

    def test_drop_after_writes_but_drops_the_answer(self, sim: Simulator, api: SimApi) -> None:
        sim.inject(Fault("drop_after", method="POST", path_prefix=self.creates_at))
        with pytest.raises(requests.ConnectionError):
            self.create(api, 0)
        assert sim.log[-1].fault == "drop_after"
        assert self.keys(api) == [self.key_of(0)], "drop_after must process the request"

    def test_drop_before_neither_writes_nor_answers(self, sim: Simulator, api: SimApi) -> None:
        sim.inject(Fault("drop_before", method="POST", path_prefix=self.creates_at))
        with pytest.raises(requests.ConnectionError):
            self.create(api, 0)
        assert sim.log[-1].fault == "drop_before" and sim.log[-1].status == 0
        assert self.keys(api) == [], "drop_before must not process the request"
        self.created(api, 0)  # the client's retry then goes through, once
        assert self.keys(api) == [self.key_of(0)]

    # -- persistence -----------------------------------------------------------------------------------
    def test_state_survives_a_restart(self, clock: FakeClock, tmp_path: Path) -> None:
        state_file = tmp_path / "sim-state.json"
        first = self.make_simulator(clock, state_file=state_file)
        first.start()
        api = SimApi(first, self.auth_headers(), pace=clock)
        try:
            self.created(api, 0)
        finally:
            api.close()
            first.stop()
        assert json.loads(state_file.read_text(encoding="utf-8")), "stop() saved nothing"
        second = self.make_simulator(clock, state_file=state_file)
        second.start()
        api = SimApi(second, self.auth_headers(), pace=clock)
        try:
            assert self.keys(api) == [self.key_of(0)], "the item created before the restart is gone"
            self.created(api, 1)  # new ids must not collide with the restored ones
            assert sorted(self.keys(api)) == sorted([self.key_of(0), self.key_of(1)])
        finally:
            api.close()
            second.stop()

    def test_time_goes_on_after_a_restart_in_a_new_process(self, tmp_path: Path) -> None:
        """A new process (`hub simulate --state-dir`, each `--sandbox` command) starts its clock again;
        the restored simulator's time must not go back, or what its state has due stalls."""
        state_file = tmp_path / "sim-state.json"
        day = 86400.0
        before = FakeClock()
        before.advance(day)  # the first process ran for a (vendor) day
        first = self.make_simulator(before, state_file=state_file)
        first.start()
        api = SimApi(first, self.auth_headers(), pace=before)
        try:
            self.created(api, 0)
            if self.settle_seconds is not None:
                assert not self.is_settled(self._item(api, 0)), "settled at once: nothing to resume"
        finally:
            api.close()
            first.stop()
        after = FakeClock(utc=before.utcnow())  # the next process: its clock starts at 0, wall time goes on
        second = self.make_simulator(after, state_file=state_file)
        second.start()
        api = SimApi(second, self.auth_headers(), pace=after)
        try:
            assert second.clock.now() >= day, f"simulated time went back to {second.clock.now()} on restore"
            self.created(api, 1)
            assert sorted(self.keys(api)) == sorted([self.key_of(0), self.key_of(1)])
            if self.settle_seconds is not None:
                after.advance(self.settle_seconds)
                item = self._item(api, 0)
                assert self.is_settled(item), f"not settled {self.settle_seconds}s after the restart: {item}"
        finally:
            api.close()
            second.stop()

    def _item(self, api: SimApi, n: int) -> Any:
        found = [item for page in self.read_pages(api) for item in page if self.item_key(item) == self.key_of(n)]
        assert len(found) == 1, f"item {n}: {found}"
        return found[0]

    # -- malformed bodies ------------------------------------------------------------------------------
    def test_malformed_bodies_are_the_vendors_client_error(self, sim: Simulator, api: SimApi) -> None:
        failures = []
        for label, data, ctype in self.malformed_bodies:
            resp = api.request("POST", self.creates_at, data=data, content_type=ctype)
            try:
                assert resp.status_code in self.malformed_statuses, \
                    f"{resp.status_code} (expected one of {self.malformed_statuses}): {resp.text[:300]}"
                self.check_error(resp, resp.status_code)
            except AssertionError as exc:
                failures.append(f"{label}: {exc}")
        assert not failures, "\n".join(failures)
        assert self.keys(api) == [], "a malformed body created something"
        self.created(api, 0)  # and the simulator still serves

    # -- request log -----------------------------------------------------------------------------------
    def test_every_request_is_logged(self, sim: Simulator, api: SimApi) -> None:
        sim.log.clear()
        answers = [
            requests.get(sim.base_url + self.collection, headers={"Accept": "application/json"}, timeout=TIMEOUT),
            api.request("GET", self.collection, params=self.first_page()),
            self.create(api, 0),
            api.request("GET", "/no-such-route/at/all"),
        ]
        self.check_error(answers[3], 404)
        want = [(r.request.method, _path(r.request.url or ""), r.status_code) for r in answers]
        got = [(e.method, e.path, e.status) for e in sim.log]
        assert got == want
        assert [e.is_write for e in sim.log] == [False, False, True, False]
        assert sim.log[0].account is None and sim.log[1].account is not None
        over_http = requests.get(sim.root_url + "/_sim/log", timeout=TIMEOUT).json()
        assert [(e["method"], e["path"], e["status"]) for e in over_http] == want, \
            "the control API must show the same log (and not log itself)"


class _GateClock(FakeClock):
    """A FakeClock whose `sleep` parks the sleeping request thread until `open()`: a latency fault then
    holds requests in flight inside the simulator, without anyone waiting on wall time."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._open = False
        self.parked = 0

    def sleep(self, seconds: float) -> None:
        with self._cond:
            self.parked += 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._open, TIMEOUT)
        super().sleep(seconds)

    def wait_for(self, predicate: Callable[[], bool]) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, TIMEOUT)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def open(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


def _retry_after(resp: requests.Response) -> int:
    value = resp.headers.get("Retry-After")
    assert value is not None, f"no Retry-After on the {resp.status_code}: {dict(resp.headers)}"
    assert value.strip().isdigit(), f"Retry-After is not whole seconds: {value!r}"
    return int(value)


def _path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path).rstrip("/") or "/"
