"""Each provider's pure translation of its vendor's results into hub's figures (`plugins/*/reporting.py`), from vendor
JSON shaped as the vendors' specs and docs show it (../shared/vendor-specs, ../shared/vendors §4): the mapping, what a
missing field does, the send day and when figures settle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hub.plugin import Delivery, Metric, Result, Sent
from hub.testing.contract import _check_results
from hub_activecampaign import reporting as ac
from hub_bluesky import reporting as bsky
from hub_mailchimp import reporting as mc
from hub_mailerlite import reporting as ml
from hub_mastodon import reporting as masto
from hub_sms import reporting as sms

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)


def sent(vendor_id: str = "c1", kind: str = "campaign", at: datetime | None = None, **data: Any) -> Sent:
    return Sent(kind, "spring", "Spring sale", "email", vendor_id, at, data)


# -- Mailchimp ----------------------------------------------------------------------------------------------

MC_REPORT = {  # GET /reports/{id} as the docs show it (trimmed), with Apple MPP-adjusted opens and a store
    "id": "42694e9e57", "campaign_title": "Spring sale", "type": "regular", "emails_sent": 200, "abuse_reports": 1,
    "unsubscribed": 3, "send_time": "2026-03-02T09:00:00+00:00",
    "bounces": {"hard_bounces": 4, "soft_bounces": 6, "syntax_errors": 0},
    "opens": {"opens_total": 150, "unique_opens": 90, "open_rate": 0.47, "proxy_excluded_opens": 80,
              "proxy_excluded_unique_opens": 55, "proxy_excluded_open_rate": 0.29},
    "clicks": {"clicks_total": 40, "unique_clicks": 25, "unique_subscriber_clicks": 20, "click_rate": 0.1},
    "ecommerce": {"total_orders": 2, "total_spent": 90.5, "total_revenue": 90.5, "currency_code": "GBP"},
}


def test_mailchimp_report_maps_every_declared_field() -> None:
    r = mc.result(sent(), MC_REPORT, NOW)
    assert r.figures == {Metric.SENT: 200, Metric.DELIVERED: 190, Metric.BOUNCED_HARD: 4, Metric.BOUNCED_SOFT: 6,
                         Metric.OPENS: 90, Metric.OPENS_ADJUSTED: 55, Metric.CLICKS: 20, Metric.UNSUBSCRIBES: 3,
                         Metric.COMPLAINTS: 1, Metric.REVENUE: 90.5}
    assert set(r.figures) == set(mc.REPORTS)
    assert (r.day, r.currency, r.settled) == (date(2026, 3, 2), "GBP", True)  # sent 30 days ago


def test_mailchimp_report_without_mpp_fields_or_store_leaves_them_out() -> None:
    old = {**MC_REPORT, "opens": {"unique_opens": 9}, "ecommerce": {"total_revenue": 0}}
    got = mc.result(sent(), old, NOW).figures
    assert Metric.OPENS_ADJUSTED not in got and Metric.REVENUE not in got  # no currency: an amount cannot be summed
    assert got[Metric.OPENS] == 9


def test_mailchimp_settles_thirty_days_after_its_send_time() -> None:
    sent_at = datetime(2026, 3, 20, tzinfo=UTC)
    report = {**MC_REPORT, "send_time": sent_at.isoformat()}
    assert not mc.result(sent(), report, sent_at + timedelta(days=29)).settled
    assert mc.result(sent(), report, sent_at + timedelta(days=30)).settled


# -- MailerLite ---------------------------------------------------------------------------------------------

ML_STATS = {"sent": 120, "opens_count": 80, "unique_opens_count": 60, "open_rate": {"float": 0.5, "string": "50%"},
            "clicks_count": 20, "unique_clicks_count": 15, "click_rate": {"float": 0.125, "string": "12.5%"},
            "unsubscribes_count": 2, "spam_count": 1, "hard_bounces_count": 3, "soft_bounces_count": 5}


def test_mailerlite_campaign_stats_map_every_declared_field() -> None:
    campaign = {"id": "1650", "status": "sent", "finished_at": "2026-03-10 08:30:00", "stats": ML_STATS}
    r = ml.result(sent(), campaign, NOW)
    assert r.figures == {Metric.SENT: 120, Metric.DELIVERED: 112, Metric.BOUNCED_HARD: 3, Metric.BOUNCED_SOFT: 5,
                         Metric.OPENS: 60, Metric.CLICKS: 15, Metric.UNSUBSCRIBES: 2, Metric.COMPLAINTS: 1}
    assert set(r.figures) == set(ml.REPORTS)
    assert (r.day, r.settled) == (date(2026, 3, 10), False)


def test_mailerlite_stats_of_the_email_and_a_campaign_not_sent_yet() -> None:
    in_email = {"status": "sent", "started_at": "2026-02-01 10:00:00", "emails": [{"stats": ML_STATS}]}
    r = ml.result(sent(), in_email, NOW)
    assert r.figures[Metric.OPENS] == 60 and r.settled
    ready = ml.result(sent(at=datetime(2026, 3, 31, tzinfo=UTC)), {"status": "ready", "stats": ML_STATS}, NOW)
    assert set(ready.figures.values()) == {0} and not ready.settled and ready.day == date(2026, 3, 31)


# -- ActiveCampaign ---------------------------------------------------------------------------------------------

AC_CAMPAIGN = {  # GET /api/3/campaigns: counters are strings; times carry the account's offset
    "id": "7", "status": "5", "sdate": "2026-03-01T20:00:00-05:00", "ldate": "2026-03-01T20:05:00-05:00",
    "send_amt": "300", "total_amt": "300", "opens": "250", "uniqueopens": "140", "linkclicks": "60",
    "uniquelinkclicks": "45", "subscriberclicks": "38", "hardbounces": "2", "softbounces": "7", "unsubscribes": "4",
    "replies": "3", "uniquereplies": "2", "forwards": "0"}


def test_activecampaign_counters_map_every_declared_field() -> None:
    r = ac.result(sent(), AC_CAMPAIGN, NOW)
    assert r.figures == {Metric.SENT: 300, Metric.DELIVERED: 291, Metric.BOUNCED_HARD: 2, Metric.BOUNCED_SOFT: 7,
                         Metric.OPENS: 140, Metric.CLICKS: 38, Metric.UNSUBSCRIBES: 4, Metric.REPLIES: 2}
    assert Metric.COMPLAINTS not in ac.REPORTS  # ActiveCampaign counts none
    assert r.day == date(2026, 3, 2)  # 20:05 at UTC-5 is the next day in UTC
    assert r.settled


def test_activecampaign_unsent_or_unfinished_campaigns() -> None:
    scheduled = ac.result(sent(), {**AC_CAMPAIGN, "status": "1", "ldate": None}, NOW)
    assert set(scheduled.figures.values()) == {0} and not scheduled.settled
    sending = ac.result(sent(), {**AC_CAMPAIGN, "status": "2"}, NOW)
    assert sending.figures[Metric.SENT] == 300 and not sending.settled  # still going out


# -- Twilio (sms) ---------------------------------------------------------------------------------------------

def twilio(sid: str, to: str, status: str, price: str | None = "-0.00790", *, direction: str = "outbound-api",
           sender: str = "+15005550006", body: str = "Hi", sent: str | None = "Sun, 01 Mar 2026 10:00:00 +0000",
           error: int | None = None) -> dict[str, Any]:
    """A Message resource as Twilio's API answers it (2010-04-01)."""
    return {"sid": sid, "direction": direction, "from": sender, "to": to, "body": body, "status": status,
            "price": price, "price_unit": "USD", "error_code": error, "date_sent": sent,
            "date_created": "Sun, 01 Mar 2026 09:59:58 +0000"}


