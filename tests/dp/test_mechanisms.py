"""The mechanisms around the sampler: intervals, thresholds, the exponential mechanism and the
CSPRNG path (the sampler's own law is pinned in test_sampler.py)."""

from __future__ import annotations

import os
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from govshare.dp import _rng
from govshare.dp._mechanisms import (
    discrete_laplace_half_width,
    discrete_laplace_mae,
    exponential_quantile,
    partition_threshold,
)
from govshare.dp._sampler import discrete_laplace
from govshare.testing import deterministic_noise


def _exact_tail(power: int, scale: Fraction, factor: int) -> Decimal:
    """``factor * a**power / (1 + a)`` with ``a = exp(-1/scale)``, at 200 digits."""
    with localcontext() as ctx:
        ctx.prec = 200
        t, s = Decimal(scale.numerator), Decimal(scale.denominator)
        return factor * (-(s * power) / t).exp() / (1 + (-s / t).exp())


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 200
        return Decimal(value.numerator) / Decimal(value.denominator)


@pytest.mark.slow
def test_noise_matches_diffprivlib_geometric() -> None:
    """The exact sampler and diffprivlib's Geometric draw the same law (two-sample chi-square)."""
    from diffprivlib.mechanisms import Geometric

    n, epsilon = 20_000, 0.5
    mechanism = Geometric(epsilon=epsilon, sensitivity=1, random_state=np.random.RandomState(7))
    theirs = np.array([mechanism.randomise(0) for _ in range(n)])
    with deterministic_noise(8):
        ours = discrete_laplace(n, Fraction(2))
    edges = np.array([-np.inf, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, np.inf])
    table = np.stack([np.histogram(ours, edges - 0.5)[0], np.histogram(theirs, edges - 0.5)[0]])
    assert stats.chi2_contingency(table).pvalue > 0.001


def test_mean_absolute_error_formula() -> None:
    """The theoretical MAE at epsilon = 1, sensitivity 1 is 2a/(1-a^2) = 0.851 with a = e^-1."""
    assert discrete_laplace_mae(1.0) == pytest.approx(0.8509, abs=1e-4)


SCALES = [
    Fraction(3, 10),
    Fraction(1),
    Fraction(2),
    Fraction(17),
    Fraction(400),
    Fraction(123457, 1000),
    Fraction(10**6),
    Fraction((1 << 55) - 1, 3),
]


@pytest.mark.parametrize("scale", SCALES)
def test_half_width_is_the_smallest_95_percent_bound(scale: Fraction) -> None:
    """The half-width k has P(|X| > k) <= 5% < P(|X| > k - 1), checked at 200 digits."""
    k = discrete_laplace_half_width(scale)
    assert _exact_tail(k + 1, scale, 2) <= Decimal("0.05")
    assert k == 0 or _exact_tail(k, scale, 2) > Decimal("0.05")


@pytest.mark.parametrize("scale", SCALES[:5])
@pytest.mark.parametrize("parts", [2, 3])
def test_half_width_at_a_union_bound_level(scale: Fraction, parts: int) -> None:
    """At level 1 - 5%/parts the half-width is the smallest k with tail <= 5%/parts."""
    miss = Fraction(1, 20) / parts
    k = discrete_laplace_half_width(scale, 1 - miss)
    assert _exact_tail(k + 1, scale, 2) <= _decimal(miss)
    assert k == 0 or _exact_tail(k, scale, 2) > _decimal(miss)


@pytest.mark.parametrize(
    ("scale", "delta", "groups"),
    [
        (Fraction(1), Fraction(1, 10**6), 1),
        (Fraction(4), Fraction(1, 10**9), 4),
        (Fraction(1, 2), Fraction(1, 10**3), 2),
        (Fraction(2 * 10**6), Fraction(1, 10**15), 1000),
        (Fraction(99, 7), Fraction(3, 10**7), 5),
    ],
)
def test_partition_threshold_bounds_the_release_probability(
    scale: Fraction, delta: Fraction, groups: int
) -> None:
    """A group held only by the added person passes the threshold with probability <= delta/m,
    and the threshold is the smallest that does (checked at 200 digits)."""
    t = partition_threshold(scale, delta, groups)
    target = _decimal(delta / groups)
    assert _exact_tail(t - 1, scale, 1) <= target
    assert t == 2 or _exact_tail(t - 2, scale, 1) > target


def test_release_path_reads_the_os_csprng(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the test seed, small draws come from os.urandom and large ones from an AES-CTR
    stream keyed by os.urandom (never from a seedable generator)."""
    import govshare.crypto._random as crypto_random

    calls: list[int] = []
    real = os.urandom

    def urandom(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(crypto_random.os, "urandom", urandom)
    discrete_laplace(10, Fraction(1))  # one block of 1,024 words, straight from the OS
    assert calls == [8192]
    calls.clear()
    _rng.random_uint64(1 << 14)  # 128 KiB: the AES-CTR path, keyed from the OS
    assert calls == [32, 16]


def test_deterministic_noise_is_scoped_to_its_block() -> None:
    """A seed repeats draws only inside its block; outside, draws are fresh."""
    with deterministic_noise(5):
        first = discrete_laplace(50, Fraction(3))
    with deterministic_noise(5):
        again = discrete_laplace(50, Fraction(3))
    assert (first == again).all()
    assert _rng.seeded_generator() is None


def test_uniforms_are_never_zero() -> None:
    """The uniforms placing a quantile inside its interval lie in (0, 1]."""
    u = _rng.uniform_open_closed(100_000)
    assert (u > 0).all()
    assert (u <= 1).all()


def test_exponential_quantile_stays_within_bounds_and_near_the_median() -> None:
    """The exponential-mechanism median lies in the bounds and, at high epsilon, near the truth."""
    values = np.arange(1001, dtype=np.float64)
    with deterministic_noise(11):
        draws = [exponential_quantile(values, 0.5, 0.0, 1000.0, 5.0, 1) for _ in range(20)]
    assert all(0 <= d <= 1000 for d in draws)
    assert abs(float(np.median(draws)) - 500) < 20
