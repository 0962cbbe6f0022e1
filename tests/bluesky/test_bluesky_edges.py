"""The Bluesky provider's edges: reading the author's records back page by page to the right time, sessions kept
in the keyring across processes, XRPC errors as hub's errors, Bluesky's limits in check_client, and what happens
to a held post edited or taken out of the workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hub.clock import FakeClock
from hub.plugin import AuthError, NotFound, RateLimited, SocialPost, Unavailable, VendorValidationError
from hub.testing import Harness, make_client
from hub.testing.fixtures import MemoryKeyring
from hub_bluesky import api as bsky_api
from hub_bluesky import mapping
from hub_bluesky.api import BlueskyApi
from hub_bluesky.provider import BlueskyProvider
from hub_bluesky.simulator import BlueskySimulator

LIST = "/com.atproto.repo.listRecords"
DAY = 86400.0


def harness(tmp_path: Path, campaigns: list[dict[str, Any]], **settings: Any) -> Harness:
    return Harness(BlueskyProvider, make_client("bluesky", campaigns=campaigns), tmp_path, FakeClock(),
                   settings=settings or None)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    hh = harness(tmp_path, [])
    yield hh
    hh.close()


def api_of(h: Harness) -> BlueskyApi:
    assert isinstance(h.provider.api, BlueskyApi)
    return h.provider.api


def sim(h: Harness) -> BlueskySimulator:
    assert isinstance(h.simulator, BlueskySimulator)
    return h.simulator


def texts(h: Harness) -> list[str]:
    return [p["text"] for p in sim(h).posts("sandbox")]


def changes(h: Harness, **kw: Any) -> dict[str, Any]:
    return {c.id: c for c in h.plan(**kw).changes}


# -- reading back ------------------------------------------------------------------------------------------
def test_read_back_pages_to_when_the_post_could_have_been_made(h: Harness) -> None:
    api = api_of(h)
    started = h.clock.utcnow()
    first = api.publish({"text": "the first"}, "k-first")
    h.clock.advance(DAY)  # type: ignore[attr-defined]
    for i in range(120):  # more than a page (100) of later posts
        api.publish({"text": f"later {i}"}, f"k-{i}", h.clock.utcnow())
        h.clock.advance(60)  # type: ignore[attr-defined]
    lists = len([e for e in sim(h).log if e.path.endswith(LIST)])
    found = api.find_post("k-first", started)
    assert found is not None and found["uri"] == first
    assert len([e for e in sim(h).log if e.path.endswith(LIST)]) - lists == 2  # both pages
    # the newest page only, when hub does not know when an earlier attempt was
    assert api.find_post("k-first", None) is None
    # and no further back than the earliest moment the post could have been made
    lists = len([e for e in sim(h).log if e.path.endswith(LIST)])
    assert api.find_post("k-first", h.clock.utcnow()) is None
    assert len([e for e in sim(h).log if e.path.endswith(LIST)]) - lists == 1
    # publishing again under the same key, told when the first attempt began, finds it
    assert api.publish({"text": "the first"}, "k-first", started) == first
    assert len(sim(h).posts("sandbox")) == 121


def test_a_post_with_the_same_text_but_another_key_is_another_post(h: Harness) -> None:
    api = api_of(h)
    assert api.publish({"text": "Same words"}, "a") != api.publish({"text": "Same words"}, "b")
    assert texts(h) == ["Same words", "Same words"]


# -- sessions --------------------------------------------------------------------------------------------
def test_the_session_is_kept_in_the_keyring_across_processes(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    hh = harness(tmp_path, [{"id": "hi", "name": "Hi", "schedule": "now", "social": {"text": "Hi"}}],
                 persist_session=True)
    try:
        hh.apply()
        assert sim(hh).sessions_created("sandbox") == 1
        [(service, user)] = memory_keyring.entries
        assert (service, user) == ("hub", "bluesky-session:sandbox.bsky.social@127.0.0.1")
        assert BlueskySimulator.SANDBOX_APP_PASSWORD not in memory_keyring.entries[(service, user)]
        bsky_api.forget_sessions()  # a new process: only the keyring remembers
        api_of(hh).publish_post(SocialPost(text="again"), "k")
        assert sim(hh).sessions_created("sandbox") == 1
        # a kept session the PDS no longer takes: one new login, kept in its place
        kept = memory_keyring.entries[(service, user)]
        memory_keyring.entries[(service, user)] = kept.replace('"access": "', '"access": "x')
        bsky_api.forget_sessions()
        api_of(hh).publish_post(SocialPost(text="once more"), "k2")
        assert sim(hh).sessions_created("sandbox") == 2
        assert '"access": "x' not in memory_keyring.entries[(service, user)]
    finally:
        hh.close()


def test_sandbox_sessions_never_reach_the_keyring(h: Harness, memory_keyring: MemoryKeyring) -> None:
    api_of(h).publish_post(SocialPost(text="hello"), "k")
    assert memory_keyring.entries == {}


# -- errors ----------------------------------------------------------------------------------------------
def test_xrpc_errors_are_hubs(h: Harness) -> None:
    api = api_of(h)
    now = h.clock.utcnow().timestamp()
    limited = api.map_error(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                            {"ratelimit-reset": str(int(now) + 120), "ratelimit-limit": "30"})
    assert isinstance(limited, RateLimited) and limited.retry_after == 120
    two_factor = api.map_error(401, {"error": "AuthFactorTokenRequired", "message": "A sign in code"}, {})
    assert isinstance(two_factor, AuthError) and "app password" in str(two_factor)
    assert isinstance(api.map_error(401, {"error": "AuthenticationRequired", "message": "Invalid"}, {}), AuthError)
    assert isinstance(api.map_error(400, {"error": "InvalidRequest", "message": "bad"}, {}), VendorValidationError)
    assert isinstance(api.map_error(400, {"error": "RecordNotFound", "message": "gone"}, {}), NotFound)
    assert isinstance(api.map_error(502, {"error": "UpstreamFailure", "message": "x"}, {}), Unavailable)


def test_the_login_limit_is_waited_out_at_ratelimit_reset(h: Harness) -> None:
    # 30 logins in 5 minutes spent elsewhere: hub's one login waits until the window turns, on hub's clock
    for _ in range(30):
        resp = requests.post(sim(h).base_url + "/com.atproto.server.createSession", timeout=30, json={
            "identifier": BlueskySimulator.SANDBOX_HANDLE, "password": BlueskySimulator.SANDBOX_APP_PASSWORD})
        assert resp.status_code == 200
    api_of(h).publish({"text": "after the wait"}, "k")
    assert texts(h) == ["after the wait"]
    refused = [e for e in sim(h).log if e.path.endswith("createSession") and e.status == 429]
    assert refused and sum(h.clock.slept) >= 1  # type: ignore[attr-defined]
    assert sim(h).sessions_created("sandbox") == 31


def test_a_wrong_app_password_is_an_auth_error(tmp_path: Path) -> None:
    hh = harness(tmp_path, [], app_password="wrong-pass-word-here")
    try:
        with pytest.raises(AuthError) as info:
            api_of(hh).publish({"text": "x"}, "k")
        assert "wrong-pass-word-here" not in str(info.value)
    finally:
        hh.close()


# -- check_client ----------------------------------------------------------------------------------------
def problems(tmp_path: Path, social: dict[str, Any]) -> list[Any]:
    client = make_client("bluesky", campaigns=[{"id": "p", "name": "P", "schedule": "now", "social": social}])
    client.dir = str(tmp_path)
    return BlueskyProvider.check_client(client, "main")


def test_a_family_emoji_is_one_grapheme_and_bytes_are_counted_too(tmp_path: Path) -> None:
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # 25 bytes, one grapheme
    assert mapping.graphemes(family) == 1 and mapping.graphemes("e\u0301") == 1
    assert problems(tmp_path, {"text": family * 120}) == []  # 3,000 bytes
    [over] = problems(tmp_path, {"text": family * 121})
    assert "3,025 bytes" in over.message and "3,000" in over.message


def test_an_image_over_bluesky_s_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(b"\0" * 1_000_001)
    (tmp_path / "ok.png").write_bytes(b"\0" * 1_000_000)
    [big] = problems(tmp_path, {"text": "x", "image": "big.png", "alt": "a"})
    assert "1,000,001 bytes" in big.message and "1,000,000" in big.message
    assert problems(tmp_path, {"text": "x", "image": "ok.png", "alt": "a"}) == []


# -- held posts ------------------------------------------------------------------------------------------
LATER = {"id": "later", "name": "Later", "schedule": "2026-01-09 09:00", "social": {"text": "Tasting day"}}


def test_a_held_post_edited_before_its_time_is_held_with_the_new_text(tmp_path: Path) -> None:
    hh = harness(tmp_path, [LATER])
    try:
        hh.apply()
        hh.account.client.campaigns[0].social.text = "Tasting day, now with cheese"  # type: ignore[union-attr]
        change = changes(hh)["later"]
        assert change.action == "update" and "held by hub" in change.reason
        hh.apply()
        assert texts(hh) == []
        rec = hh.state.item("acme", "main", "social_post", "later")
        assert rec is not None and rec.data["post"]["text"] == "Tasting day, now with cheese"
        hh.clock.advance(9 * DAY + 9 * 3600)  # type: ignore[attr-defined]
        hh.apply()
        assert texts(hh) == ["Tasting day, now with cheese"]
    finally:
        hh.close()


def test_taken_out_of_the_workspace_held_is_dropped_and_published_is_forgotten(tmp_path: Path) -> None:
    now = {"id": "now", "name": "Now", "schedule": "now", "social": {"text": "Out now"}}
    hh = harness(tmp_path, [now, LATER])
    try:
        hh.apply()
        hh.account.client.campaigns.clear()
        plan = changes(hh, prune=True)
        assert plan["now"].action == "delete" and "already published on Bluesky" in plan["now"].reason
        assert "never deletes it" in plan["now"].reason
        assert plan["later"].action == "delete"
        hh.apply(prune=True)
        assert texts(hh) == ["Out now"]  # the published post stays on Bluesky
        assert hh.state.items("acme", "main", "social_post") == []
        assert [c for c in hh.plan(prune=True).changes if c.writes] == []
    finally:
        hh.close()
