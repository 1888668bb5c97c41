"""Time is always injectable: every time-dependent call takes ``now=`` or a :class:`Clock`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from govshare.exceptions import NaiveDatetimeError

__all__ = ["Clock", "SystemClock", "ensure_aware", "utc_iso"]


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The operating system's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def ensure_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return *value* converted to UTC, refusing naive datetimes.

    Raises:
        NaiveDatetimeError: *value* has no timezone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} must be timezone-aware (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    """RFC 3339 text of an aware datetime in UTC, with a ``Z`` suffix."""
    return ensure_aware(value).isoformat().replace("+00:00", "Z")
