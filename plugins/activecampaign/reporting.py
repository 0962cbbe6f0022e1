"""ActiveCampaign's campaign counters as hub's figures (`hub report`): pure translation, no I/O.

A v3 campaign (`GET /api/3/campaigns` lists them, `GET /api/3/campaigns/{id}` reads one) carries its counters so
far as strings (../shared/vendors/social-runner-reports-migrate.md §4; the copied v3 OpenAPI's example shows them
all). ActiveCampaign gives no complaint count, no privacy-adjusted opens and no revenue per campaign.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.plugin import Metric, Result, Sent

REPORTS: Mapping[Metric, str] = {
    Metric.SENT: "send_amt",
    Metric.DELIVERED: "send_amt − hardbounces − softbounces",
    Metric.BOUNCED_HARD: "hardbounces",
    Metric.BOUNCED_SOFT: "softbounces",
    Metric.OPENS: "uniqueopens",
    Metric.CLICKS: "subscriberclicks",  # contacts who clicked (uniquelinkclicks counts unique clicks per link)
    Metric.UNSUBSCRIBES: "unsubscribes",
    Metric.REPLIES: "uniquereplies",  # replies to the email, where reply tracking is on
}
FIELDS = {Metric.SENT: "send_amt", Metric.BOUNCED_HARD: "hardbounces", Metric.BOUNCED_SOFT: "softbounces",
          Metric.OPENS: "uniqueopens", Metric.CLICKS: "subscriberclicks", Metric.UNSUBSCRIBES: "unsubscribes",
          Metric.REPLIES: "uniquereplies"}
SENT_STATUSES = ("2", "3", "4", "5")  # sending, paused, stopped, completed: the campaign has gone out
DONE = "5"  # completed: sent to everyone

# hub's choice: a month after its send a campaign's figures no longer move enough to read again
SETTLES_AFTER = timedelta(days=30)


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def figures(campaign: Mapping[str, Any]) -> dict[Metric, float]:
    """The metrics a campaign's counters give (a counter it lacks, or one that is not a number, is left out)."""
    out: dict[Metric, float] = {}
    for metric, key in FIELDS.items():
        value = _number(campaign.get(key)) if campaign.get(key) is not None else None
        if value is not None:
            out[metric] = value
    if Metric.SENT in out:
        bounced = out.get(Metric.BOUNCED_HARD, 0) + out.get(Metric.BOUNCED_SOFT, 0)
        out[Metric.DELIVERED] = max(out[Metric.SENT] - bounced, 0)
    return out


def parse_time(value: Any) -> datetime | None:
    """ActiveCampaign's ISO 8601 times carry the account's offset ("2026-03-01T09:00:00-05:00")."""
    try:
        when = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def send_time(campaign: Mapping[str, Any]) -> datetime | None:
    """When it went out: `ldate` (its last send), else `sdate` (its send date), for a campaign that went out."""
    if str(campaign.get("status", "0")) not in SENT_STATUSES:
        return None
    return parse_time(campaign.get("ldate")) or parse_time(campaign.get("sdate"))


def result(sent: Sent, campaign: Mapping[str, Any], now: datetime, settles_after: timedelta = SETTLES_AFTER) -> Result:
    """One campaign as its `Result`, on its send day (UTC); settled once completed `settles_after` ago. A campaign
    that has not gone out yet gives zeros."""
    when = send_time(campaign)
    got = figures(campaign) if when is not None else dict.fromkeys(REPORTS, 0.0)
    day = (when or sent.sent_at or now).astimezone(UTC).date()
    done = when is not None and str(campaign.get("status")) == DONE and now - when >= settles_after
    return Result(sent, day, got, settled=done)
