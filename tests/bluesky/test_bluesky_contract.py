"""The provider conformance kit against the Bluesky provider and its simulator.

Bluesky's posts are planned against hub's state (`live_read = False`: a post is made once), so two kit tests that
need a live-read kind skip themselves; they are restated below for posts: every page of the author's records is
read, and a crash between posting and recording is settled by reading the records back. The members test skips:
Bluesky has no audience."""

from __future__ import annotations

import dataclasses

import pytest

from hub.model import Client
from hub.plugin import References
from hub.testing import Harness, ProviderContract, make_client
from hub_bluesky.resources import SocialPostResource
from hub_bluesky.simulator import BlueskySimulator


def _posts(harness: Harness) -> list[str]:
    assert isinstance(harness.simulator, BlueskySimulator)
    return [p["uri"] for p in harness.simulator.posts("sandbox")]


class TestBlueskyContract(ProviderContract):
    provider_name = "bluesky"

    @pytest.fixture
    def sample_client(self) -> Client:
        return make_client("bluesky", campaigns=[
            {"id": "launch", "name": "Launch", "schedule": "now",
             "social": {"text": "Spring is here! #spring https://acme.example/spring", "language": "en"}},
            {"id": "later", "name": "Later", "schedule": "2026-01-09 09:00",
             "social": {"text": "Next week: tasting day", "link": "https://acme.example/tasting"}},
        ])

    def test_every_page_of_posts_is_read(self, harness: Harness) -> None:
        res = harness.provider.resource("social_post")
        assert isinstance(res, SocialPostResource)
        refs = References()  # a post refers to no other item
        [want] = [w for w in res.desired(harness.account.client, refs) if w.payload["at"] == "now"]
        n = self.page_size_hint + 5
        for i in range(n):
            res.create(dataclasses.replace(want, id=f"{want.id}-{i}", natural_key=f"{want.natural_key} {i:03d}",
                                           payload={**want.payload, "text": f"{want.payload['text']} {i:03d}"},
                                           details={}), refs)
        assert len(res.read_live(refs)) == n

    def test_a_crash_between_posting_and_recording_posts_once(self, harness: Harness) -> None:
        plan = harness.plan()
        [first] = [c for c in plan.changes if c.action == "create" and c.id == "launch"]
        harness.state.begin("crashed", first.client, first.account, first.provider, first.kind,
                            [(first.id, "create", first.natural_key, first.fingerprint)])
        made = harness.provider.resource(first.kind).create(first.desired(), References())
        harness.apply()  # settles the write by reading the author's records back, then applies the rest
        assert harness.state.pending() == []
        assert _posts(harness) == [made]
        rec = harness.state.item(first.client, first.account, first.kind, first.id)
        assert rec is not None and rec.vendor_id == made
        assert [c for c in harness.plan().changes if c.writes] == []
