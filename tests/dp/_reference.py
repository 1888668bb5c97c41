"""Scalar reference samplers for the exact discrete Laplace tests, in plain Python integers.

``mirrored_discrete_laplace`` is the algorithm of ``govshare.dp._sampler`` written for one draw at
a time: the same decisions from the same words in the same order (two words per round of trials,
the ``19!`` construction for ``Bernoulli(exp(-1))``, the sign from bit 0 of a word), so one
vectorised draw under a seed must equal it exactly. ``literal_discrete_laplace`` is the paper's
Algorithms 1 and 2 as printed (one word per Bernoulli trial), to check that the shortcuts keep the
law. Neither uses NumPy arithmetic: each word is read from ``random_uint64(1)``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from govshare.dp._rng import random_uint64

_MAX = (1 << 64) - 1
_ZERO, _ONE, _REDRAW = 0, 1, 3


def _word() -> int:
    return int(random_uint64(1)[0])


def _uniform_below(bound: int) -> int:
    limit = (_MAX // bound) * bound
    value = _word()
    while value >= limit:
        value = _word()
    return value % bound


def _bernoulli(numerator: int, denominator: int) -> bool:
    """``Bernoulli(numerator/denominator)`` for ``denominator < 2**64``, one word per try."""
    step = _MAX // denominator
    while True:
        value = _word()
        if value < step * denominator:
            return value < numerator * step


def _trials_from(numerator: int, denominator: int, k: int) -> bool:
    while _bernoulli(numerator, denominator * k):
        k += 1
    return k % 2 == 1


def _bernoulli_exp(numerator: int, denominator: int) -> bool:
    """Algorithm 1 with two trials per round, a pair redrawn when either word is over its limit."""
    k = 1
    while True:
        if k >= 24:
            return _trials_from(numerator, denominator, k)
        first, second = _word(), _word()
        step1, step2 = _MAX // (denominator * k), _MAX // (denominator * (k + 1))
        bad = first >= step1 * denominator * k or second >= step2 * denominator * (k + 1)
        success1, success2 = first < numerator * step1, second < numerator * step2
        if not bad and not (success1 and success2):
            return (k + success1) % 2 == 1
        if not bad:
            k += 2


_FACTORIAL = math.factorial(19)
_STEP = _MAX // _FACTORIAL
_THRESHOLDS = [_STEP * (_FACTORIAL // math.factorial(j + 1)) for j in range(1, 19)]


def _exp1_outcome(value: int) -> int:
    if value >= _STEP * _FACTORIAL:
        return _REDRAW
    successes = sum(value < c for c in _THRESHOLDS)
    if successes == 18:
        return _ONE if _trials_from(1, 1, 20) else _ZERO
    return _ONE if successes % 2 else _ZERO


def _geometric_exp1() -> int:
    count = 0
    while True:
        first, second = _word(), _word()
        a, b = _exp1_outcome(first), _exp1_outcome(second)
        count += (a == _ONE) + (a == _ONE and b == _ONE)
        if not (a == _REDRAW or (a == _ONE and b != _ZERO)):
            return count


def mirrored_discrete_laplace(scale: Fraction) -> int:
    """One discrete Laplace draw, deciding exactly as the vectorised sampler does for one lane."""
    t, s = scale.numerator, scale.denominator
    while True:
        u = 0
        if t > 1:
            u = _uniform_below(t)
            if not _bernoulli_exp(u, t):
                continue
        v = _geometric_exp1()
        negative = _word() & 1 == 1
        y = (u + t * v) // s
        if negative and y == 0:
            continue
        return -y if negative else y


def _literal_bernoulli_exp(numerator: int, denominator: int) -> bool:
    """CKS Algorithm 1 for gamma = numerator/denominator in [0, 1], as printed."""
    k = 1
    while _bernoulli(numerator, denominator * k):
        k += 1
    return k % 2 == 1


def literal_discrete_laplace(scale: Fraction) -> int:
    """CKS Algorithm 2 as printed: one word per Bernoulli trial, no shortcuts."""
    t, s = scale.numerator, scale.denominator
    while True:
        u = _uniform_below(t)
        if not _literal_bernoulli_exp(u, t):
            continue
        v = 0
        while _literal_bernoulli_exp(1, 1):
            v += 1
        y = (u + t * v) // s
        negative = _bernoulli(1, 2)
        if negative and y == 0:
            continue
        return -y if negative else y
