"""Test doubles for your own tests: a frozen clock, throw-away workspaces, repeatable DP noise.

**WARNING:** everything here is for tests only. The workspaces use a cheap key-file KDF and a fixed
passphrase, and :func:`deterministic_noise` makes differential-privacy releases predictable (not
private); it warns (:class:`PredictableNoiseWarning`) every time it is used.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np

from govshare._clock import ensure_aware
from govshare._noise import TEST_GENERATOR
from govshare._workspace import Workspace
from govshare.crypto import ScryptParams

__all__ = [
    "TEST_PASSPHRASE",
    "TEST_SCRYPT",
    "FrozenClock",
    "PredictableNoiseWarning",
    "deterministic_noise",
    "temporary_workspace",
]

TEST_PASSPHRASE: Final = "govshare-test-passphrase"  # noqa: S105 - test-only, documented
TEST_SCRYPT: Final = ScryptParams(n=2**10, r=8, p=1)
"""A cheap scrypt cost for tests; never use it for real key files."""


class FrozenClock:
    """A clock that stands still until you move it.

    >>> clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance(seconds=5).isoformat()
    '2026-01-01T00:00:05+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = ensure_aware(start) if start else datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; returns the new instant."""
        self._now += timedelta(**delta)
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to *when* (aware)."""
        self._now = ensure_aware(when)

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()})"


def temporary_workspace(
    folder: str | Path,
    *,
    department: str = "test-department",
    url: str | None = None,
    schema: str | None = None,
    clock: FrozenClock | None = None,
) -> Workspace:
    """A workspace in *folder* (SQLite by default, or *url*), with a cheap KDF and test passphrase."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return Workspace.open(
        url or f"sqlite:///{folder / 'govshare.db'}",
        department=department,
        passphrase=TEST_PASSPHRASE,
        key_file=folder / "govshare.keys",
        schema=schema,
        clock=clock,
        scrypt=TEST_SCRYPT,
    )


class PredictableNoiseWarning(UserWarning):
    """DP noise is being drawn from a seed: releases inside the block are NOT private."""


@contextmanager
def deterministic_noise(seed: int) -> Iterator[None]:
    """**Tests only:** repeatable differential-privacy noise inside the block.

    Anyone who knows the seed can subtract the noise, so a release made inside the block is not
    private. Entering the block warns with :class:`PredictableNoiseWarning` (silence it in your
    test configuration, never in production). Outside the block every DP draw comes from the
    operating system's CSPRNG, and no public API takes a seed.
    """
    warnings.warn(
        "govshare.testing.deterministic_noise: DP noise is predictable from the seed; releases "
        "made inside this block are not private (tests only)",
        PredictableNoiseWarning,
        stacklevel=3,
    )
    token = TEST_GENERATOR.set(np.random.Generator(np.random.PCG64(seed)))
    try:
        yield
    finally:
        TEST_GENERATOR.reset(token)
