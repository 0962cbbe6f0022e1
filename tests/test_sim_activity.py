"""Recipient activity in the simulators: seeded, spread over simulated time, the same on every endpoint as in
the simulator's own record (`activity_totals`), and changing contacts as the vendors do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.clock import FakeClock
from hub.simulator.activity import ACTIVITY_WINDOW, ActivityRates, recipient_outcome, tally
from hub_bluesky.simulator import BlueskySimulator
from hub_mailchimp.simulator import MailchimpSimulator
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_mastodon.simulator import MastodonSimulator
from hub_sms.simulator import TwilioSimulator

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = [f"p{i:03d}@example.com" for i in range(300)]
MC, AUDIENCE = MailchimpSimulator.SANDBOX_ACCOUNT, MailchimpSimulator.SANDBOX_AUDIENCE


# -- the kit ------------------------------------------------------------------------------------------------------


def test_outcomes_are_seeded_and_bounced_recipients_do_nothing_else() -> None:
    rates = ActivityRates(hard_bounce_rate=0.1, soft_bounce_rate=0.1, unsubscribe_rate=0.05, complaint_rate=0.02)
    first = [recipient_outcome("c1", e, rates, 7) for e in PEOPLE]
    assert first == [recipient_outcome("c1", e, rates, 7) for e in PEOPLE]
    assert first != [recipient_outcome("c1", e, rates, 8) for e in PEOPLE]
    done = [o.as_of(ACTIVITY_WINDOW) for o in first]
    assert all(not (a.opened or a.clicked or a.unsubscribed) for a in done if a.bounced)
    assert all(a.opened for a in done if a.unsubscribed or a.complained or a.clicked)
    counts = tally(done)
    assert 0 < counts["bounced_hard"] < 60 and counts["unsubscribes"] > 0 and counts["complaints"] > 0
    assert counts["delivered"] == 300 - counts["bounced_hard"] - counts["bounced_soft"]
    assert tally(o.as_of(0) for o in first)["opens"] == 0  # nothing at the instant of sending


# -- Mailchimp --------------------------------------------------------------------------------------------------


def mailchimp(seed: int = 0) -> tuple[MailchimpSimulator, FakeClock]:
    clock = FakeClock(utc=START)
    sim = MailchimpSimulator(clock, seed=seed)
    for email in PEOPLE:
        assert sim.call("POST", f"/3.0/lists/{AUDIENCE}/members", {"email_address": email, "status": "subscribed"},
                        account=MC).status == 200
    return sim, clock


def mc_send(sim: MailchimpSimulator) -> str:
    body = {"type": "regular", "recipients": {"list_id": AUDIENCE},
            "settings": {"subject_line": "Hi", "from_name": "Acme", "reply_to": "hi@acme.example", "title": "T"}}
    cid = str(sim.call("POST", "/3.0/campaigns", body, account=MC).body["id"])
    html = '<p><a href="https://shop.example/new">Shop</a> *|UNSUB|*</p>'
    assert sim.call("PUT", f"/3.0/campaigns/{cid}/content", {"html": html}, account=MC).status == 200
    assert sim.call("POST", f"/3.0/campaigns/{cid}/actions/send", account=MC).status == 204
    return cid


def mc_report(sim: MailchimpSimulator, cid: str) -> dict[str, Any]:
    body = sim.call("GET", f"/3.0/reports/{cid}", account=MC).body
    assert isinstance(body, dict)
    return body


def test_mailchimp_report_counters_are_the_sum_of_recipients_and_grow_over_time() -> None:
    sim, clock = mailchimp()
    cid = mc_send(sim)
    assert mc_report(sim, cid)["opens"]["unique_opens"] == 0  # read at once: nobody has opened yet
    seen = []
    for step in (1800, 4 * 3600, ACTIVITY_WINDOW):
        clock.advance(step)
        truth, report = sim.activity_totals(MC)[cid], mc_report(sim, cid)
        rows = sim.campaign_recipients(MC, cid)
        assert truth["opens"] == sum(r["opened"] for r in rows) == report["opens"]["unique_opens"]
        assert truth["clicks"] == sum(r["clicked"] for r in rows) == report["clicks"]["unique_clicks"]
        assert truth["bounced_hard"] == sum(r["hard_bounced"] for r in rows) == report["bounces"]["hard_bounces"]
        assert truth["bounced_soft"] == report["bounces"]["soft_bounces"]
        assert truth["unsubscribes"] == report["unsubscribed"] and truth["complaints"] == report["abuse_reports"]
        assert truth["opens_adjusted"] == report["opens"]["proxy_excluded_unique_opens"] <= truth["opens"]
        assert truth["orders"] == report["ecommerce"]["total_orders"]
        assert truth["revenue"] == report["ecommerce"]["total_revenue"]
        events = sim.call("GET", f"/3.0/reports/{cid}/email-activity?count=1000", account=MC).body["emails"]
        assert sum(any(e["action"] == "open" for e in r["activity"]) for r in events) == truth["opens"]
        seen.append(truth)
    assert seen[0]["opens"] < seen[1]["opens"] < seen[2]["opens"]
    assert seen[2]["opens_adjusted"] < seen[2]["opens"] and seen[2]["bounced_hard"] > 0
    assert report["emails_sent"] == truth["sent"] == len(PEOPLE)


def test_mailchimp_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    totals = []
    for seed in (3, 3, 4):
        sim, clock = mailchimp(seed)
        cid = mc_send(sim)
        clock.advance(ACTIVITY_WINDOW)
        totals.append(sim.activity_totals(MC)[cid])
    assert totals[0] == totals[1] != totals[2]


def test_mailchimp_bounces_and_unsubscribes_change_the_member_and_the_next_send_skips_them() -> None:
    sim, clock = mailchimp()
    sim.set_activity_rates(MC, hard_bounce_rate=0.05, unsubscribe_rate=0.05)
    cid = mc_send(sim)
    clock.advance(ACTIVITY_WINDOW)
    rows = sim.campaign_recipients(MC, cid)
    bounced = {r["email_address"] for r in rows if r["hard_bounced"]}
    left = {r["email_address"] for r in rows if r["unsubscribed"] or r["complained"]}
    assert bounced and left
    status = {m["email"]: m["status"] for m in sim.members(MC, AUDIENCE)}
    assert {status[e] for e in bounced} == {"cleaned"} and {status[e] for e in left} == {"unsubscribed"}
    again = mc_send(sim)
    assert not {r["email_address"] for r in sim.campaign_recipients(MC, again)} & (bounced | left)


# -- MailerLite ---------------------------------------------------------------------------------------------------


def test_mailerlite_stats_are_the_sum_of_recipients_and_bounces_block_the_subscriber() -> None:
    clock = FakeClock(utc=START)
    sim = MailerLiteSimulator(clock)
    for email in PEOPLE:
        assert sim.call("POST", "/api/subscribers", {"email": email}, account="sandbox").status == 201
    sim.set_activity_rates("sandbox", hard_bounce_rate=0.05, complaint_rate=0.02)
    message = {"subject": "Hi", "from_name": "Acme", "from": "hi@acme.example",
             "content": "<p>Hi <a href='https://shop.example'>shop</a> {$unsubscribe}</p>"}
    cid = sim.call("POST", "/api/campaigns", {"name": "N", "type": "regular", "emails": [message]},
                   account="sandbox").body["data"]["id"]
    assert sim.call("POST", f"/api/campaigns/{cid}/schedule", {"delivery": "instant"}, account="sandbox").status == 200
    stats = sim.call("GET", f"/api/campaigns/{cid}", account="sandbox").body["data"]["emails"][0]["stats"]
    assert stats["sent"] == len(PEOPLE) and stats["unique_opens_count"] == 0
    clock.advance(ACTIVITY_WINDOW)
    truth = sim.activity_totals("sandbox")[cid]
    stats = sim.call("GET", f"/api/campaigns/{cid}", account="sandbox").body["data"]["emails"][0]["stats"]
    assert (stats["unique_opens_count"], stats["unique_clicks_count"], stats["hard_bounces_count"],
            stats["soft_bounces_count"], stats["unsubscribes_count"], stats["spam_count"]) == (
        truth["opens"], truth["clicks"], truth["bounced_hard"], truth["bounced_soft"], truth["unsubscribes"],
        truth["complaints"])
    assert truth["bounced_hard"] > 0 and truth["complaints"] > 0
    status = {s["email"]: s["status"] for s in sim.subscribers("sandbox")}
    rows = sim.campaign_recipients("sandbox", campaign_id=cid)
    assert {status[r["email"]] for r in rows if r["hard_bounced"]} == {"bounced"}
    assert {status[r["email"]] for r in rows if r["junk"]} == {"junk"}
    report = sim.call("GET", f"/api/campaigns/{cid}/reports/subscriber-activity?filter[type]=hardbounced",
                      account="sandbox").body
    assert report["meta"]["total"] == truth["bounced_hard"]


# -- Twilio -------------------------------------------------------------------------------------------------------


def test_twilio_price_is_null_until_sent_and_outcomes_and_replies_are_seeded() -> None:
    clock = FakeClock(utc=START)
    sim = TwilioSimulator(clock)
    acc, mg = TwilioSimulator.SANDBOX_ACCOUNT_SID, TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID
    sim.set_activity_rates(undelivered_rate=0.2, reply_rate=0.5)
    path = f"/2010-04-01/Accounts/{acc}/Messages.json"
    sids = []
    for i in range(60):
        body = f"To=%2B1555{i:07d}&MessagingServiceSid={mg}&Body=Hello".encode()
        created = sim.call("POST", path, body, account=acc)
        assert created.status == 201 and created.body["price"] is None
        sids.append(created.body["sid"])
    clock.advance(120)  # 60 one-segment texts on one long code: all sent, delivered or not
    texts = {m["sid"]: m for m in sim.messages(acc)}
    for sid in sids:
        shown = texts[sid]
        assert shown["status"] in ("delivered", "undelivered", "failed")
        assert (shown["price"] is None) == (shown["status"] == "failed")
        if shown["price"] is not None:
            assert shown["price"] == "-0.00790" and shown["price_unit"] == "USD"
    truth = sim.activity_totals(acc)
    assert {s: t["status"] for s, t in truth.items()} == {s: texts[s]["status"] for s in sids}
    undelivered = [t for t in truth.values() if t["undelivered"]]
    assert undelivered and {t["error_code"] for t in undelivered} <= {30003, 30005, 30007}
    assert not any(t["reply"] for t in truth.values())  # replies come minutes later
    clock.advance(3 * 3600)
    truth = sim.activity_totals(acc)
    replies = [m for m in sim.messages(acc, direction="inbound")]
    assert replies and len(replies) == sum(1 for t in truth.values() if t["reply"])
    stops = {t["to"] for t in truth.values() if t["opted_out"]}
    assert stops == {o["recipient"] for o in sim.opt_outs(acc) if o["sender"] == mg}


# -- social -------------------------------------------------------------------------------------------------------


def test_mastodon_statuses_gain_favourites_boosts_and_replies_over_time() -> None:
    clock = FakeClock(utc=START)
    sim = MastodonSimulator(clock)
    ids = [sim.post("sandbox", f"post {i}")["id"] for i in range(8)]
    first = [sim.call("GET", f"/api/v1/statuses/{i}", account="sandbox").body for i in ids]
    assert {s["favourites_count"] for s in first} == {0}
    clock.advance(ACTIVITY_WINDOW)
    later = [sim.call("GET", f"/api/v1/statuses/{i}", account="sandbox").body for i in ids]
    truth = sim.activity_totals("sandbox")
    assert [(s["favourites_count"], s["reblogs_count"], s["replies_count"]) for s in later] == [
        (truth[i]["favourites"], truth[i]["boosts"], truth[i]["replies"]) for i in ids]
    assert sum(s["favourites_count"] for s in later) > 0


def test_bluesky_get_posts_shows_likes_reposts_and_replies_growing() -> None:
    clock = FakeClock(utc=START)
    sim = BlueskySimulator(clock)
    session = sim.call("POST", "/xrpc/com.atproto.server.createSession",
                       {"identifier": sim.SANDBOX_HANDLE, "password": sim.SANDBOX_APP_PASSWORD}, account="sandbox")
    assert session.status == 200
    uris = []
    for i in range(6):
        record = {"$type": "app.bsky.feed.post", "text": f"post {i}", "createdAt": "2026-03-02T09:00:00Z"}
        made = sim.call("POST", "/xrpc/com.atproto.repo.createRecord",
                        {"repo": sim.SANDBOX_DID, "collection": "app.bsky.feed.post", "record": record},
                        account="sandbox")
        uris.append(made.body["uri"])
        clock.advance(1)
    query = {"uris": uris}
    assert {p["likeCount"] for p in sim.call("GET", "/xrpc/app.bsky.feed.getPosts", query=query,
                                             account="sandbox").body["posts"]} == {0}
    clock.advance(ACTIVITY_WINDOW)
    posts = sim.call("GET", "/xrpc/app.bsky.feed.getPosts", query=query, account="sandbox").body["posts"]
    truth = sim.activity_totals("sandbox")
    assert [p["uri"] for p in posts] == uris
    assert [(p["likeCount"], p["repostCount"], p["replyCount"]) for p in posts] == [
        (truth[u]["favourites"], truth[u]["boosts"], truth[u]["replies"]) for u in uris]
    assert sum(p["likeCount"] for p in posts) > 0
    too_many = sim.call("GET", "/xrpc/app.bsky.feed.getPosts", query={"uris": uris * 5}, account="sandbox")
    assert too_many.status == 400
