"""Mailchimp's campaign reports as hub's figures (`hub report`): pure translation, no I/O.

One report (`GET /reports` lists them, `GET /reports/{campaign_id}` reads one) holds a campaign's totals so far. The
fields used are those of ../shared/vendors/social-runner-reports-migrate.md §4: `proxy_excluded_*` are the opens
without Apple Mail Privacy Protection's machine opens (names from third-party code: the 3.0.55 OpenAPI predates
them, unverified); `ecommerce` is there only when a store is connected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.plugin import Metric, Result, Sent

# metric -> the report field it comes from (the mapping table of the plugin's README)
REPORTS: Mapping[Metric, str] = {
    Metric.SENT: "emails_sent",
    Metric.DELIVERED: "emails_sent − bounces.hard_bounces − bounces.soft_bounces",
    Metric.BOUNCED_HARD: "bounces.hard_bounces",
    Metric.BOUNCED_SOFT: "bounces.soft_bounces",
    Metric.OPENS: "opens.unique_opens",
    Metric.OPENS_ADJUSTED: "opens.proxy_excluded_unique_opens",
    Metric.CLICKS: "clicks.unique_subscriber_clicks",
    Metric.UNSUBSCRIBES: "unsubscribed",
    Metric.COMPLAINTS: "abuse_reports",
    Metric.REVENUE: "ecommerce.total_revenue",
}

# What one list read asks for: the figures and what tells a report apart (the rest of a report, its timeseries,
# industry stats and links, is most of its size)
REPORT_FIELDS = ["reports.id", "reports.send_time", "reports.emails_sent", "reports.bounces", "reports.opens",
                 "reports.clicks", "reports.unsubscribed", "reports.abuse_reports", "reports.ecommerce",
                 "total_items"]
ONE_REPORT_FIELDS = [f.removeprefix("reports.") for f in REPORT_FIELDS if f.startswith("reports.")]

# hub's choice: a month after its send a campaign's figures no longer move enough to read again (opens and clicks
# trail off within days; late ones after a month are not worth a read every sync)
SETTLES_AFTER = timedelta(days=30)


def _count(block: Any, key: str) -> float | None:
    if not isinstance(block, Mapping) or block.get(key) is None:
        return None
    return float(block[key])


def figures(report: Mapping[str, Any]) -> dict[Metric, float]:
    """The metrics a report gives (a field it lacks is left out, never taken for 0)."""
    bounces, opens, clicks = report.get("bounces") or {}, report.get("opens") or {}, report.get("clicks") or {}
    found: dict[Metric, float | None] = {
        Metric.SENT: _count(report, "emails_sent"),
        Metric.BOUNCED_HARD: _count(bounces, "hard_bounces"),
        Metric.BOUNCED_SOFT: _count(bounces, "soft_bounces"),
        Metric.OPENS: _count(opens, "unique_opens"),
        Metric.OPENS_ADJUSTED: _count(opens, "proxy_excluded_unique_opens"),
        Metric.CLICKS: _count(clicks, "unique_subscriber_clicks"),
        Metric.UNSUBSCRIBES: _count(report, "unsubscribed"),
        Metric.COMPLAINTS: _count(report, "abuse_reports"),
        Metric.REVENUE: _count(report.get("ecommerce"), "total_revenue"),
    }
    sent = found[Metric.SENT]
    if sent is not None:
        found[Metric.DELIVERED] = max(sent - (found[Metric.BOUNCED_HARD] or 0) - (found[Metric.BOUNCED_SOFT] or 0), 0)
    return {m: v for m, v in found.items() if v is not None}


def send_time(report: Mapping[str, Any]) -> datetime | None:
    text = str(report.get("send_time") or "")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def result(sent: Sent, report: Mapping[str, Any], now: datetime, settles_after: timedelta = SETTLES_AFTER) -> Result:
    """One campaign's report as its `Result`: on its send day (Mailchimp's `send_time`, else when hub sent it),
    settled once `settles_after` has passed since."""
    when = send_time(report) or sent.sent_at
    day: date = (when or now).astimezone(UTC).date()
    currency = str((report.get("ecommerce") or {}).get("currency_code") or "")
    got = figures(report)
    if Metric.REVENUE in got and not currency:
        got.pop(Metric.REVENUE)  # an amount without its currency cannot be added to anything
    return Result(sent, day, got, currency if Metric.REVENUE in got else "",
                  settled=when is not None and now - when >= settles_after)
