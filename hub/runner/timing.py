"""When a journey's next step is due (pure; no I/O): waits, anniversaries and quiet hours, in the contact's
own timezone.

Rules a user can rely on:
- `wait: {days: N}` moves N calendar days in the contact's timezone, at the same local time of day (09:00
  stays 09:00 across a DST change); `hours` and `minutes` are elapsed time (2 hours are 2 hours, even on the
  night the clocks change).
- `until_time` is the first moment at or after that point whose local time is `until_time`;
  `until_weekday` the first such moment on that weekday (without `until_time`: the same local time of day the
  wait began). A local time that does not exist (the spring-forward gap) is taken just after the gap.
- An anniversary is due at `ANNIVERSARY_TIME` local time on the date's month and day each year (29 February
  on 28 February in other years).
- A text is never sent inside quiet hours in the recipient's timezone: it is due when they end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..model import QuietHours
from ..model.automation import Wait

ISO = "%Y-%m-%dT%H:%M:%SZ"  # how the state stores a moment (UTC)
ANNIVERSARY_TIME = time(9, 0)  # birthday emails and texts go out in the morning, not at midnight
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at local time `at` in `tz`, as UTC: a time in the spring-forward gap moves past the gap; an
    ambiguous one (autumn) is its first occurrence."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # a nonexistent local time (it does not survive the round trip): the later reading is past the gap
    return max(first, naive.replace(tzinfo=tz, fold=1).astimezone(UTC))


def after_wait(start: datetime, wait: Wait, tz: str) -> datetime:
    """When a contact who reached `wait` at `start` (UTC) moves on."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    when = start
    if wait.days:
        when = local_moment(local.date() + timedelta(days=wait.days), local.time().replace(tzinfo=None), zone)
    when += timedelta(hours=wait.hours, minutes=wait.minutes)
    if wait.until_weekday is None and wait.until_time is None:
        return when
    local = when.astimezone(zone)
    at = wait.until_time or local.time().replace(tzinfo=None)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        if wait.until_weekday is not None and WEEKDAYS[day.weekday()] != wait.until_weekday:
            continue
        candidate = local_moment(day, at, zone)
        if candidate >= when:
            return candidate
    raise AssertionError("a weekday and time recur within 8 days")  # pragma: no cover


def anniversary_in(year: int, value: date, tz: str) -> datetime:
    """The anniversary of `value` in `year`, at `ANNIVERSARY_TIME` in `tz` (UTC)."""
    day = value.day
    if value.month == 2 and day == 29 and not _leap(year):
        day = 28
    return local_moment(date(year, value.month, day), ANNIVERSARY_TIME, ZoneInfo(tz))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def outside_quiet_hours(when: datetime, tz: str, quiet: QuietHours | None) -> datetime:
    """`when`, or the end of the quiet hours it falls in (in `tz`)."""
    if quiet is None:
        return when
    zone = ZoneInfo(tz)
    local = when.astimezone(zone)
    if not quiet.contains(local.time()):
        return when
    end = local_moment(local.date(), quiet.end, zone)
    if end <= when:
        end = local_moment(local.date() + timedelta(days=1), quiet.end, zone)
    return end
