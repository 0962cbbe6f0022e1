"""MailerLite's campaign statistics as hub's figures (`hub report`): pure translation, no I/O.

A sent campaign carries its totals so far in `stats` (the campaigns list with `filter[status]=sent` includes them,
as does `GET /campaigns/{id}`; the same block is in `emails[0].stats`). Field names as the vendor's campaign
resource shows them (../shared/vendors/social-runner-reports-migrate.md §4: seen in third-party code against
connect.mailerlite.com; the bounce counters' names unverified). MailerLite gives no privacy-adjusted opens and no
revenue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.plugin import Metric, Result, Sent

REPORTS: Mapping[Metric, str] = {
    Metric.SENT: "stats.sent",
    Metric.DELIVERED: "stats.sent − stats.hard_bounces_count − stats.soft_bounces_count",
    Metric.BOUNCED_HARD: "stats.hard_bounces_count",
    Metric.BOUNCED_SOFT: "stats.soft_bounces_count",
    Metric.OPENS: "stats.unique_opens_count",
    Metric.CLICKS: "stats.unique_clicks_count",
    Metric.UNSUBSCRIBES: "stats.unsubscribes_count",
    Metric.COMPLAINTS: "stats.spam_count",
}
FIELDS = {Metric.SENT: "sent", Metric.BOUNCED_HARD: "hard_bounces_count", Metric.BOUNCED_SOFT: "soft_bounces_count",
          Metric.OPENS: "unique_opens_count", Metric.CLICKS: "unique_clicks_count",
          Metric.UNSUBSCRIBES: "unsubscribes_count", Metric.COMPLAINTS: "spam_count"}

# hub's choice: a month after its send a campaign's figures no longer move enough to read again
SETTLES_AFTER = timedelta(days=30)
TS = "%Y-%m-%d %H:%M:%S"  # MailerLite's timestamps (taken as UTC: the vendor's zone for them is unverified)


def stats_of(campaign: Mapping[str, Any]) -> Mapping[str, Any]:
    """The campaign's statistics block: its own, else its (first) email's."""
    stats = campaign.get("stats")
    if isinstance(stats, Mapping):
        return stats
    emails = campaign.get("emails") or []
    first = emails[0] if emails and isinstance(emails[0], Mapping) else {}
    found = first.get("stats")
    return found if isinstance(found, Mapping) else {}


def figures(campaign: Mapping[str, Any]) -> dict[Metric, float]:
    """The metrics a campaign's statistics give (a counter it lacks is left out, never taken for 0)."""
    stats = stats_of(campaign)
    out = {metric: float(stats[key]) for metric, key in FIELDS.items() if stats.get(key) is not None}
    if Metric.SENT in out:
        bounced = out.get(Metric.BOUNCED_HARD, 0) + out.get(Metric.BOUNCED_SOFT, 0)
        out[Metric.DELIVERED] = max(out[Metric.SENT] - bounced, 0)
    return out


def parse_time(value: Any) -> datetime | None:
    text = str(value or "")
    for parse in (lambda t: datetime.strptime(t, TS), lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))):
        try:
            when = parse(text)
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def send_time(campaign: Mapping[str, Any]) -> datetime | None:
    """When MailerLite sent it: `finished_at`, else `started_at`, else its `scheduled_for`."""
    for key in ("finished_at", "started_at", "scheduled_for"):
        when = parse_time(campaign.get(key))
        if when is not None:
            return when
    return None


def result(sent: Sent, campaign: Mapping[str, Any], now: datetime, settles_after: timedelta = SETTLES_AFTER) -> Result:
    """One campaign as its `Result`, on its send day; settled once it was sent `settles_after` ago. A campaign not
    sent yet (a step batch still `ready`) gives zeros."""
    when = send_time(campaign) if campaign.get("status") == "sent" else None
    got = figures(campaign) if when is not None else dict.fromkeys(REPORTS, 0.0)
    day = (when or sent.sent_at or now).astimezone(UTC).date()
    return Result(sent, day, got, settled=when is not None and now - when >= settles_after)
