"""Each provider reads its vendor's results for what hub sent, against the simulators: campaigns applied (and an
automation's email step sent as a campaign, an SMS step's texts), the simulated clock moved on, `read_results`
compared with the simulator's own record (`activity_totals`, summed from each recipient, not from the report the
provider read), and the requests counted in the simulator's log: N campaigns are one list read, not N reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.model import EmailContent
from hub.plugin import Metric, Result, Sent, StepEmail, StepText
from hub.plugins import make_plugins
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client

START = datetime(2026, 3, 1, 9, tzinfo=UTC)
EMAIL = ("mailchimp", "mailerlite", "activecampaign")
LATER = timedelta(days=4)  # after the simulators' activity window (3 days): every recipient has done what they will
BODY = "Hi {{ first_name }}, see [the shop](https://shop.example/new)\n\n[Unsubscribe]({{ unsubscribe_url }})"


def email_client(provider: str, campaigns: int, people: int = 40) -> Any:
    contacts = [{"email": f"p{i:03d}@example.com", "first_name": f"P{i}", "lists": ["news"]} for i in range(people)]
    return make_client(provider, timezone="UTC", audience={"lists": [{"id": "news", "name": "News"}],
                                                           "contacts": contacts}, campaigns=[
        {"id": f"c{j}", "name": f"Campaign {j}", "audience": {"list": "news"}, "schedule": "now",
         "email": {"subject": f"News {j}", "from": {"name": "Acme", "email": "hello@acme.example"},
                   "body_markdown": BODY}} for j in range(campaigns)])


def harness(provider: str, client: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Harness]:
    h = Harness(make_plugins().registry.get(provider), client, tmp_path, clock)
    applied = h.apply()
    assert not applied.failed, [c.error for c in applied.failed]
    yield h
    h.close()


def sent_items(h: Harness, kind: str, sent_kind: str = "campaign") -> list[Sent]:
    """What the apply sent, as `hub report` asks about it (texts: the ledger name is the campaign's id)."""
    out = []
    for rec in h.state.items():
        if rec.kind == kind and (rec.vendor_id or kind == "sms_campaign"):
            at = datetime.fromisoformat(rec.applied_at.replace("Z", "+00:00"))
            vendor_id = rec.neutral_id if kind == "sms_campaign" else rec.vendor_id
            out.append(Sent(sent_kind, rec.neutral_id, rec.natural_key, "", vendor_id, at, rec.data))
    return sorted(out, key=lambda s: s.item)


def read(h: Harness, kind: str, sent: list[Sent]) -> tuple[dict[str, Result], list[Any]]:
    """Results by vendor id, and the requests the read made."""
    before = len(h.simulator.log)
    results = h.provider.resource(kind).read_results(sent, build_refs(h.state, h.account))
    assert len({r.sent.vendor_id for r in results}) == len(results), "one result per sent item (one day each)"
    return {r.sent.vendor_id: r for r in results}, h.simulator.log[before:]


def truth(h: Harness, provider: str) -> dict[str, dict[str, float]]:
    sim: Any = h.simulator
    if provider == "mailchimp":
        return dict(sim.activity_totals(sim.SANDBOX_ACCOUNT))
    return dict(sim.activity_totals())


def same(result: Result, totals: dict[str, float]) -> None:
    """Every figure the provider read equals the simulator's own count of it (where it keeps one)."""
    compared = [m for m in result.figures if m.value in totals]
    assert len(compared) >= 5, result.figures
    assert {m: result.figures[m] for m in compared} == {m: pytest.approx(float(totals[m.value])) for m in compared}


# -- email ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("provider", EMAIL)
def test_email_results_match_the_simulator_in_one_list_read(provider: str, tmp_path: Path) -> None:
    clock = FakeClock(utc=START)
    for h in harness(provider, email_client(provider, campaigns=3), tmp_path, clock):
        refs = build_refs(h.state, h.account)
        content = EmailContent.model_validate({"subject": "Welcome", "from": {"name": "Acme",
                                                                              "email": "hello@acme.example"},
                                               "body_markdown": BODY})
        batch = h.provider.api.send_step_email(StepEmail("Welcome / step 1 / 2026-03-01 09:00", "Welcome", content,
                                                         ("p001@example.com", "p002@example.com")), refs)
        sent = [*sent_items(h, "email_campaign"),
                Sent("step", "welcome/step-1", "welcome/step-1", "email", batch, clock.utcnow(), {"batch": 1})]
        clock.advance(LATER.total_seconds())
        results, requests = read(h, "email_campaign", sent)
        assert [(r.method, r.status) for r in requests] == [("GET", 200)], "4 campaigns: one page of the list"
        assert set(results) == {s.vendor_id for s in sent}
        got = truth(h, provider)
        for s in sent:
            r = results[s.vendor_id]
            same(r, got[s.vendor_id])
            assert set(r.figures) <= set(h.provider.resource("email_campaign").reports)
            assert r.day == START.date() and not r.settled
        assert results[batch].figures[Metric.SENT] == 2
        assert sum(r.figures.get(Metric.OPENS, 0) for r in results.values()) > 0  # activity, not an empty report


@pytest.mark.parametrize("provider", EMAIL)
def test_email_results_settle_a_month_after_the_send(provider: str, tmp_path: Path) -> None:
    clock = FakeClock(utc=START)
    for h in harness(provider, email_client(provider, campaigns=1, people=5), tmp_path, clock):
        sent = sent_items(h, "email_campaign")
        clock.advance(timedelta(days=29).total_seconds())
        assert not read(h, "email_campaign", sent)[0][sent[0].vendor_id].settled
        clock.advance(timedelta(days=2).total_seconds())
        assert read(h, "email_campaign", sent)[0][sent[0].vendor_id].settled


@pytest.mark.parametrize("provider", EMAIL)
def test_a_campaign_far_down_the_list_is_read_on_its_own(provider: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With pages of 2 (the vendors' are 100 or 1,000), 5 campaigns make 3 pages. All 5 asked about: the pages are
    turned. Only the oldest and one the vendor does not know: one page shows neither is among the newest, then each is
    read by its id; the unknown one is left out."""
    monkeypatch.setattr(f"hub_{provider}.resources.PAGE", 2)
    clock = FakeClock(utc=START)
    for h in harness(provider, email_client(provider, campaigns=5, people=3), tmp_path, clock):
        sent = sent_items(h, "email_campaign")
        results, requests = read(h, "email_campaign", sent)
        assert set(results) == {s.vendor_id for s in sent} and len(requests) == 3
        oldest = min(sent, key=lambda s: int(s.vendor_id, 16) if provider == "mailchimp" else int(s.vendor_id))
        if provider == "mailchimp":  # Mailchimp's ids do not sort by time: take the one its list shows last
            listed = [r["id"] for r in h.simulator.reports(h.simulator.SANDBOX_ACCOUNT)]  # type: ignore[attr-defined]
            oldest = next(s for s in sent if s.vendor_id == listed[-1])
        gone = Sent("campaign", "gone", "Gone", "email", "999999", START)
        results, requests = read(h, "email_campaign", [oldest, gone])
        assert set(results) == {oldest.vendor_id}
        # one page, then the two missing by their ids (turning the other two pages would cost as much and find less)
        assert len(requests) == 3 and {r.path.rsplit("/", 1)[-1] for r in requests[1:]} == {oldest.vendor_id, "999999"}


# -- SMS ----------------------------------------------------------------------------------------------------------

def sms_client(people: int) -> Any:
    contacts = [{"phone": f"+4477009{i:05d}", "first_name": f"P{i}", "lists": ["club"],
                 "consent": {"sms": "subscribed"}} for i in range(people)]
    return make_client("sms", timezone="UTC", audience={"lists": [{"id": "club", "name": "Club"}],
                                                        "contacts": contacts}, campaigns=[
        {"id": "flash", "name": "Flash sale", "audience": {"list": "club"}, "schedule": "now",
         "sms": {"body": "Hi {{ first_name }}, 20% off today. Reply STOP to opt out."}}])


def test_sms_results_match_twilio_from_one_listing(tmp_path: Path) -> None:
    clock = FakeClock(utc=START)
    sim = make_plugins().registry.get("sms").create_simulator(clock)
    sim.set_activity_rates(reply_rate=0.3, stop_share=0.3, failed_rate=0.03, undelivered_rate=0.1)  # type: ignore[attr-defined]
    h = Harness(make_plugins().registry.get("sms"), sms_client(80), tmp_path, clock, simulator=sim)
    try:
        assert not h.apply().failed
        step = "auto:welcome/ask#1"
        texts = [StepText(step, f"+4477009{i:05d}", "Welcome! Reply YES for offers") for i in range(100, 103)]
        h.provider.api.send_texts(texts)
        sent = [*sent_items(h, "sms_campaign"), Sent("step", "welcome/ask", "welcome/ask", "sms", step, START)]
        clock.advance(timedelta(days=1).total_seconds())
        results, requests = read(h, "sms_campaign", sent)
        listings = [r for r in requests if r.path.endswith("/Messages.json")]
        assert len(listings) == 1 and listings[0].query.get("PageSize") == ["1000"]
        record: dict[str, Any] = sim.activity_totals()  # type: ignore[attr-defined]
        failed_at_once = sum(1 for t in record.values() if t["status"] == "failed")
        assert len(requests) <= 1 + failed_at_once, "texts Twilio never sent (no DateSent) are the only ones fetched"
        flash = results["flash"]
        ledger = h.provider.api.ctx.services.ledger(h.account.name)  # type: ignore[union-attr]
        sids = {r.message_id for r in ledger.deliveries("flash").values() if r.message_id}
        mine = [record[sid] for sid in sids]
        assert flash.figures == {
            Metric.SENT: sum(t["status"] in ("delivered", "undelivered") for t in mine),
            Metric.DELIVERED: sum(t["status"] == "delivered" for t in mine),
            Metric.FAILED: sum(t["status"] in ("undelivered", "failed") for t in mine),
            Metric.COST: pytest.approx(sum(-(t["price"] or 0) for t in mine)),
            Metric.REPLIES: sum(t["reply"] is not None for t in mine),
            Metric.UNSUBSCRIBES: sum(bool(t["opted_out"]) for t in mine)}
        assert flash.figures[Metric.REPLIES] > 0 and flash.currency == "USD" and flash.day == START.date()
        assert results[step].figures[Metric.SENT] + results[step].figures[Metric.FAILED] >= 3 - 1
        assert not flash.settled  # replies may still come
        clock.advance(timedelta(days=3).total_seconds())
        assert read(h, "sms_campaign", sent)[0]["flash"].settled  # every text final and priced, the window over
    finally:
        h.close()
        sim.stop()


# -- social ------------------------------------------------------------------------------------------------------

def social_client(provider: str, posts: int) -> Any:
    return make_client(provider, timezone="UTC", campaigns=[
        {"id": f"p{i:02d}", "name": f"Post {i}", "schedule": "now", "social": {"text": f"News number {i} from Acme"}}
        for i in range(posts)] + [
        {"id": "later", "name": "Later", "schedule": "2026-03-01 12:00", "social": {"text": "Scheduled news"}}])


def test_mastodon_counts_match_from_the_accounts_statuses(tmp_path: Path) -> None:
    clock = FakeClock(utc=START)
    for h in harness("mastodon", social_client("mastodon", 3), tmp_path, clock):
        clock.advance(timedelta(days=2).total_seconds())
        sent = sent_items(h, "social_post", "post")
        assert any(s.vendor_id.startswith("scheduled/") for s in sent)  # published by Mastodon with a new id
        results, requests = read(h, "social_post", sent)
        assert [r.path for r in requests] == ["/api/v1/accounts/1/statuses"], "4 posts: one page of statuses"
        assert set(results) == {s.vendor_id for s in sent}
        record = truth(h, "mastodon")
        published = {s["text"]: str(s["id"]) for s in h.simulator.statuses("sandbox")}  # type: ignore[attr-defined]
        for s in sent:
            status_id = s.vendor_id.removeprefix("status/") if s.vendor_id.startswith("status/") else \
                published["Scheduled news"]
            assert {m.value: v for m, v in results[s.vendor_id].figures.items()} == record[status_id]
        one = [s for s in sent if s.vendor_id.startswith("status/")][:1]
        assert [r.path for r in read(h, "social_post", one)[1]] == [f"/api/v1/statuses/{one[0].vendor_id[7:]}"]
        clock.advance(timedelta(days=13).total_seconds())
        assert all(r.settled for r in read(h, "social_post", sent)[0].values())


def test_bluesky_counts_match_in_batches_of_25(tmp_path: Path) -> None:
    clock = FakeClock(utc=START)
    for h in harness("bluesky", social_client("bluesky", 27), tmp_path, clock):
        clock.advance(timedelta(days=1).total_seconds())
        sent = sent_items(h, "social_post", "post")
        assert len(sent) == 27  # the held one has no uri yet: not asked about
        results, requests = read(h, "social_post", sent)
        # (a day on, the session is refreshed first: hub's, not the read's)
        assert [r.path for r in requests if "feed" in r.path] == ["/xrpc/app.bsky.feed.getPosts"] * 2
        assert [len(r.query["uris"]) for r in requests if "feed" in r.path] == [25, 2]
        record = truth(h, "bluesky")
        assert {k: {m.value: v for m, v in r.figures.items()} for k, r in results.items()} == \
               {s.vendor_id: record[s.vendor_id] for s in sent}
        assert sum(r.figures[Metric.FAVOURITES] for r in results.values()) > 0
