"""When a journey's next step is due: waits and anniversaries in the contact's timezone, DST-correct, and
texts kept out of quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from hub.model import QuietHours
from hub.model.automation import Wait
from hub.runner.timing import after_wait, anniversary_in, outside_quiet_hours

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_wait_of_days_keeps_the_local_time_across_the_clocks_going_forward() -> None:
    # 09:00 in London on 28 March 2026 is 09:00 GMT; the clocks go forward on the 29th: 09:00 BST = 08:00 UTC
    assert after_wait(utc(2026, 3, 28, 9), Wait(days=1), LONDON) == utc(2026, 3, 29, 8)


def test_a_wait_of_hours_is_elapsed_time_on_the_night_the_clocks_change() -> None:
    # 00:30 GMT + 2 hours is 02:30 UTC whatever the wall clock says (03:30 BST)
    assert after_wait(utc(2026, 3, 29, 0, 30), Wait(hours=2), LONDON) == utc(2026, 3, 29, 2, 30)


def test_until_a_weekday_and_time_in_the_contacts_timezone() -> None:
    # Wednesday 2026-11-25 15:00 New York; until Monday 10:00 New York = 2026-11-30 15:00 UTC (EST, UTC-5)
    wait = Wait(until_weekday="monday", until_time=time(10, 0))
    assert after_wait(utc(2026, 11, 25, 20), wait, NEW_YORK) == utc(2026, 11, 30, 15)


def test_until_a_time_later_today_or_else_tomorrow() -> None:
    wait = Wait(until_time=time(9, 0))
    assert after_wait(utc(2026, 6, 1, 6), wait, LONDON) == utc(2026, 6, 1, 8)  # 07:00 BST -> 09:00 BST today
    assert after_wait(utc(2026, 6, 1, 10), wait, LONDON) == utc(2026, 6, 2, 8)  # 11:00 BST -> tomorrow


def test_a_time_in_the_spring_forward_gap_is_taken_just_after_it() -> None:
    # 01:30 does not exist in London on 29 March 2026 (01:00 GMT -> 02:00 BST)
    wait = Wait(until_time=time(1, 30))
    assert after_wait(utc(2026, 3, 29, 0, 0), wait, LONDON) == utc(2026, 3, 29, 1, 30)


def test_a_birthday_is_at_nine_in_the_contacts_morning_and_29_february_falls_on_the_28th() -> None:
    assert anniversary_in(2026, date(1990, 7, 4), NEW_YORK) == utc(2026, 7, 4, 13)  # 09:00 EDT
    assert anniversary_in(2027, date(2000, 2, 29), LONDON) == utc(2027, 2, 28, 9)
    assert anniversary_in(2028, date(2000, 2, 29), LONDON) == utc(2028, 2, 29, 9)


def test_a_text_due_in_quiet_hours_waits_for_their_end_in_the_recipients_timezone() -> None:
    quiet = QuietHours(start=time(21, 0), end=time(8, 0))
    assert outside_quiet_hours(utc(2026, 1, 10, 22), LONDON, quiet) == utc(2026, 1, 11, 8)
    assert outside_quiet_hours(utc(2026, 1, 10, 5), LONDON, quiet) == utc(2026, 1, 10, 8)
    assert outside_quiet_hours(utc(2026, 1, 10, 12), LONDON, quiet) == utc(2026, 1, 10, 12)
    # 22:00 UTC is 17:00 in New York: not quiet there
    assert outside_quiet_hours(utc(2026, 1, 10, 22), NEW_YORK, quiet) == utc(2026, 1, 10, 22)
