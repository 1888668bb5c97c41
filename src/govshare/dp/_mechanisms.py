"""The mechanisms and the public numbers derived from them: interval half-widths, partition
selection thresholds, and the exponential mechanism for quantiles (diffprivlib).

Counts, sums and partition selection add exact discrete Laplace noise (:mod:`._sampler`): integer
arithmetic and CSPRNG words only, so the released law is exactly the one the privacy proof is
about, and every output is an integer, so no low-order float bits leak the true value (Mironov
2012). Their half-widths and thresholds are decided exactly too: every comparison of a tail
probability ``exp(-k/scale) …`` with a bound runs in decimal arithmetic (whose ``exp`` is
correctly rounded) at a precision that doubles until the two sides are farther apart than the
rounding error, which always happens because they are never equal.

The exponential mechanism for quantiles is diffprivlib's, in floating point: its guarantee is
:data:`FLOAT_EXPONENTIAL`, stated as such in every release that uses it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Final

import numpy as np
from numpy.typing import NDArray

from govshare.dp._rng import seeded_generator, uniform_open_closed

__all__ = [
    "CONFIDENCE",
    "DISCRETE_LAPLACE",
    "EXPONENTIAL",
    "FLOAT_EXPONENTIAL",
    "PURE_EXACT",
    "SELECTION_EXACT",
    "discrete_laplace_half_width",
    "discrete_laplace_mae",
    "exponential_quantile",
    "partition_threshold",
]

CONFIDENCE: Final = Fraction(95, 100)
DISCRETE_LAPLACE: Final = "discrete-laplace"
EXPONENTIAL: Final = "exponential"
PURE_EXACT: Final = (
    "pure epsilon-DP: exact discrete Laplace sampler (integer arithmetic, CSPRNG words)"
)
SELECTION_EXACT: Final = (
    "(epsilon, delta)-DP: exact discrete Laplace sampler; threshold decided in exact arithmetic"
)
FLOAT_EXPONENTIAL: Final = (
    "approximate: epsilon-DP for the exponential mechanism in exact arithmetic; diffprivlib "
    "computes it in floating point, which is not hardened against floating-point attacks"
)

_DIGITS: Final = 50


def _tail_at_most(power: int, scale: Fraction, factor: int, bound: Fraction) -> bool:
    """Whether ``factor * a**power / (1 + a) <= bound`` for ``a = exp(-1/scale)``, exactly.

    ``a`` is transcendental (Lindemann), so the two sides are never equal and raising the
    precision always separates them.
    """
    digits = _DIGITS
    while True:
        with localcontext() as ctx:
            ctx.prec = digits
            t, s = Decimal(scale.numerator), Decimal(scale.denominator)
            lhs = factor * (-(s * power) / t).exp() / (1 + (-s / t).exp())
            rhs = Decimal(bound.numerator) / Decimal(bound.denominator)
            if abs(lhs - rhs) > rhs.scaleb(-(digits // 2)):
                return lhs <= rhs
        digits *= 2


def _smallest(guess: int, floor: int, holds: Callable[[int], bool]) -> int:
    """The smallest ``k >= floor`` with ``holds(k)``, for *holds* false below some point and true
    from it on: a doubling search around the float *guess*, then bisection."""
    k = max(guess, floor)
    step = 1
    if holds(k):
        high, low = k, k - 1
        while low >= floor and holds(low):
            high, step = low, 2 * step
            low = high - step
        low = max(low, floor - 1)  # holds(low) is false, or low is below the floor
    else:
        low, high = k, k + 1
        while not holds(high):
            low, step = high, 2 * step
            high = low + step
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def _guess(scale: Fraction, target: float) -> int:
    """A float estimate of the smallest ``k >= 0`` with ``exp(-k/scale) / (1 + exp(-1/scale))
    <= target``."""
    alpha = math.exp(-1 / float(scale))
    return max(0, math.ceil(-math.log(target * (1 + alpha)) * float(scale)))


def discrete_laplace_half_width(scale: Fraction, confidence: Fraction = CONFIDENCE) -> int:
    """The smallest ``k >= 0`` with ``P(|noise| <= k) >= confidence``, from the exact tail
    ``P(|X| > k) = 2 a**(k+1) / (1 + a)``, ``a = exp(-1/scale)`` (public: a function of the scale).
    """
    miss = 1 - confidence
    guess = _guess(scale, float(miss) / 2) - 1
    return _smallest(guess, 0, lambda k: _tail_at_most(k + 1, scale, 2, miss))


def discrete_laplace_mae(scale: float) -> float:
    """The mechanism's expected absolute error, ``2 alpha / (1 - alpha**2)``."""
    alpha = math.exp(-1.0 / scale)
    return 2 * alpha / (1 - alpha**2)


def partition_threshold(scale: Fraction, delta: Fraction, max_groups: int) -> int:
    """The noisy-person-count threshold that releases a group held by one person w.p. <= delta/m.

    A group whose only member is the added person has true count 1; with discrete Laplace noise
    ``P(1 + X >= t) = a**(t-1) / (1 + a)`` for ``t >= 2``, and the person touches at most
    ``max_groups`` groups, so each gets ``delta / max_groups`` (union bound). The smallest such
    ``t`` is decided exactly.
    """
    target = delta / max_groups
    guess = _guess(scale, float(target))
    return 1 + _smallest(guess, 1, lambda j: _tail_at_most(j, scale, 1, target))


def exponential_quantile(
    values: NDArray[np.float64],
    q: float,
    lower: float,
    upper: float,
    epsilon: float,
    sensitivity: int,
) -> float:
    """The exponential mechanism for the *q*-quantile of *values* clipped to ``[lower, upper]``.

    The candidates are the intervals between consecutive sorted values (with the bounds as the
    outer edges), weighted by their width and ``exp(-epsilon |rank - q n| / (2 sensitivity))``;
    diffprivlib's :class:`~diffprivlib.mechanisms.Exponential` picks one with a CSPRNG, and a
    CSPRNG uniform picks the point inside it. All of it is floating point: see
    :data:`FLOAT_EXPONENTIAL`.
    """
    from diffprivlib.mechanisms import Exponential  # type: ignore[import-untyped]

    edges = np.concatenate(([lower], np.sort(np.clip(values, lower, upper)), [upper]))
    n = len(values)
    utility = (-np.abs(np.arange(n + 1) - q * n)).tolist()
    measure = np.diff(edges).tolist()
    generator = seeded_generator()
    random_state = (
        None if generator is None else np.random.RandomState(int(generator.integers(2**31)))
    )
    mechanism = Exponential(
        epsilon=epsilon,
        sensitivity=sensitivity,
        utility=utility,
        measure=measure,
        random_state=random_state,
    )
    index = int(mechanism.randomise())
    low, high = float(edges[index]), float(edges[index + 1])
    return low + (high - low) * float(uniform_open_closed(1)[0])
