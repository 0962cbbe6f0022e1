"""The Mastodon provider at its edges, against its simulator on a FakeClock: a remake interrupted between its delete
and its post, two campaigns with the same text, an image Mastodon takes a while to process, a runner post deleted
at the instance before its answer came back, and validation naming the post's file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from workspace_fixtures import line_of, load, problems_of, write_files

from hub.clock import FakeClock
from hub.errors import Unavailable
from hub.plugin import SocialPost
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.testing import Harness, make_client
from hub_mastodon.api import DELETED
from hub_mastodon.provider import MastodonProvider
from hub_mastodon.resources import numbered
from hub_mastodon.simulator import MastodonSimulator

ACC = MastodonSimulator.SANDBOX_ACCOUNT
STATUSES = "/api/v1/statuses"
LATER = {"id": "tasting", "name": "Tasting", "schedule": "2026-01-09 09:00",
         "social": {"text": "Tasting day on Friday"}}
DAY = 86400.0


def harness(tmp_path: Path, campaigns: list[dict[str, Any]], sim: MastodonSimulator | None = None,
            **client: Any) -> Harness:
    c = make_client("mastodon", campaigns=campaigns)
    if client:
        c = c.model_copy(update=client)
    clock = sim.clock if sim is not None else FakeClock()
    assert isinstance(clock, FakeClock)
    return Harness(MastodonProvider, c, tmp_path, clock, simulator=sim)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    hh = harness(tmp_path, [LATER])
    yield hh
    hh.close()


def sim(h: Harness) -> MastodonSimulator:
    assert isinstance(h.simulator, MastodonSimulator)
    return h.simulator


def writes_planned(h: Harness) -> list[Any]:
    return [c for c in h.plan().changes if c.writes]


def test_a_remake_cut_off_after_its_delete_leaves_one_post_after_the_next_apply(h: Harness) -> None:
    """A new text: the scheduled status is deleted, then made again. Cut off in between (the instance unreachable
    for the post), nothing is left going out twice, and the next apply makes the one post."""
    h.apply()
    [old] = sim(h).scheduled_statuses(ACC)
    h.account.client = make_client("mastodon", campaigns=[{**LATER, "social": {"text": "Tasting on Saturday"}}])
    h.simulator.inject(Fault("drop_before", method="POST", path_prefix=STATUSES, count=-1))
    report = h.apply()
    [failed] = report.failed
    assert failed.id == "tasting"
    assert sim(h).scheduled_statuses(ACC) == [], "deleted first: never the old and the new going out together"
    h.simulator.clear_faults()
    [change] = writes_planned(h)
    assert change.action == "create"
    h.apply()
    assert [s["params"]["text"] for s in sim(h).scheduled_statuses(ACC)] == ["Tasting on Saturday"]
    assert sim(h).statuses(ACC) == [] and writes_planned(h) == []
    assert old["id"] not in {s["id"] for s in sim(h).scheduled_statuses(ACC)}


def test_two_campaigns_with_the_same_text_are_two_posts_each_kept_apart(tmp_path: Path) -> None:
    first = {**LATER, "id": "friday", "schedule": "2026-01-09 09:00"}
    second = {**LATER, "id": "next-friday", "schedule": "2026-01-16 09:00"}
    hh = harness(tmp_path, [second, first])
    try:
        hh.apply()
        shown = sorted((s["scheduled_at"], s["params"]["text"]) for s in sim(hh).scheduled_statuses(ACC))
        assert shown == [("2026-01-09T09:00:00.000Z", "Tasting day on Friday"),
                         ("2026-01-16T09:00:00.000Z", "Tasting day on Friday")]
        assert writes_planned(hh) == [], "each campaign keeps its own status (no swapping of times)"
        assert isinstance(hh.clock, FakeClock)
        hh.clock.advance(9 * DAY)  # the first is published by Mastodon, the second still scheduled
        assert writes_planned(hh) == []
        hh.apply()
        hh.clock.advance(7 * DAY)  # both published
        assert writes_planned(hh) == []
        hh.apply()
        records = {r.neutral_id: r.vendor_id for r in hh.state.items("acme", "main", "social_post")}
        published = {s["id"] for s in sim(hh).statuses(ACC)}
        assert len(published) == 2 and {v.removeprefix("status/") for v in records.values()} == published
        assert sum(1 for e in hh.simulator.log if e.method == "POST" and e.path == STATUSES) == 2
    finally:
        hh.close()


def test_a_campaign_to_come_is_not_taken_for_an_earlier_post_with_its_text(h: Harness) -> None:
    sim(h).post(ACC, "Tasting day on Friday")  # last week's, posted by hand
    [change] = writes_planned(h)
    assert change.action == "create"
    h.apply()
    assert len(sim(h).scheduled_statuses(ACC)) == 1 and len(sim(h).statuses(ACC)) == 1
    assert isinstance(h.clock, FakeClock)
    h.clock.advance(9 * DAY)  # published: now found by its text, and it is the new one
    assert writes_planned(h) == []
    h.apply()
    [rec] = h.state.items("acme", "main", "social_post")
    newest = max(int(s["id"]) for s in sim(h).statuses(ACC))
    assert rec.vendor_id == f"status/{newest}"


def test_a_post_made_now_is_not_taken_for_a_scheduled_one_with_its_text(h: Harness) -> None:
    h.apply()
    h.account.client = make_client("mastodon", campaigns=[LATER, {**LATER, "id": "now", "schedule": "now"}])
    [change] = writes_planned(h)
    assert (change.id, change.action) == ("now", "create")
    h.apply()
    assert len(sim(h).scheduled_statuses(ACC)) == 1 and len(sim(h).statuses(ACC)) == 1
    assert writes_planned(h) == []


def test_numbering_pairs_same_texts_in_order_of_time() -> None:
    assert numbered([("a", "2026-01-09T09:00:00Z"), ("b", ""), ("a", "2026-01-16T09:00:00Z"), ("a", "")]) == \
        ["a ⟨2⟩", "b", "a", "a ⟨3⟩"]


def test_an_image_still_processing_is_waited_for_on_hubs_clock(tmp_path: Path) -> None:
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "rye.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    clock = FakeClock()
    campaign = {**LATER, "social": {**LATER["social"], "image": "rye.png", "alt": "Six glasses of rye"}}
    hh = harness(tmp_path / "state", [campaign], MastodonSimulator(clock, media_processing_seconds=2.5),
                 dir=str(folder))
    try:
        report = hh.apply()
        assert not report.failed, [c.error for c in report.failed]
        [s] = sim(hh).scheduled_statuses(ACC)
        assert [m["description"] for m in s["media_attachments"]] == ["Six glasses of rye"]
        assert sum(clock.slept) >= 2.5  # polled GET /api/v1/media/:id on hub's clock, the SDK never slept
        media = [e.status for e in hh.simulator.log if "/media" in e.path]
        assert media[0] == 202 and media[-1] == 200 and set(media[1:-1]) == {206}  # uploaded, processing, ready
        assert writes_planned(hh) == []
    finally:
        hh.close()


def test_publish_post_whose_status_was_deleted_before_the_retry_is_not_posted_again(h: Harness) -> None:
    post = SocialPost(text="Welcome to the club!")
    h.simulator.inject(Fault("drop_after", method="POST", path_prefix=STATUSES, count=-1))
    with pytest.raises(Unavailable):  # six tries under one key, every answer lost: one status made
        h.provider.api.publish_post(post, "welcome/1")
    h.simulator.clear_faults()
    [made] = sim(h).statuses(ACC)
    sim(h).delete_published(ACC, made["id"])  # someone at the instance deleted it meanwhile
    assert h.provider.api.publish_post(post, "welcome/1", h.clock.utcnow()) == DELETED
    assert sim(h).statuses(ACC) == [], "the deletion stands: the key says it was posted once already"


# -- validation, through the workspace loader: file and line --------------------------------------------------------

CLIENT = """\
    name: Bakery
    accounts:
      masto:
        provider: mastodon
        base_url: https://mastodon.example
        access_token: env:BAKERY_MASTODON
