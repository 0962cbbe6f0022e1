"""The Mastodon provider end to end against its simulator, on a FakeClock: one status per campaign however often
hub applies (scheduled by Mastodon, or posted at once), never reposted when a scheduled one comes due, lost
answers settled by the Idempotency-Key, the UI's edits and deletions seen as drift and undone, prune cancelling
only what is still scheduled, the runner's `publish_post` once per key, rate limits waited out on hub's clock,
and Mastodon's counting in check_client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.errors import RateLimited
from hub.plugin import References, SocialPost
from hub.simulator import Fault
from hub.testing import Harness, make_client
from hub_mastodon import mapping
from hub_mastodon import simulator as sim_module
from hub_mastodon.provider import MastodonProvider
from hub_mastodon.resources import SCHEDULED_MARK, SocialPostResource
from hub_mastodon.simulator import MastodonSimulator

ACC = MastodonSimulator.SANDBOX_ACCOUNT
STATUSES = "/api/v1/statuses"
NOW = {"id": "hello", "name": "Hello", "schedule": "now", "social": {"text": "Hello from Acme's new account!"}}
LATER = {"id": "tasting", "name": "Tasting", "schedule": "2026-01-09 09:00",  # Europe/London in January: UTC
         "social": {"text": "Tasting day on Friday", "link": "https://acme.example/tasting"}}
DAY = 86400.0


def harness(tmp_path: Path, campaigns: list[dict[str, Any]], clock: FakeClock | None = None,
            **client: Any) -> Harness:
    c = make_client("mastodon", campaigns=campaigns)
    if client:
        c = c.model_copy(update=client)
    return Harness(MastodonProvider, c, tmp_path, clock or FakeClock())


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    hh = harness(tmp_path, [NOW, LATER])
    yield hh
    hh.close()


def sim(h: Harness) -> MastodonSimulator:
    assert isinstance(h.simulator, MastodonSimulator)
    return h.simulator


def writes_planned(h: Harness, *, prune: bool = False) -> list[Any]:
    return [c for c in h.plan(prune=prune).changes if c.writes]


def res(h: Harness) -> SocialPostResource:
    r = h.provider.resource("social_post")
    assert isinstance(r, SocialPostResource)
    return r


def status_posts(h: Harness) -> int:
    """Requests that posted a status (answered or not)."""
    return sum(1 for e in h.simulator.log if e.method == "POST" and e.path == STATUSES)


# -- apply, re-apply, time passing ------------------------------------------------------------------------------

def test_apply_makes_one_post_per_campaign_and_a_second_plan_writes_nothing(h: Harness) -> None:
    report = h.apply()
    assert not report.failed, [c.error for c in report.failed]
    published, scheduled = sim(h).statuses(ACC), sim(h).scheduled_statuses(ACC)
    assert [s["text"] for s in published] == ["Hello from Acme's new account!"]
    assert [(s["params"]["text"], s["scheduled_at"]) for s in scheduled] == \
        [("Tasting day on Friday\n\nhttps://acme.example/tasting", "2026-01-09T09:00:00.000Z")]
    writes = h.writes()
    assert writes_planned(h) == []
    h.apply()
    assert h.writes() == writes
    ids = {r.neutral_id: r.vendor_id for r in h.state.items()}
    assert ids["hello"].startswith("status/") and ids["tasting"].startswith("scheduled/")


def test_a_scheduled_post_coming_due_is_never_posted_again(h: Harness) -> None:
    h.apply()
    assert isinstance(h.clock, FakeClock)
    h.clock.advance(9 * DAY)  # past 2026-01-09 09:00: Mastodon publishes it
    assert writes_planned(h) == []
    h.apply()
    assert sim(h).scheduled_statuses(ACC) == []
    assert sorted(s["text"] for s in sim(h).statuses(ACC)) == \
        ["Hello from Acme's new account!", "Tasting day on Friday\n\nhttps://acme.example/tasting"]
    assert status_posts(h) == 2
    rec = h.state.item("acme", "main", "social_post", "tasting")
    assert rec is not None and rec.vendor_id.startswith("status/"), "the published status is recorded"


def test_a_post_less_than_five_minutes_ahead_goes_out_at_once_and_says_so(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.advance(9 * 3600 - 120)  # 08:58; the campaign says 09:00
    hh = harness(tmp_path, [{**LATER, "schedule": "2026-01-01 09:00"}], clock)
    try:
        [change] = hh.plan().changes
        assert change.fidelity == "approximated" and "less than 5 minutes ahead" in change.reason
        hh.apply()
        assert len(sim(hh).statuses(ACC)) == 1 and sim(hh).scheduled_statuses(ACC) == []
        assert writes_planned(hh) == []
    finally:
        hh.close()


# -- lost answers ------------------------------------------------------------------------------------------------

def test_a_lost_answer_on_posting_makes_one_status(h: Harness) -> None:
    h.simulator.inject(Fault("drop_after", method="POST", path_prefix=STATUSES, count=2))
    report = h.apply()
    h.apply()
    assert len(sim(h).statuses(ACC)) == 1, [c.error for c in report.changes]
    assert len(sim(h).scheduled_statuses(ACC)) == 1
    assert writes_planned(h) == []


# -- drift -------------------------------------------------------------------------------------------------------

def test_a_scheduled_status_edited_in_the_ui_is_drift_and_apply_restores_it(h: Harness) -> None:
    h.apply()
    [s] = sim(h).scheduled_statuses(ACC)
    sim(h).edit_scheduled(ACC, s["id"], text="Tasting day CANCELLED")
    [change] = writes_planned(h)
    assert change.drift and change.action == "update" and "CANCELLED" in change.reason
    h.apply()
    [again] = sim(h).scheduled_statuses(ACC)
    assert again["params"]["text"] == "Tasting day on Friday\n\nhttps://acme.example/tasting"
    assert writes_planned(h) == []


def test_a_scheduled_status_moved_in_the_ui_is_moved_back_in_place(h: Harness) -> None:
    h.apply()
    [s] = sim(h).scheduled_statuses(ACC)
    sim(h).edit_scheduled(ACC, s["id"], scheduled_at="2026-01-10T12:00:00Z")
    [change] = writes_planned(h)
    assert change.drift
    before = len(h.simulator.log)
    h.apply()
    methods = [(e.method, e.path) for e in list(h.simulator.log)[before:] if e.is_write]
    assert methods == [("PUT", f"/api/v1/scheduled_statuses/{s['id']}")], "only the time changed: one PUT"
    [again] = sim(h).scheduled_statuses(ACC)
    assert again["id"] == s["id"] and again["scheduled_at"] == "2026-01-09T09:00:00.000Z"


def test_a_scheduled_status_deleted_in_the_ui_is_recreated(h: Harness) -> None:
    h.apply()
    [s] = sim(h).scheduled_statuses(ACC)
    sim(h).delete_scheduled(ACC, s["id"])
    [change] = writes_planned(h)
    assert change.action == "create" and change.drift
    h.apply()
    [again] = sim(h).scheduled_statuses(ACC)
    assert again["params"]["text"].startswith("Tasting day") and again["id"] != s["id"]
    assert writes_planned(h) == []


def test_a_changed_text_replaces_the_scheduled_status_deleting_first(h: Harness) -> None:
    h.apply()
    [s] = sim(h).scheduled_statuses(ACC)
    h.account.client = make_client("mastodon", campaigns=[NOW, {**LATER, "social": {"text": "Tasting on Saturday"}}])
    before = len(h.simulator.log)
    h.apply()
    writes = [(e.method, e.path) for e in list(h.simulator.log)[before:] if e.is_write]
    assert writes == [("DELETE", f"/api/v1/scheduled_statuses/{s['id']}"), ("POST", STATUSES)], \
        "deleted before it is made again: a crash in between never leaves two going out"
    assert [x["params"]["text"] for x in sim(h).scheduled_statuses(ACC)] == ["Tasting on Saturday"]
    assert len(sim(h).statuses(ACC)) == 1


# -- prune -------------------------------------------------------------------------------------------------------

def test_prune_cancels_a_scheduled_post_and_never_deletes_a_published_one(h: Harness) -> None:
    h.apply()
    h.account.client = make_client("mastodon", campaigns=[])
    plan = h.plan(prune=True)
    by_id = {c.id: c for c in plan.changes}
    assert "already published" in by_id["hello"].reason
    h.apply(prune=True)
    assert sim(h).scheduled_statuses(ACC) == []
    assert len(sim(h).statuses(ACC)) == 1, "a published status is never deleted"
    assert not any(e.method == "DELETE" and e.path.startswith(STATUSES) for e in h.simulator.log)
    assert h.state.items("acme", "main", "social_post") == []
    assert writes_planned(h, prune=True) == []


# -- the runner's publish_post -------------------------------------------------------------------------------------

POST = SocialPost(text="Welcome to the club!", link="https://acme.example/club")


def test_publish_post_twice_with_one_key_posts_once(h: Harness) -> None:
    first = h.provider.api.publish_post(POST, "welcome/step-1/run-7")
    second = h.provider.api.publish_post(POST, "welcome/step-1/run-7")
    assert first == second and first.startswith("status/")
    assert [s["text"] for s in sim(h).statuses(ACC)] == ["Welcome to the club!\n\nhttps://acme.example/club"]


def test_publish_post_after_a_lost_answer_posts_once(h: Harness) -> None:
    h.simulator.inject(Fault("drop_after", method="POST", path_prefix=STATUSES, count=1))
    first = h.provider.api.publish_post(POST, "k1")  # the retry carries the same Idempotency-Key
    assert len(sim(h).statuses(ACC)) == 1
    assert h.provider.api.publish_post(POST, "k1") == first
    assert status_posts(h) == 3 and len(sim(h).statuses(ACC)) == 1  # each repeat answered by the key


def test_publish_post_after_the_key_expired_finds_the_earlier_status(h: Harness) -> None:
    assert isinstance(h.clock, FakeClock)
    began = h.clock.utcnow()
    first = h.provider.api.publish_post(POST, "k2")  # its answer is lost: hub retries with when it began
    h.clock.advance(2 * 3600)  # Mastodon forgot the key; hub looks for the text among statuses since then
    assert h.provider.api.publish_post(POST, "k2", began) == first
    assert len(sim(h).statuses(ACC)) == 1


def test_publish_post_under_new_keys_posts_the_same_text_again(h: Harness) -> None:
    """Two contacts reaching one step: the same text, two posts (text is not identity)."""
    h.provider.api.publish_post(POST, "k3")
    h.provider.api.publish_post(POST, "k4")
    assert len(sim(h).statuses(ACC)) == 2


# -- rate limits ----------------------------------------------------------------------------------------------------

def test_a_429_waits_until_x_ratelimit_reset_on_hubs_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim_module, "API_LIMIT", (3, 300.0))  # the instance's window, made small
    clock = FakeClock()
    hh = harness(tmp_path, [NOW, LATER], clock)
    try:
        report = hh.apply()
        assert not report.failed, [c.error for c in report.failed]
        assert any(e.status == 429 for e in hh.simulator.log)
        assert any(s >= 1 for s in clock.slept), clock.slept  # waited (Mastodon sends no Retry-After)
        assert len(sim(hh).statuses(ACC)) == 1 and len(sim(hh).scheduled_statuses(ACC)) == 1
    finally:
        hh.close()


def test_x_ratelimit_reset_becomes_retry_after(h: Harness) -> None:
    err = h.provider.api.map_error(429, {"error": "Too many requests"},
                                   {"X-RateLimit-Reset": "2026-01-01T00:02:00.000Z"})
    assert isinstance(err, RateLimited) and err.retry_after == 120.0


# -- reading -------------------------------------------------------------------------------------------------------

def test_read_live_reads_every_page(h: Harness) -> None:
    api = h.provider.api
    for i in range(45):  # two pages of 40; spread over days (Mastodon takes 25 a day)
        api.post_status({"text": f"post {i}", "visibility": "public"}, f"k{i}",
                        scheduled_at=h.clock.utcnow().replace(day=2 + i // 20), image=None)
    for i in range(3):
        api.post_status({"text": f"now {i}"}, f"n{i}", scheduled_at=None, image=None)
    live = res(h).read_live(References())
    assert len(live) == 48
    assert {lv.vendor_id.split("/")[0] for lv in live.values()} == {"scheduled", "status"}
    assert live["post 44" + SCHEDULED_MARK].payload["text"] == "post 44"
    assert live["now 2"].vendor_id.startswith("status/")


def test_an_image_is_uploaded_with_its_alt_text(tmp_path: Path) -> None:
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "tasting.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    campaign = {**LATER, "social": {**LATER["social"], "image": "tasting.png", "alt": "Six glasses of rye"}}
    hh = harness(tmp_path / "state", [campaign], dir=str(folder))
    try:
        report = hh.apply()
        assert not report.failed, [c.error for c in report.failed]
        [s] = sim(hh).scheduled_statuses(ACC)
        assert [m["description"] for m in s["media_attachments"]] == ["Six glasses of rye"]
        assert writes_planned(hh) == []
    finally:
        hh.close()


# -- validation (pure) ---------------------------------------------------------------------------------------------

def test_check_client_reports_what_mastodon_refuses(tmp_path: Path) -> None:
    long = "word " * 120  # 599 characters once trimmed
    client = make_client("mastodon", campaigns=[
        {"id": "long", "name": "Long", "schedule": "now", "social": {"text": long}},
        {"id": "url", "name": "Url", "schedule": "now",
         "social": {"text": "Look", "image": "https://cdn.example/a.png"}},
        {"id": "gone", "name": "Gone", "schedule": "now", "social": {"text": "Look", "image": "nope.png"}},
        {"id": "alt", "name": "Alt", "schedule": "now",
         "social": {"text": "Look", "image": "nope.png", "alt": "a" * 1501}},
        {"id": "fine", "name": "Fine", "schedule": "now",
         "social": {"text": "x" * 400 + " https://acme.example/" + "y" * 200}},  # the URL counts 23
    ])
    messages = [p.message for p in MastodonProvider.check_client(client, "main")]
    assert all("Mastodon" in m for m in messages)
    assert any("599 characters" in m and "500" in m and "23" in m and "overrides" in m for m in messages)
    assert any("URL" in m and "folder" in m for m in messages)
    assert any("1501" in m for m in messages)
    assert len(messages) == 3  # a missing image file is hub's validation's to report, for every network


def test_mastodon_counts_urls_as_23_and_remote_mentions_without_their_domain() -> None:
    assert mapping.length("see https://example.com/" + "a" * 100) == 4 + 23
    assert mapping.length("hi @ada@social.example") == len("hi @ada")
    assert mapping.length("café ☕") == 6
    post = SocialPost(text="New range", link="https://acme.example/x")
    assert mapping.compose(post) == "New range\n\nhttps://acme.example/x"
    assert mapping.compose(dataclasses.replace(post, text="See https://acme.example/x")) == \
        "See https://acme.example/x"


def test_published_html_reads_back_as_the_text_posted() -> None:
    text = "Tasting & more <b>\n\nhttps://acme.example/t?a=1&b=2\nsecond line"
    assert mapping.plain_text(mapping.to_html(text)) == text


# -- the instance's own character limit -------------------------------------------------------------------------

def test_apply_checks_the_limit_the_instance_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instance with a smaller limit than Mastodon's 500: the post is refused before it is sent, saying why."""
    monkeypatch.setattr(MastodonSimulator, "MAX_CHARACTERS", 20)
    hh = harness(tmp_path, [NOW])
    try:
        report = hh.apply()
        [failed] = report.failed
        assert "this instance takes at most 20" in failed.error
        assert sim(hh).statuses(ACC) == [] and not [e for e in hh.simulator.log if e.path == STATUSES]
    finally:
        hh.close()


def test_an_instance_with_a_larger_limit_is_declared_in_the_account(tmp_path: Path) -> None:
    long = make_client("mastodon", campaigns=[{**NOW, "social": {"text": "a" * 900}}])
    [refused] = MastodonProvider.check_client(long, "main")
    assert refused.message.startswith("the Mastodon post is 900 characters, over the limit of 500")
    accounts = {"main": long.config.accounts["main"].model_copy(update={"max_characters": 1000})}
    roomy = long.model_copy(update={"config": long.config.model_copy(update={"accounts": accounts})})
    assert MastodonProvider.check_client(roomy, "main") == []
