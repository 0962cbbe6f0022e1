"""The Bluesky provider end to end against its simulator, on a FakeClock: posts made once whatever happens
(re-apply, lost answers, two publishers), scheduled posts held by hub and published when due, one login per
account and process, rich text with UTF-8 byte offsets, and Bluesky's length rules in check_client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.plugin import References, SocialPost
from hub.simulator import Fault
from hub.testing import Harness, make_client
from hub_bluesky import api as bsky_api
from hub_bluesky import mapping
from hub_bluesky.provider import BlueskyProvider
from hub_bluesky.resources import SocialPostResource
from hub_bluesky.simulator import POSTS, BlueskySimulator

CREATE = "/com.atproto.repo.createRecord"
NOW = {"id": "hello", "name": "Hello", "schedule": "now", "social": {"text": "Hello from Acme #news"}}
LATER = {"id": "tasting", "name": "Tasting", "schedule": "2026-01-09 09:00",  # Europe/London: 09:00 UTC
         "social": {"text": "Tasting day today", "link": "https://acme.example/tasting"}}
DAY = 86400.0


def harness(tmp_path: Path, campaigns: list[dict[str, Any]], clock: FakeClock | None = None) -> Harness:
    return Harness(BlueskyProvider, make_client("bluesky", campaigns=campaigns), tmp_path, clock or FakeClock())


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    hh = harness(tmp_path, [NOW, LATER])
    yield hh
    hh.close()


def sim(h: Harness) -> BlueskySimulator:
    assert isinstance(h.simulator, BlueskySimulator)
    return h.simulator


def posts(h: Harness) -> list[dict[str, Any]]:
    return sim(h).posts("sandbox")


def untyped(value: dict[str, Any]) -> dict[str, Any]:
    """`value` without the `$type` the SDK adds to nested objects when it serialises a record."""
    return {k: v for k, v in value.items() if k != "$type"}


def resource(h: Harness) -> SocialPostResource:
    res = h.provider.resource("social_post")
    assert isinstance(res, SocialPostResource)
    return res


def writes(plan: Any) -> list[Any]:
    return [c for c in plan.changes if c.writes]


def test_now_posts_once_and_scheduled_is_held(h: Harness) -> None:
    report = h.apply()
    assert not report.failed, [c.error for c in report.failed]
    assert [p["text"] for p in posts(h)] == ["Hello from Acme #news"]
    held = h.state.item("acme", "main", "social_post", "tasting")
    assert held is not None and held.data["held_until"] == "2026-01-09T09:00:00Z"
    assert held.data["post"]["link"] == "https://acme.example/tasting"  # enough to publish from state
    published = h.state.item("acme", "main", "social_post", "hello")
    assert published is not None and published.vendor_id.startswith("at://") and "held_until" not in published.data
    assert writes(h.plan()) == []
    h.apply()
    assert len(posts(h)) == 1


def test_held_post_is_published_by_the_apply_after_its_time(h: Harness) -> None:
    h.apply()
    h.clock.advance(9 * DAY + 9 * 3600)  # type: ignore[attr-defined]
    plan = h.plan()
    [due] = writes(plan)
    assert due.id == "tasting" and "due now, published by this apply" in due.reason
    h.apply(plan)
    assert [p["text"] for p in posts(h)] == ["Hello from Acme #news", "Tasting day today"]
    embed = posts(h)[1]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    card = {"uri": "https://acme.example/tasting", "title": "acme.example", "description": ""}
    assert untyped(embed["external"]) == card
    rec = h.state.item("acme", "main", "social_post", "tasting")
    assert rec is not None and "held_until" not in rec.data and rec.vendor_id == posts(h)[1]["uri"]
    assert writes(h.plan()) == []


def test_release_due_twice_makes_one_post(h: Harness) -> None:
    h.apply()
    rec = h.state.item("acme", "main", "social_post", "tasting")
    assert rec is not None
    res = resource(h)
    assert res.release_due(rec.vendor_id, rec.data, h.clock.utcnow()) is None  # not due yet
    h.clock.advance(9 * DAY + 9 * 3600)  # type: ignore[attr-defined]
    first = res.release_due(rec.vendor_id, rec.data, h.clock.utcnow())
    second = res.release_due(rec.vendor_id, rec.data, h.clock.utcnow())
    assert first is not None and second is not None and first[0] == second[0]
    assert "held_until" not in first[1]
    assert len(posts(h)) == 2


def test_lost_answers_never_double_post(h: Harness) -> None:
    sim(h).inject(Fault("drop_after", method="POST", path_prefix=CREATE, count=1))
    h.apply()
    h.apply()
    assert [p["text"] for p in posts(h)] == ["Hello from Acme #news"]
    h.clock.advance(9 * DAY + 9 * 3600)  # type: ignore[attr-defined]
    rec = h.state.item("acme", "main", "social_post", "tasting")
    assert rec is not None
    sim(h).inject(Fault("drop_after", method="POST", path_prefix=CREATE, count=1))
    res = resource(h)
    res.release_due(rec.vendor_id, rec.data, h.clock.utcnow())
    res.release_due(rec.vendor_id, rec.data, h.clock.utcnow())
    assert len(posts(h)) == 2


def test_posts_are_marked_with_their_key_and_keyed_by_the_pds(h: Harness) -> None:
    h.apply()
    [post] = posts(h)
    [record] = [r for r in sim(h).table("sandbox", POSTS).values() if r["uri"] == post["uri"]]
    assert record["value"][mapping.MARK] == mapping.mark_for("campaign:acme/main/hello")
    # the PDS's own record key (a TID of its clock), so the post sorts where it belongs
    assert mapping.tid_time(post["rkey"]) == h.clock.utcnow()
    assert post["createdAt"] == mapping.iso_now(h.clock.utcnow())


def test_a_crash_after_posting_is_settled_by_reading_back(h: Harness) -> None:
    # the post is made, then the process dies before hub records it: the next apply reads the author's records
    # back from when that write began and adopts the post
    plan = h.plan()
    [first] = [c for c in plan.changes if c.id == "hello"]
    h.state.begin("crashed", first.client, first.account, first.provider, first.kind,
                  [(first.id, "create", first.natural_key, first.fingerprint)])
    resource(h).create(first.desired(), References())
    h.clock.advance(3600)  # type: ignore[attr-defined]
    h.apply()
    assert [p["text"] for p in posts(h)] == ["Hello from Acme #news"]
    rec = h.state.item("acme", "main", "social_post", "hello")
    assert rec is not None and rec.vendor_id == posts(h)[0]["uri"] and "unknown" not in rec.data
    assert writes(h.plan()) == []


def test_edit_after_publishing_is_not_posted_again(h: Harness) -> None:
    h.apply()
    h.account.client.campaigns[0].social.text = "Hello again"  # type: ignore[union-attr]
    [change] = writes(h.plan())
    assert "already published on Bluesky" in change.reason
    h.apply()
    assert len(posts(h)) == 1 and writes(h.plan()) == []


def test_publish_post_is_idempotent_by_key(h: Harness) -> None:
    api = h.provider.api
    post = SocialPost(text="From the runner")
    sim(h).inject(Fault("drop_after", method="POST", path_prefix=CREATE, count=1))
    first = api.publish_post(post, "acme/welcome/s1/2026-01-01")
    second = api.publish_post(post, "acme/welcome/s1/2026-01-01")
    assert first == second and [p["text"] for p in posts(h)] == ["From the runner"]


def test_one_login_and_refresh_not_relogin(h: Harness) -> None:
    h.plan()
    h.apply()
    h.apply()
    assert sim(h).sessions_created("sandbox") == 1
    h.clock.advance(3 * 3600)  # type: ignore[attr-defined]  # the access token (2 hours) expired
    h.provider.api.publish_post(SocialPost(text="later"), "k1")
    # and when hub's clock cannot tell (a token without exp), the PDS's ExpiredToken does
    key = h.provider.api._key  # type: ignore[attr-defined]
    bsky_api._SESSIONS[key] = dataclasses.replace(bsky_api._SESSIONS[key], expires=0)
    h.clock.advance(3 * 3600)  # type: ignore[attr-defined]
    h.provider.api.publish_post(SocialPost(text="later still"), "k2")
    assert sim(h).sessions_created("sandbox") == 1
    assert len([e for e in sim(h).log if e.path.endswith("refreshSession")]) == 2


def test_facets_after_an_emoji_have_byte_offsets(tmp_path: Path) -> None:
    text = "👍🏽 Hi @alice.bsky.social see https://acme.example/x. #spring"
    facets = mapping.facets(text, {"alice.bsky.social": "did:plc:alice"})
    raw = text.encode()
    assert [raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in facets] == \
        ["@alice.bsky.social", "https://acme.example/x", "#spring"]
    assert facets[0]["index"]["byteStart"] == 12  # 8 bytes of emoji, a space, "Hi "
    hh = harness(tmp_path, [{"id": "rich", "name": "Rich", "schedule": "now", "social": {"text": text}}])
    try:
        hh.apply()
        [post] = posts(hh)
        assert [f["features"][0]["$type"].rsplit("#")[1] for f in post["facets"]] == ["mention", "link", "tag"]
        assert post["facets"][0]["features"][0]["did"] == BlueskySimulator.OTHER_HANDLES["alice.bsky.social"]
        assert untyped(post["facets"][0]["index"]) == facets[0]["index"]
    finally:
        hh.close()


def test_check_client_counts_graphemes() -> None:
    def problems(text: str) -> list[Any]:
        client = make_client("bluesky", campaigns=[{"id": "long", "name": "Long", "schedule": "now",
                                                    "social": {"text": text}}])
        client.campaigns[0].social.located("clients/acme/campaigns/long.yaml:7")  # type: ignore[union-attr]
        return BlueskyProvider.check_client(client, "main")

    assert mapping.graphemes("👍🏽" * 300) == 300
    assert problems("👍🏽" * 300) == []
    [problem] = problems("👍🏽" * 301)
    assert problem.file == "clients/acme/campaigns/long.yaml" and problem.line == 7
    assert "301" in problem.message and "300" in problem.message and "Bluesky" in problem.message
    assert "overrides:" in problem.message
    [url] = BlueskyProvider.check_client(make_client("bluesky", campaigns=[{
        "id": "u", "name": "U", "schedule": "now",
        "social": {"text": "x", "image": "https://acme.example/a.png"}}]), "main")
    assert "folder" in url.message


def test_image_with_alt_is_uploaded_as_a_blob(tmp_path: Path) -> None:
    image = tmp_path / "spring.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    hh = harness(tmp_path, [{"id": "pic", "name": "Pic", "schedule": "now", "social": {
        "text": "Spring", "image": str(image), "alt": "Blossom on the bakery window",
        "link": "https://acme.example/spring"}}])
    try:
        report = hh.apply()
        assert not report.failed, [c.error for c in report.failed]
        [post] = posts(hh)
        assert post["text"] == "Spring\nhttps://acme.example/spring"  # the image takes the embed
        assert post["facets"][0]["features"][0]["uri"] == "https://acme.example/spring"
        [img] = post["embed"]["images"]
        assert img["alt"] == "Blossom on the bakery window" and img["image"]["size"] == 108
        assert img["image"]["mimeType"] == "image/png"
    finally:
        hh.close()
