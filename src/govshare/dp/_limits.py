"""The documented limits of a differentially private query and of the budget ledger.

Each is far beyond any useful release, and each keeps the exact arithmetic (integer privacy units
in the ledger, exact fractions in the sampler, JSON-safe integers in the audit log) inside what
the store and the log can hold. A value past one is an :class:`~govshare.InputError` that names
the limit, never an ``OverflowError`` or a database error.
"""

from __future__ import annotations

from typing import Final

from govshare.exceptions import InputError

__all__ = ["MAX_BOUND", "MAX_CONTRIBUTIONS", "MAX_EPSILON", "MIN_BOUND", "check_contributions"]

MAX_EPSILON: Final = 1_000_000.0
"""The largest epsilon of a release or a budget cap (10**12 ledger units of 1e-6)."""

MAX_BOUND: Final = 1e15
"""The largest absolute value of a clipping bound (float integers are exact up to 2**53)."""

MIN_BOUND: Final = 1e-300
"""The smallest the larger of the two bounds may be in absolute value (the grid of noisy values is
a power of two below it, and must stay a normal float)."""

MAX_CONTRIBUTIONS: Final = 1_000_000
"""The largest ``max_rows`` or ``max_groups`` a person may contribute."""


def check_contributions(**values: object) -> None:
    """Raise :class:`InputError` unless each of *values* is an integer in 1..MAX_CONTRIBUTIONS."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive integer")
        if value > MAX_CONTRIBUTIONS:
            raise InputError(
                f"{name} is above govshare.dp.MAX_CONTRIBUTIONS ({MAX_CONTRIBUTIONS:,})"
            )
