"""Exact privacy units: epsilon in 1e-6 and delta in 1e-15 integer units.

The ledger charges and caps in these units and the query plan splits them, so no amount of
charging accumulates floating-point error. Charges round up and caps round down, so a rounded
amount never lets more privacy loss through than was asked for.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Final

from govshare.dp._limits import MAX_EPSILON
from govshare.exceptions import InputError

__all__ = [
    "DELTA_UNIT",
    "EPSILON_UNIT",
    "delta_of",
    "delta_text",
    "delta_units",
    "epsilon_of",
    "epsilon_text",
    "epsilon_units",
    "exact_text",
]

EPSILON_UNIT: Final = Decimal("1e-6")
DELTA_UNIT: Final = Decimal("1e-15")


def epsilon_units(epsilon: float, *, cap: bool = False) -> int:
    """*epsilon* in exact 1e-6 units: charges round up, caps round down.

    Raises:
        InputError: *epsilon* is not a finite number, is <= 0 (a charge) or < 0 (a cap), or is
            above :data:`~govshare.dp.MAX_EPSILON`.
    """
    value = _finite(epsilon, "epsilon")
    if value < 0 or (value == 0 and not cap):
        raise InputError("epsilon must be > 0" if not cap else "an epsilon cap must be >= 0")
    if value > MAX_EPSILON:
        raise InputError(f"epsilon is at most govshare.dp.MAX_EPSILON ({MAX_EPSILON:g})")
    return _units(value, EPSILON_UNIT, cap)


def delta_units(delta: float, *, cap: bool = False) -> int:
    """*delta* in exact 1e-15 units: charges round up, caps round down.

    Raises:
        InputError: *delta* is not finite or not in ``[0, 1)``.
    """
    value = _finite(delta, "delta")
    if not 0 <= value < 1:
        raise InputError("delta must be in [0, 1)")
    return _units(value, DELTA_UNIT, cap)


def _finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be a number")
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite")
    return float(value)


def _units(value: float, unit: Decimal, cap: bool) -> int:
    return int(
        (Decimal(repr(value)) / unit).to_integral_value(ROUND_FLOOR if cap else ROUND_CEILING)
    )


def epsilon_of(units: int) -> float:
    """The epsilon that *units* 1e-6 units stand for."""
    return float(Decimal(units) * EPSILON_UNIT)


def delta_of(units: int) -> float:
    """The delta that *units* 1e-15 units stand for."""
    return float(Decimal(units) * DELTA_UNIT)


def epsilon_text(units: int) -> str:
    """The epsilon of *units* as an exact decimal string (``50_000`` -> ``"0.05"``)."""
    return _decimal_text(Decimal(units) * EPSILON_UNIT)


def delta_text(units: int) -> str:
    """The delta of *units* as an exact decimal string (``10**9`` -> ``"0.000001"``)."""
    return _decimal_text(Decimal(units) * DELTA_UNIT)


def exact_text(value: Fraction) -> str:
    """*value* exactly: a decimal string when it has a finite one (``"0.25"``), else ``"p/q"``."""
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(_power(value.denominator, 2), _power(value.denominator, 5))
    return _decimal_text(Decimal(value.numerator * 10**digits // value.denominator).scaleb(-digits))


def _power(n: int, prime: int) -> int:
    count = 0
    while n % prime == 0:
        n //= prime
        count += 1
    return count


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")
