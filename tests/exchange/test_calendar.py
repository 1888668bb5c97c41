"""Deadlines in Chinese working days around the 2025 and 2026 holidays and their 调休 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from govshare.exceptions import InputError, NaiveDatetimeError
from govshare.exchange import (
    BEIJING,
    covers,
    end_of_working_days,
    is_provisional,
    is_working_day,
)


def _at(day: date, hour: int = 10) -> datetime:
    """*day* at *hour* o'clock Beijing time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


def _last_day(start: date, days: int) -> date:
    """The last working day of a period of *days* working days from *start* (Beijing)."""
    end = end_of_working_days(_at(start), days).astimezone(BEIJING)
    assert (end.hour, end.minute) == (0, 0)
    return date.fromordinal(end.date().toordinal() - 1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday made a working day for National Day 2025
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # the last day of the 2025 National Day / Mid-Autumn break
        (date(2025, 10, 11), True),  # Saturday made a working day (调休)
        (date(2025, 1, 26), True),  # Sunday before Spring Festival 2025
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),  # Saturday made a working day (调休)
        (date(2026, 2, 14), True),  # Saturday before Spring Festival 2026 (调休)
        (date(2026, 2, 23), False),  # the last day of the 2026 Spring Festival break
        (date(2026, 2, 28), True),  # Saturday after it (调休)
        (date(2026, 9, 20), True),  # Sunday made a working day for National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday made a working day (调休)
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 3, 2), True),  # an ordinary Monday
    ],
)
def test_working_days_follow_the_state_council_schedule(day: date, working: bool) -> None:
    """Holidays are days off and the adjusted Saturdays and Sundays are working days."""
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "last"),
    [
        # Received Fri 26 Sep 2025: Sun 28 Sep counts, 1-8 Oct do not, Sat 11 Oct does.
        (date(2025, 9, 26), 10, date(2025, 10, 16)),
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 10, 10), 1, date(2025, 10, 11)),
        # Spring Festival 2025 (28 Jan - 4 Feb; Sun 26 Jan and Sat 8 Feb are working days).
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 27), 2, date(2025, 2, 6)),
        (date(2025, 2, 7), 1, date(2025, 2, 8)),
        # Spring Festival 2026 (15-23 Feb; Sat 14 and Sat 28 Feb are working days).
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 10, date(2026, 3, 5)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),
        # National Day 2026 (1-7 Oct; Sun 20 Sep and Sat 10 Oct are working days).
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        (date(2026, 9, 28), 20, date(2026, 10, 30)),
    ],
)
def test_deadlines_count_working_days_only(start: date, days: int, last: date) -> None:
    """A period starts the day after receipt and ends at midnight after its last working day."""
    assert _last_day(start, days) == last


def test_deadline_is_counted_in_beijing_time() -> None:
    """A request received late on Friday UTC but on Saturday in Beijing counts from Saturday."""
    friday_night_utc = datetime(2026, 3, 6, 17, tzinfo=UTC)  # Saturday 01:00 in Beijing
    end = end_of_working_days(friday_night_utc, 1)
    assert end == datetime(2026, 3, 10, tzinfo=BEIJING)


def test_unknown_year_counts_weekdays_and_says_so() -> None:
    """A year the calendar package lacks is counted Monday to Friday, and marked provisional."""
    start = datetime(2026, 12, 28, tzinfo=UTC)  # Monday 28 December, Beijing time 08:00
    assert covers(date(2026, 12, 31))
    assert not covers(date(2031, 1, 6))
    assert is_working_day(date(2031, 1, 6))  # a Monday
    assert not is_working_day(date(2031, 1, 4))  # a Sunday
    end = end_of_working_days(start, 10)
    # 29-31 Dec 2026 are official working days (1-3); 2027 is counted Monday to Friday, so
    # 1 Jan (a Friday, a holiday once the notice is out) is day 4, 4-8 Jan days 5-9, 11 Jan day 10.
    assert end == datetime(2027, 1, 12, tzinfo=BEIJING)
    assert is_provisional(start, end)
    assert not is_provisional(start, datetime(2026, 12, 31, 16, tzinfo=UTC))


def test_holidays_only_lengthen_a_period() -> None:
    """Across National Day the official count ends later than a Monday-to-Friday count would."""
    start = _at(date(2026, 9, 25))
    official = end_of_working_days(start, 10).astimezone(BEIJING).date()
    day, counted = start.date(), 0
    while counted < 10:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    assert official > day + timedelta(days=1)


@pytest.mark.parametrize("days", [0, -1, 367, True, 1.5])
def test_bad_periods_are_refused(days: object) -> None:
    """A period is a positive whole number of working days."""
    with pytest.raises(InputError):
        end_of_working_days(datetime(2026, 3, 2, tzinfo=UTC), days)  # type: ignore[arg-type]


def test_naive_start_is_refused() -> None:
    """A naive start time is refused."""
    with pytest.raises(NaiveDatetimeError):
        end_of_working_days(datetime(2026, 3, 2), 1)