"""
CAMPAIGN = "clients/bakery/campaigns/news.yaml"


def workspace(tmp_path: Path, social: str) -> Path:
    return write_files(tmp_path, {"hub.yaml": "version: 1\ntimezone: Europe/London\n",
                                  "clients/bakery/client.yaml": CLIENT,
                                  CAMPAIGN: "name: News\nschedule: draft\nsocial:\n" + social})


def test_501_characters_are_refused_at_the_posts_file_and_line(tmp_path: Path) -> None:
    root = workspace(tmp_path / "long", f"  text: {'a' * 501}\n  accounts: [masto]\n")
    [problem] = [p for p in problems_of(root, make_plugins().registry) if "Mastodon" in p.message]
    assert (problem.file, problem.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "social:"))
    assert problem.message.startswith("the Mastodon post is 501 characters, over the limit of 500")
    assert "23" in problem.message and "overrides" in problem.message
    load(workspace(tmp_path / "fits", f"  text: {'a' * 500}\n  accounts: [masto]\n"), make_plugins().registry)


def test_a_long_url_counts_23_characters(tmp_path: Path) -> None:
    url = "https://bakery.example/" + "sourdough/" * 30  # 323 characters
    load(workspace(tmp_path / "fits", f"  text: {'a' * 476} {url}\n  accounts: [masto]\n"),  # 476 + 1 + 23
         make_plugins().registry)
    root = workspace(tmp_path / "long", f"  text: {'a' * 477} {url}\n  accounts: [masto]\n")
    assert any("501 characters" in p.message for p in problems_of(root, make_plugins().registry))


def test_mastodon_counts_graphemes_and_the_content_warning(tmp_path: Path) -> None:
    from hub_mastodon import mapping

    waving = "\U0001f44b\U0001f3fd"  # waving hand with a skin tone: two code points, one grapheme
    assert mapping.length(waving * 3) == 3
    assert mapping.length("a" * 490, content_warning="spoilers!!") == 500
    root = workspace(tmp_path, f"  text: {'a' * 495}\n  content_warning: spoilers\n  accounts: [masto]\n")
    [problem] = [p for p in problems_of(root, make_plugins().registry) if "Mastodon" in p.message]
    assert problem.message.startswith("the Mastodon post with its content warning is 503 characters")
    load(workspace(tmp_path / "emoji", f"  text: {waving * 500}\n  accounts: [masto]\n"), make_plugins().registry)