def row(to: str, status: str, sid: str = "", detail: str = "") -> Delivery:
    return Delivery(to, status, sid, "fp", "2026-03-01T10:00:00Z", detail, "2026-03-01T09:59:00Z",
                    "2026-03-01T10:00:00Z")


def test_twilio_texts_become_sent_delivered_failed_cost_replies_and_stops() -> None:
    rows = [row("+441", "sent", "SM1"), row("+442", "sent", "SM2"), row("+443", "sent", "SM3"),
            row("+444", "sent", "SM4"), row("+445", "invalid", detail="21211: not a number"),
            row("+446", "opted_out", detail="21610: the recipient texted STOP"),
            row("+447", "opted_out", detail="canceled: the recipient opted out")]
    messages = {m.sid: m for m in map(sms.message, [
        twilio("SM1", "+441", "delivered"), twilio("SM2", "+442", "delivered", "-0.01580"),
        twilio("SM3", "+443", "undelivered", error=30003), twilio("SM4", "+444", "failed", None, sent=None,
                                                                 error=30006)])}
    inbound = [sms.message(twilio(f"SMin{i}", "+15005550006", "received", direction="inbound", sender=who, body=body,
                                  sent=when))
               for i, (who, body, when) in enumerate([
                   ("+441", "Thanks!", "Sun, 01 Mar 2026 11:00:00 +0000"),
                   ("+442", "stop", "Sun, 01 Mar 2026 12:00:00 +0000"),
                   ("+443", "Hello?", "Sun, 08 Mar 2026 12:00:00 +0000")])]  # a week later: not a reply
    texts = {"flash": [(r.recipient, sms.text_time(r, messages.get(r.message_id))) for r in rows if r.message_id]}
    replied, stopped = sms.replies(texts, inbound)["flash"]  # type: ignore[arg-type]
    r = sms.result(Sent("campaign", "flash", "Flash", "sms", "flash"), rows, messages, replied, stopped, NOW)
    assert r.figures == {Metric.SENT: 3, Metric.DELIVERED: 2, Metric.FAILED: 3, Metric.COST: 0.0316,
                         Metric.REPLIES: 2, Metric.UNSUBSCRIBES: 2}  # +442's STOP and +446's 21610
    assert (r.currency, r.day, r.settled) == ("USD", date(2026, 3, 1), True)


