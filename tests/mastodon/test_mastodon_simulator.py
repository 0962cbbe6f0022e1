"""The Mastodon simulator answers Mastodon.py, unmodified but for the base URL, the way a Mastodon 4.3 instance does
(docs.joinmastodon.org and Mastodon's source: PostStatusService, ScheduledStatus): Idempotency-Keys kept an hour
and looked up by id, scheduling limits (at least 5 minutes ahead, 300 pending, 25 a UTC day), scheduled statuses
published when due, Link paging, media processed after a while, the rate limits with their X-RateLimit headers,
the UI controls and accounts added by control. Time is a `FakeClock`: tests advance it instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError, MastodonRatelimitError

from hub.clock import FakeClock
from hub_mastodon.simulator import MastodonSimulator

ACC = MastodonSimulator.SANDBOX_ACCOUNT
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[MastodonSimulator]:
    s = MastodonSimulator(clock, media_processing_seconds=3)
    s.start()
    yield s
    s.stop()


def sdk(sim: MastodonSimulator, token: str = MastodonSimulator.SANDBOX_TOKEN) -> Mastodon:
    client = Mastodon(access_token=token, api_base_url=sim.base_url, version_check_mode="none",
                      ratelimit_method="throw")
    client.mastodon_major, client.mastodon_minor, client.mastodon_patch = 4, 3, 0  # /api/v2/media
    return client


def refused(exc: pytest.ExceptionInfo[MastodonAPIError]) -> tuple[int, str]:
    """Mastodon.py's reading of an error answer: (status, the body's `error`)."""
    return exc.value.args[1], exc.value.args[3]


def test_a_bad_token_is_401_in_mastodons_words(sim: MastodonSimulator) -> None:
    with pytest.raises(MastodonAPIError) as exc:
        sdk(sim, "not-a-token").account_verify_credentials()
    assert refused(exc) == (401, "The access token is invalid")


def test_an_idempotency_key_returns_the_first_status_for_an_hour(sim: MastodonSimulator, clock: FakeClock) -> None:
    m = sdk(sim)
    first = m.status_post("Hello", idempotency_key="k1")
    assert m.status_post("Hello", idempotency_key="k1")["id"] == first["id"]
    assert len(sim.statuses(ACC)) == 1
    clock.advance(3601)  # Mastodon keeps the key 3,600 s
    assert m.status_post("Hello", idempotency_key="k1")["id"] != first["id"]
    assert len(sim.statuses(ACC)) == 2


def test_a_key_whose_status_was_deleted_is_404_and_makes_nothing(sim: MastodonSimulator) -> None:
    """PostStatusService finds the key's status by id: gone, the answer is Rails' 404, not a new status."""
    m = sdk(sim)
    first = m.status_post("Hello", idempotency_key="k2")
    sim.delete_published(ACC, str(first["id"]))
    with pytest.raises(MastodonNotFoundError) as exc:
        m.status_post("Hello", idempotency_key="k2")
    assert refused(exc) == (404, "Record not found")
    assert sim.statuses(ACC) == []


def test_a_key_of_a_scheduled_status_that_was_published_is_404(sim: MastodonSimulator, clock: FakeClock) -> None:
    m = sdk(sim)
    m.status_post("Later", scheduled_at=START + timedelta(minutes=10), idempotency_key="k3")
    clock.advance(11 * 60)
    with pytest.raises(MastodonNotFoundError):
        m.status_post("Later", scheduled_at=START + timedelta(minutes=10), idempotency_key="k3")
    assert [s["text"] for s in sim.statuses(ACC)] == ["Later"]


def test_scheduling_less_than_five_minutes_ahead_is_refused(sim: MastodonSimulator) -> None:
    m = sdk(sim)
    with pytest.raises(MastodonAPIError) as exc:
        m.status_post("Soon", scheduled_at=START + timedelta(minutes=4))
    assert refused(exc) == (422, "Validation failed: Scheduled at The scheduled date must be in the future")
    [scheduled] = [m.status_post("Later", scheduled_at=START + timedelta(minutes=6))]
    with pytest.raises(MastodonAPIError) as exc:
        m.scheduled_status_update(scheduled["id"], START + timedelta(minutes=2))
    assert refused(exc)[0] == 422
    assert sim.statuses(ACC) == []


def schedule(sim: MastodonSimulator, when: datetime) -> Any:
    """Straight to the handler (no rate limit): for filling an account's schedule."""
    return sim.call("POST", "/api/v1/statuses", {"status": "filler", "scheduled_at": when.isoformat()},
                    account=ACC, headers={"Content-Type": "application/json"})


