"""When each recipient's text may go out: the campaign's schedule, quiet hours in the recipient's own
timezone, and the vendor's scheduling window (pure; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from hub.plugin import QuietHours

SCHEDULE_MIN = timedelta(seconds=300)  # Twilio schedules from 5 minutes ahead ...
SCHEDULE_MAX = timedelta(days=35)  # ... to 35 days ahead (../shared/vendors/mailchimp-twilio.md §3.4)


def not_before(campaign_at: datetime | None, now: datetime, tz: str, quiet: QuietHours | None) -> datetime:
    """The earliest moment (UTC) a recipient in `tz` may get the text."""
    when = max(campaign_at or now, now)
    if quiet is None:
        return when
    local = when.astimezone(ZoneInfo(tz))
    if not quiet.contains(local.time()):
        return when
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Timing:
    mode: str  # "now": send (paced by hub); "schedule": the vendor holds it until send_at; "hold": hub does
    send_at: datetime

    @cached_property
    def iso(self) -> str:
        return self.send_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def timing(when: datetime, now: datetime, *, can_schedule: bool) -> Timing:
    """Send now when due; let the vendor schedule inside its window (a few minutes late rather than early,
    when it is due sooner than the vendor can schedule); hold beyond it, for a later apply to send."""
    ahead = when - now
    if ahead <= timedelta(0):
        return Timing("now", now)
    if can_schedule and ahead <= SCHEDULE_MAX:
        return Timing("schedule", max(when, now + SCHEDULE_MIN + timedelta(seconds=60)))
    return Timing("hold", when)
