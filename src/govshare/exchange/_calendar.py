"""Deadlines in Chinese working days, with the State Council's adjusted working days (调休).

Working days come from the maintained ``chinese-calendar`` package, which follows each year's
State Council notice on public holidays: weekends and statutory holidays are days off, and the
Saturdays or Sundays made working days to bridge a holiday (调休) are working days. For a year the
package does not cover yet, :class:`~govshare.CalendarUnavailable` is raised: a deadline is never
guessed.

A period of *n* working days starts on the day after the day it begins (the first day is not
counted, as in Chinese administrative practice) and ends at the end of its *n*-th working day,
Beijing time (UTC+8, which has no daylight saving).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Final

import chinese_calendar

from govshare._clock import ensure_aware
from govshare.exceptions import CalendarUnavailable, InputError

__all__ = ["BEIJING", "end_of_working_days", "is_working_day"]

BEIJING: Final = timezone(timedelta(hours=8), "CST")


def is_working_day(day: date) -> bool:
    """Whether *day* is a working day in mainland China (调休 days included).

    Raises:
        CalendarUnavailable: the installed ``chinese-calendar`` has no data for that year.
    """
    try:
        return _workday(day)
    except NotImplementedError:
        raise CalendarUnavailable(
            f"the working-day calendar has no data for {day.year}: upgrade the chinese-calendar "
            "package once the State Council has published that year's holidays"
        ) from None


def end_of_working_days(start: datetime, days: int) -> datetime:
    """The instant a period of *days* working days from *start* ends: midnight after its last
    working day, Beijing time, as an aware UTC datetime.

    Raises:
        InputError: *days* is not a positive integer.
        NaiveDatetimeError: *start* has no timezone.
        CalendarUnavailable: the calendar does not cover the days counted.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise InputError("a period is 1 to 366 working days")
    day = ensure_aware(start, "start").astimezone(BEIJING).date()
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.combine(day + timedelta(days=1), time(0), BEIJING).astimezone(UTC)


@lru_cache(maxsize=4096)
def _workday(day: date) -> bool:
    # chinese_calendar scans its whole holiday table on every call: remember each answer.
    return bool(chinese_calendar.is_workday(day))