def test_25_scheduled_a_day_and_300_in_all(sim: MastodonSimulator) -> None:
    day = START + timedelta(days=1)
    for i in range(25):
        assert schedule(sim, day + timedelta(minutes=i)).status == 200
    m = sdk(sim)
    with pytest.raises(MastodonAPIError) as exc:
        m.status_post("one more", scheduled_at=day + timedelta(hours=5))
    assert refused(exc) == (422, "Validation failed: You have exceeded the limit of 25 scheduled posts for today")
    for i in range(275):  # the other days are open, up to 300 pending
        assert schedule(sim, START + timedelta(days=2 + i // 25, minutes=i)).status == 200
    with pytest.raises(MastodonAPIError) as exc:
        m.status_post("one more", scheduled_at=START + timedelta(days=40))
    assert refused(exc) == (422, "Validation failed: You have exceeded the limit of 300 scheduled posts")


def test_a_scheduled_status_is_published_when_due_with_a_new_id(sim: MastodonSimulator, clock: FakeClock) -> None:
    m = sdk(sim)
    scheduled = m.status_post("Tasting today", scheduled_at=START + timedelta(hours=1), visibility="unlisted",
                              spoiler_text="food", language="en")
    assert [s["id"] for s in m.scheduled_statuses()] == [scheduled["id"]]
    clock.advance(3600)
    assert m.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        m.scheduled_status(scheduled["id"])
    [status] = m.account_statuses(m.account_verify_credentials()["id"])
    assert status["id"] != scheduled["id"] and status["content"] == "<p>Tasting today</p>"
    assert (status["visibility"], status["spoiler_text"], status["language"]) == ("unlisted", "food", "en")
    assert status["created_at"] == START + timedelta(hours=1)


def test_lists_are_newest_first_and_paged_by_the_link_header(sim: MastodonSimulator, clock: FakeClock) -> None:
    m = sdk(sim)
    for i in range(45):
        m.status_post(f"post {i}")
    me = m.account_verify_credentials()["id"]
    first = m.account_statuses(me, limit=40)
    assert len(first) == 40 and first[0]["content"] == "<p>post 44</p>"
    rest = m.fetch_next(first)
    assert [s["content"] for s in rest] == [f"<p>post {i}</p>" for i in range(4, -1, -1)]
    newer = m.account_statuses(me, min_id=first[5]["id"], limit=3)  # the 3 just after it, still newest first
    assert [s["content"] for s in newer] == ["<p>post 42</p>", "<p>post 41</p>", "<p>post 40</p>"]
    assert len(m.account_statuses(me, since_id=first[5]["id"])) == 5
    assert len(m.account_statuses(me)) == 20  # Mastodon's default page


def test_media_is_processed_after_a_while(sim: MastodonSimulator, clock: FakeClock, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    m = sdk(sim)
    media = m.media_post(str(image), description="A glass of rye")
    assert media["url"] is None and sim.log[-1].status == 202
    with pytest.raises(MastodonAPIError) as exc:
        m.status_post("Look", media_ids=[media["id"]])
    assert refused(exc) == (422, "Cannot attach files that have not finished processing. Try again in a moment!")
    assert m.media(media["id"])["url"] is None and sim.log[-1].status == 206
    clock.advance(3)
    assert m.media(media["id"])["url"] and sim.log[-1].status == 200
    status = m.status_post("Look", media_ids=[media["id"]])
    assert [a["description"] for a in status["media_attachments"]] == ["A glass of rye"]


def test_429_says_when_in_x_ratelimit_reset(sim: MastodonSimulator, tmp_path: Path) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {MastodonSimulator.SANDBOX_TOKEN}"
    ok = session.get(sim.base_url + "/api/v1/accounts/verify_credentials")
    assert ok.headers["X-RateLimit-Limit"] == "300" and ok.headers["X-RateLimit-Remaining"] == "299"
    assert datetime.fromisoformat(ok.headers["X-RateLimit-Reset"].replace("Z", "+00:00")) > START
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    m = sdk(sim)
    for _ in range(30):  # media: 30 uploads per 30 minutes, on top of the 300 requests
        m.media_post(str(image))
    with pytest.raises(MastodonRatelimitError):
        m.media_post(str(image))
    last = sim.log[-1]
    assert last.status == 429
    answer = session.post(sim.base_url + "/api/v2/media", files={"file": ("a.png", b"x", "image/png")})
    assert answer.status_code == 429 and answer.json() == {"error": "Too many requests"}
    assert "Retry-After" not in answer.headers and answer.headers["X-RateLimit-Remaining"] == "0"
    reset = datetime.fromisoformat(answer.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert timedelta(minutes=29) < reset - START <= timedelta(minutes=30)
    assert session.get(sim.base_url + "/api/v1/accounts/verify_credentials").status_code == 200  # other calls go on


def test_an_account_added_by_control_has_its_own_statuses_and_survives_a_restart(sim: MastodonSimulator,
                                                                                  clock: FakeClock,
                                                                                  tmp_path: Path) -> None:
    profile = sim.add_account("bakery", "bakery-token")
    assert profile["id"] != "1" and profile["username"] == "bakery"
    sdk(sim, "bakery-token").status_post("Fresh bread")
    assert [s["text"] for s in sim.statuses("bakery")] == ["Fresh bread"] and sim.statuses(ACC) == []
    again = MastodonSimulator(clock)
    again.load(sim.dump())
    again.start()
    try:
        assert sdk(again, "bakery-token").account_verify_credentials()["username"] == "bakery"
    finally:
        again.stop()


def test_ui_controls_edit_and_delete_scheduled_statuses(sim: MastodonSimulator) -> None:
    m = sdk(sim)
    scheduled = m.status_post("Draft", scheduled_at=START + timedelta(days=1))
    sim.edit_scheduled(ACC, str(scheduled["id"]), text="Edited", scheduled_at="2026-01-03T10:00:00Z")
    [shown] = m.scheduled_statuses()
    assert shown["params"]["text"] == "Edited" and shown["scheduled_at"] == datetime(2026, 1, 3, 10, tzinfo=UTC)
    sim.delete_scheduled(ACC, str(scheduled["id"]))
    assert m.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        m.scheduled_status_delete(scheduled["id"])


def test_deleting_statuses_is_limited_to_30_per_30_minutes(sim: MastodonSimulator) -> None:
    m = sdk(sim)
    ids = [m.status_post(f"post {i}")["id"] for i in range(31)]
    for status_id in ids[:30]:
        m.status_delete(status_id)
    with pytest.raises(MastodonRatelimitError):
        m.status_delete(ids[30])
    assert [s["text"] for s in sim.statuses(ACC)] == ["post 30"]
