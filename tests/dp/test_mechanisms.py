"""The float-safe mechanisms: discrete Laplace law, intervals, thresholds and the CSPRNG path."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from govshare.dp import _rng
from govshare.dp._mechanisms import (
    discrete_laplace,
    discrete_laplace_half_width,
    discrete_laplace_mae,
    exponential_quantile,
    partition_threshold,
)
from govshare.testing import deterministic_noise


def _pmf(x: np.ndarray, scale: float) -> np.ndarray:
    alpha = math.exp(-1 / scale)
    return (1 - alpha) / (1 + alpha) * alpha ** np.abs(x)


def _chi_square_p(sample: np.ndarray, scale: float) -> float:
    """Chi-square goodness of fit against the exact pmf, tails pooled so each cell expects >= 20."""
    n = len(sample)
    support = np.arange(-200, 201)
    expected = _pmf(support, scale) * n
    inner = support[expected >= 20]
    low, high = inner.min(), inner.max()
    observed = [
        np.sum(sample <= low),
        *(np.sum(sample == k) for k in range(low + 1, high)),
        np.sum(sample >= high),
    ]
    tail = _pmf(np.arange(high, high + 10_000), scale).sum()
    exp = [tail * n, *(expected[support == k][0] for k in range(low + 1, high)), tail * n]
    return float(stats.chisquare(observed, np.asarray(exp) * n / sum(exp)).pvalue)


@pytest.mark.slow
@pytest.mark.parametrize(("scale", "seed"), [(1.0, 1), (2.5, 2), (10.0, 3)])
def test_noise_matches_the_discrete_laplace_pmf(scale: float, seed: int) -> None:
    """200,000 draws at a fixed seed fit the exact discrete Laplace pmf (chi-square p > 0.001)."""
    with deterministic_noise(seed):
        sample = discrete_laplace(200_000, scale)
    assert sample.dtype == np.int64
    assert _chi_square_p(sample, scale) > 0.001


@pytest.mark.slow
def test_noise_matches_diffprivlib_geometric() -> None:
    """Our vectorised sampler and diffprivlib's Geometric draw the same law (two-sample chi-square)."""
    from diffprivlib.mechanisms import Geometric

    n, epsilon = 20_000, 0.5
    mechanism = Geometric(epsilon=epsilon, sensitivity=1, random_state=np.random.RandomState(7))
    theirs = np.array([mechanism.randomise(0) for _ in range(n)])
    with deterministic_noise(8):
        ours = discrete_laplace(n, 1 / epsilon)
    edges = np.array([-np.inf, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, np.inf])
    table = np.stack([np.histogram(ours, edges - 0.5)[0], np.histogram(theirs, edges - 0.5)[0]])
    assert stats.chi2_contingency(table).pvalue > 0.001


def test_mean_absolute_error_formula() -> None:
    """The theoretical MAE at epsilon = 1, sensitivity 1 is 2a/(1-a^2) = 0.851 with a = e^-1."""
    assert discrete_laplace_mae(1.0) == pytest.approx(0.8509, abs=1e-4)


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0, 17.0, 400.0])
def test_half_width_is_the_smallest_95_percent_bound(scale: float) -> None:
    """The half-width k has P(|X| > k) <= 5% and P(|X| > k - 1) > 5%, from the exact tail."""
    alpha = math.exp(-1 / scale)
    k = discrete_laplace_half_width(scale)

    def tail(j: int) -> float:
        return 2 * alpha ** (j + 1) / (1 + alpha)

    assert tail(k) <= 0.05
    assert k == 0 or tail(k - 1) > 0.05


@pytest.mark.parametrize(
    ("scale", "delta", "groups"), [(1.0, 1e-6, 1), (4.0, 1e-9, 4), (0.5, 1e-3, 2)]
)
def test_partition_threshold_bounds_the_release_probability(
    scale: float, delta: float, groups: int
) -> None:
    """A group held only by the added person passes the threshold with probability <= delta/m."""
    alpha = math.exp(-1 / scale)
    t = partition_threshold(scale, delta, groups)
    assert alpha ** (t - 1) / (1 + alpha) <= delta / groups
    assert alpha ** (t - 2) / (1 + alpha) > delta / groups or t == 2


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
    discrete_laplace(10, 1.0)
    assert calls == [160]
    calls.clear()
    _rng.random_uint64(1 << 14)  # 128 KiB: the AES-CTR path, keyed from the OS
    assert calls == [32, 16]


def test_deterministic_noise_is_scoped_to_its_block() -> None:
    """A seed repeats draws only inside its block; outside, draws are fresh."""
    with deterministic_noise(5):
        first = discrete_laplace(50, 3.0)
    with deterministic_noise(5):
        again = discrete_laplace(50, 3.0)
    assert (first == again).all()
    assert _rng.seeded_generator() is None


def test_uniforms_are_never_zero() -> None:
    """The uniforms feeding log() lie in (0, 1]."""
    u = _rng.uniform_open_closed(100_000)
    assert (u > 0).all()
    assert (u <= 1).all()


def test_discrete_laplace_refuses_a_bad_scale() -> None:
    """A zero, negative or infinite scale is refused."""
    for scale in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="scale"):
            discrete_laplace(1, scale)


def test_exponential_quantile_stays_within_bounds_and_near_the_median() -> None:
    """The exponential-mechanism median lies in the bounds and, at high epsilon, near the truth."""
    values = np.arange(1001, dtype=np.float64)
    with deterministic_noise(11):
        draws = [exponential_quantile(values, 0.5, 0.0, 1000.0, 5.0, 1) for _ in range(20)]
    assert all(0 <= d <= 1000 for d in draws)
    assert abs(float(np.median(draws)) - 500) < 20