def test_twilio_figures_settle_when_final_priced_and_the_reply_window_is_over() -> None:
    rows = [row("+441", "sent", "SM1")]
    sent_at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    priced = {"SM1": sms.message(twilio("SM1", "+441", "delivered"))}
    unpriced = {"SM1": sms.message(twilio("SM1", "+441", "delivered", None))}
    on_its_way = {"SM1": sms.message(twilio("SM1", "+441", "sent"))}
    assert sms.settled(rows, priced, sent_at + sms.REPLY_WINDOW)
    assert not sms.settled(rows, priced, sent_at + sms.REPLY_WINDOW - timedelta(minutes=1))  # a reply may come
    assert not sms.settled(rows, unpriced, NOW) and not sms.settled(rows, on_its_way, NOW)
    assert not sms.settled([*rows, row("+442", "held")], priced, NOW)  # a text still to send


def test_a_reply_counts_for_the_latest_text_to_that_number() -> None:
    first, second = datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, 10, tzinfo=UTC)
    texts = {"monday": [("+441", first)], "tuesday": [("+441", second)]}
    reply = sms.message(twilio("SMin", "+1500", "received", direction="inbound", sender="+441", body="STOP",
                               sent="Mon, 02 Mar 2026 11:00:00 +0000"))
    got = sms.replies(texts, [reply])
    assert got == {"monday": (set(), set()), "tuesday": ({"+441"}, {"+441"})}


# -- Mastodon and Bluesky --------------------------------------------------------------------------------------

def test_mastodon_status_counts_and_a_scheduled_post_found_by_its_text() -> None:
    status = {"id": "110", "created_at": "2026-03-01T09:00:00.000Z", "content": "<p>Spring is here</p>",
              "favourites_count": 12, "reblogs_count": 3, "replies_count": 2}
    post = Sent("post", "launch", "Spring is here ⟨scheduled⟩", "social", "scheduled/7", None,
                {"at": "2026-03-01T09:00:00Z"})
    r = masto.result(post, status, NOW)
    assert r.figures == {Metric.FAVOURITES: 12, Metric.BOOSTS: 3, Metric.REPLIES: 2}
    assert (r.day, r.settled) == (date(2026, 3, 1), True)
    assert masto.published_as(post, status)
    assert not masto.published_as(post, {**status, "content": "<p>Something else</p>"})
    assert not masto.published_as(post, {**status, "created_at": "2026-02-01T09:00:00Z"})  # before its time


def test_bluesky_post_view_counts() -> None:
    view = {"uri": "at://did:plc:x/app.bsky.feed.post/3k", "indexedAt": "2026-03-25T10:00:01Z",
            "record": {"text": "Hi", "createdAt": "2026-03-25T10:00:00.000Z"},
            "likeCount": 40, "repostCount": 5, "replyCount": 4, "quoteCount": 1}
    r = bsky.result(Sent("post", "hi", "Hi", "social", view["uri"]), view, NOW)
    assert r.figures == {Metric.FAVOURITES: 40, Metric.BOOSTS: 5, Metric.REPLIES: 4}
    assert (r.day, r.settled) == (date(2026, 3, 25), False)  # 7 days: engagement may still come


# -- the kit's results check can fail ---------------------------------------------------------------------------

class _Res:
    kind = "email_campaign"
    reports = {Metric.SENT: "sent"}


@pytest.mark.parametrize("figures, currency, why", [
    ({Metric.OPENS: 1.0}, "", "not in its `reports` table"),
    ({Metric.SENT: -1.0}, "", "SENT"),
])
def test_the_kits_results_check_catches_undeclared_metrics_and_bad_values(figures: dict[Metric, float],
                                                                         currency: str, why: str) -> None:
    asked = [sent()]
    with pytest.raises(AssertionError, match=why):
        _check_results(_Res(), asked, [Result(asked[0], date(2026, 3, 1), figures, currency)])  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="no results"):
        _check_results(_Res(), asked, [])  # type: ignore[arg-type]
