"""Deadlines in Chinese working days, with the State Council's adjusted working days (调休).

Working days come from the maintained ``chinese-calendar`` package, which follows each year's
State Council notice on public holidays: weekends and statutory holidays are days off, and the
Saturdays or Sundays made working days to bridge a holiday (调休) are working days.

A year the installed package does not cover yet (the notice for year *n* comes out late in year
*n - 1*, the package some time after) is counted Monday to Friday and the deadline is marked
**provisional** (:func:`is_provisional`): work does not stop in December for want of a calendar,
and no one mistakes the estimate for the official count. Holidays only ever lengthen a period, so
a provisional deadline is never later than the official one will be: it errs on the side of
deciding early. Upgrade ``chinese-calendar`` once the notice is out; provisional deadlines are
reported as such until then.

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
from govshare.exceptions import InputError

__all__ = ["BEIJING", "covers", "end_of_working_days", "is_provisional", "is_working_day"]

BEIJING: Final = timezone(timedelta(hours=8), "CST")


def is_working_day(day: date) -> bool:
    """Whether *day* is a working day in mainland China (调休 days included); Monday to Friday
    in a year the installed calendar does not cover (see :func:`covers`)."""
    if not covers(day):
        return day.weekday() < 5
    return _workday(day)


def covers(day: date) -> bool:
    """Whether the installed ``chinese-calendar`` has the official holidays of *day*'s year."""
    return _covered(day.year)


def is_provisional(start: datetime, end: datetime) -> bool:
    """Whether a period counted from *start* to *end* crossed a day the calendar does not cover,
    so the deadline *end* was counted Monday to Friday there (see the module docstring).

    Raises:
        NaiveDatetimeError: *start* or *end* has no timezone.
    """
    first = ensure_aware(start, "start").astimezone(BEIJING).date()
    # *end* is the midnight after the last day counted: that day is the one before it.
    last = (ensure_aware(end, "end") - timedelta(microseconds=1)).astimezone(BEIJING).date()
    return any(not _covered(year) for year in range(first.year, last.year + 1))


def end_of_working_days(start: datetime, days: int) -> datetime:
    """The instant a period of *days* working days from *start* ends: midnight after its last
    working day, Beijing time, as an aware UTC datetime.

    Raises:
        InputError: *days* is not a positive integer.
        NaiveDatetimeError: *start* has no timezone.
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


@lru_cache(maxsize=256)
def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:  # the package's way of saying "no data for that year"
        return False
    return True
