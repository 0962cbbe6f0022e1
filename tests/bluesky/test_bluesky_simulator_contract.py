"""The simulator conformance kit against the Bluesky simulator (vendor notes: social-runner-reports-migrate.md §1).

XRPC lists and creates at two methods (GET com.atproto.repo.listRecords, POST com.atproto.repo.createRecord): the
kit lists at `collection` and creates at `create_path`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from hub.simulator import Simulator
from hub.testing import SimApi, SimulatorContract, WindowLimit
from hub_bluesky.simulator import BlueskySimulator

Sim = BlueskySimulator
LIST = "/com.atproto.repo.listRecords"
CREATE = "/com.atproto.repo.createRecord"
JSON = "application/json"


def _login(sim: Simulator) -> str:
    resp = requests.post(sim.base_url + "/com.atproto.server.createSession",
                         json={"identifier": Sim.SANDBOX_HANDLE, "password": Sim.SANDBOX_APP_PASSWORD}, timeout=30)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["accessJwt"])


class TestBlueskySimulatorContract(SimulatorContract):
    simulator_cls = BlueskySimulator
    provider_name = "bluesky"
    collection = LIST
    create_path = CREATE
    items_key = "records"
    create_status = (200,)
    # 3,000 requests per 5 minutes; exercised at 20 (the kit would make 3,000 requests); Bluesky sends
    # ratelimit-* headers, not Retry-After (docs.bsky.app rate limits)
    rate_limit = WindowLimit(requests=20, per_seconds=300.0, retry_after=False, options={"request_limit": 20})
    error_keys = ("error", "message")
    malformed_statuses = (400,)
    # the fixture's token outlives the kit's restart test, which moves the clock a day on (the PDS: ~2 hours)
    simulator_options = {"access_ttl": 30 * 86400.0}
    _token: str = ""

    @pytest.fixture(autouse=True)
    def _session(self, sim: Simulator) -> None:
        # an access token of this simulator (signed with its key: valid on any instance, and after a restart)
        type(self)._token = _login(sim)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def bad_auth_headers(self) -> list[dict[str, str]]:
        forged = self._token.rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
        return [{"Authorization": "Bearer not-a-jwt"}, {"Authorization": f"Bearer {forged}"},
                {"Authorization": f"Basic {Sim.SANDBOX_APP_PASSWORD}"}]

    def create_body(self, n: int) -> dict[str, Any]:
        return {"repo": Sim.SANDBOX_HANDLE, "collection": "app.bsky.feed.post",
                "record": {"$type": "app.bsky.feed.post", "text": self.key_of(n),
                           "createdAt": "2026-01-01T00:00:00.000Z"}}

    def key_of(self, n: int) -> str:
        return f"contract post {n}"

    def item_key(self, item: Any) -> str:
        return str(item["value"]["text"])

    def first_page(self) -> dict[str, str]:
        return {"repo": Sim.SANDBOX_HANDLE, "collection": "app.bsky.feed.post", "limit": str(self.page_size)}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        cursor = body.get("cursor")
        return (self.collection, {**params, "cursor": cursor}) if cursor else None

    # -- Bluesky's own -------------------------------------------------------------------------------------
    def test_post_rules_are_invalid_request(self, api: SimApi) -> None:
        def post(record: dict[str, Any]) -> requests.Response:
            body = {**self.create_body(0), "record": {**self.create_body(0)["record"], **record}}
            return api.request("POST", CREATE, data=json.dumps(body).encode(), content_type=JSON)

        for record in ({"text": "👍🏽" * 301}, {"text": "é" * 1501 + "x" * 10}, {"createdAt": "yesterday"},
                       {"text": "hi", "facets": [{"index": {"byteStart": 0, "byteEnd": 3},
                                                  "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "x"}]}]},
                       {"embed": {"$type": "app.bsky.embed.external", "external": {"uri": "https://x"}}}):
            resp = post(record)
            assert resp.status_code == 400 and resp.json()["error"] == "InvalidRequest", (record, resp.text)
        assert post({"text": "👍🏽" * 300}).status_code == 200
        assert self.keys(api) == ["👍🏽" * 300]

    def test_expired_token_and_session_limit(self, sim: Simulator, clock: Any) -> None:
        for _ in range(29):  # 30 logins per 5 minutes: one made by the fixture
            _login(sim)
        resp = requests.post(sim.base_url + "/com.atproto.server.createSession",
                             json={"identifier": Sim.SANDBOX_HANDLE, "password": Sim.SANDBOX_APP_PASSWORD},
                             timeout=30)
        assert resp.status_code == 429 and resp.json()["error"] == "RateLimitExceeded"
        assert resp.headers["ratelimit-policy"] == "30;w=300" and int(resp.headers["ratelimit-reset"]) > 0
        assert isinstance(sim, BlueskySimulator) and sim.sessions_created("sandbox") == 30
        api = SimApi(sim, self.auth_headers())
        try:
            clock.advance(30 * 86400 + 1)
            resp = api.request("GET", LIST, params=self.first_page())
            assert resp.status_code == 400 and resp.json()["error"] == "ExpiredToken"
        finally:
            api.close()

    def test_record_keys_and_fields_the_lexicon_does_not_name(self, api: SimApi) -> None:
        def create(**extra: Any) -> requests.Response:
            body = {**self.create_body(0), **extra}
            return api.request("POST", CREATE, data=json.dumps(body).encode(), content_type=JSON)

        assert create(rkey="my-own-key").json()["error"] == "InvalidRequest"  # a post's key must be a TID
        made = create(rkey="3kabcdefghij2")
        assert made.status_code == 200 and made.json()["uri"].endswith("/app.bsky.feed.post/3kabcdefghij2")
        again = create(rkey="3kabcdefghij2")
        assert again.status_code == 400 and "already exists" in again.json()["message"]
        marked = {**self.create_body(1)["record"], "hubKey": "abc123"}
        assert create(record=marked).status_code == 200
        [newest, _] = api.request("GET", LIST, params=self.first_page()).json()["records"]
        assert newest["value"]["hubKey"] == "abc123"  # kept, and listed newest first
