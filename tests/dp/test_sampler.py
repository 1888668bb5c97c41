"""The exact discrete Laplace sampler: its law, its tails, its building blocks and its limits."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats

from govshare.dp import _sampler
from govshare.dp._rng import random_uint64
from govshare.dp._sampler import (
    BATCH,
    WordStream,
    add_discrete_laplace,
    bernoulli_exp,
    bernoulli_exp1,
    check_scale,
    discrete_laplace,
    geometric_exp1,
    uniform_below,
)
from govshare.exceptions import InputError
from govshare.testing import deterministic_noise
from tests.dp._reference import literal_discrete_laplace, mirrored_discrete_laplace

P_MIN = 1e-3  # every statistical test runs at a fixed seed and must clear this p-value


def _pmf(x: NDArray[np.int64], scale: float) -> NDArray[np.float64]:
    a = math.exp(-1 / scale)
    return (1 - a) / (1 + a) * a ** np.abs(x).astype(np.float64)


def _tail(k: int, scale: float) -> float:
    """``P(|X| > k) = 2 a**(k+1) / (1 + a)``."""
    a = math.exp(-1 / scale)
    return 2 * a ** (k + 1) / (1 + a)


def _chi_square_p(sample: NDArray[np.int64], scale: float) -> float:
    """Chi-square fit to the exact pmf: one cell per integer expecting >= 20, tails pooled."""
    n = len(sample)
    reach = int(40 * scale) + 40
    support = np.arange(-reach, reach + 1)
    expected = _pmf(support, scale) * n
    inner = support[expected >= 20]
    low, high = int(inner.min()), int(inner.max())
    observed = np.bincount(np.clip(sample, low, high) - low, minlength=high - low + 1)
    a = math.exp(-1 / scale)
    outer = a**high / (1 + a) * n  # P(X >= high) = P(X <= -high)
    cells = np.concatenate(([outer], _pmf(np.arange(low + 1, high), scale) * n, [outer]))
    return float(stats.chisquare(observed, cells * n / cells.sum()).pvalue)


class Scripted(WordStream):
    """A word stream that hands out a fixed list of words (to reach paths of probability ~0)."""

    def __init__(self, words: list[int]) -> None:
        super().__init__()
        self._words = list(words)

    def take(self, n: int) -> NDArray[np.uint64]:
        out, self._words = self._words[:n], self._words[n:]
        assert len(out) == n, "the script ran out of words"
        return np.array(out, dtype=np.uint64)


# -- the law --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scale", "seed"),
    [
        (Fraction(1), 1),
        (Fraction(7, 2), 2),
        (Fraction(1000), 3),
        (Fraction(5, 7), 4),
        (Fraction(123457, 1000), 5),
    ],
)
def test_draws_fit_the_exact_pmf(scale: Fraction, seed: int) -> None:
    """400,000 draws at each scale (integer, fractional, large, below 1) fit the exact pmf."""
    with deterministic_noise(seed):
        sample = discrete_laplace(400_000, scale)
    assert sample.dtype == np.int64
    assert _chi_square_p(sample, float(scale)) > P_MIN


@pytest.mark.slow
def test_tail_probabilities_match_the_exact_law() -> None:
    """P(|X| > k) = 2a^(k+1)/(1+a) holds out to k = 12 scales (10 million draws at scale 1)."""
    n = 10_000_000
    with deterministic_noise(6):
        magnitude = np.abs(discrete_laplace(n, Fraction(1)))
    for k in (0, 2, 4, 6, 8, 10, 12):
        beyond = int((magnitude > k).sum())
        assert stats.binomtest(beyond, n, _tail(k, 1.0)).pvalue > P_MIN, k


def test_no_cut_off_far_beyond_37_scales() -> None:
    """A run of exp(-1) successes drives the magnitude to 60 scales and more: the law has no
    cut-off (the old float sampler could not exceed about 37 scales)."""
    one = int(_sampler._F_THRESHOLDS[-2])  # a word with exactly one trial success: odd, a 1
    zero = int(_sampler._F_THRESHOLDS[-1])  # no trial success: even, a 0
    for t, s, v in ((1, 1, 60), (3, 1, 80), (1, 4, 400)):
        words = ([0] * 3 if t > 1 else []) + [one] * v + [zero, zero] + [0]
        out = _sampler._batch(np.zeros(1, dtype=np.int64), t, s, Scripted(words))
        assert int(out[0]) == (t * v) // s  # U = 0, V = v, positive sign
        assert int(out[0]) > 37 * t / s


@pytest.mark.slow
def test_vectorised_draws_equal_the_scalar_reference_draw_for_draw() -> None:
    """Under the same seed, one vectorised draw equals the mirrored scalar implementation."""
    for scale in (Fraction(1), Fraction(7, 2), Fraction(1000), Fraction(1, 3), Fraction(99, 70)):
        for seed in range(200):
            with deterministic_noise(seed):
                vectorised = int(discrete_laplace(1, scale)[0])
            with deterministic_noise(seed):
                assert mirrored_discrete_laplace(scale) == vectorised, (scale, seed)


@pytest.mark.slow
def test_vectorised_law_equals_the_literal_paper_algorithm() -> None:
    """The shortcuts keep the law: vectorised draws and CKS Algorithm 2 as printed agree."""
    scale = Fraction(7, 2)
    with deterministic_noise(7):
        ours = discrete_laplace(200_000, scale)
        literal = np.array([literal_discrete_laplace(scale) for _ in range(40_000)])
    edges = np.array([-np.inf, -9, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 9, np.inf]) - 0.5
    table = np.stack([np.histogram(ours, edges)[0], np.histogram(literal, edges)[0]])
    assert stats.chi2_contingency(table).pvalue > P_MIN


# -- privacy loss on neighbouring counts ----------------------------------------------------------


@pytest.mark.slow
def test_neighbouring_counts_have_the_same_outputs_and_bounded_loss() -> None:
    """Counts c and c+1 (sensitivity 1, epsilon 1): every output seen 30+ times from one is seen
    from the other, and where both expect 100+ draws the empirical log-ratio is within 1 + 0.25."""
    epsilon, n, c = 1.0, 1_000_000, 10
    scale = Fraction(1) / Fraction(epsilon)
    with deterministic_noise(8):
        first = add_discrete_laplace(np.full(n, c, dtype=np.int64), scale)
        second = add_discrete_laplace(np.full(n, c + 1, dtype=np.int64), scale)
    low = int(min(first.min(), second.min()))
    a = np.bincount(first - low)
    b = np.bincount(second - low, minlength=len(a))
    a = np.pad(a, (0, len(b) - len(a)))
    assert not ((a >= 30) & (b == 0)).any()
    assert not ((b >= 30) & (a == 0)).any()
    outputs = np.arange(len(a)) + low
    expected = n * np.minimum(_pmf(outputs - c, 1.0), _pmf(outputs - c - 1, 1.0))
    dense = expected >= 100
    assert dense.sum() >= 10
    loss = np.abs(np.log(a[dense] / b[dense]))
    assert loss.max() <= epsilon + 0.25


# -- building blocks ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("numerator", "denominator", "seed"),
    [(1, 7, 11), (1, 2, 12), (3, 7, 13), (99, 100, 14), (5, 5, 15), (123456, 1 << 40, 16)],
)
def test_bernoulli_exp_matches_its_probability(numerator: int, denominator: int, seed: int) -> None:
    """Bernoulli(exp(-gamma)) for rational gamma in (0, 1] has success rate exp(-gamma)."""
    n = 1_000_000
    with deterministic_noise(seed):
        draws = bernoulli_exp(np.full(n, numerator, dtype=np.uint64), denominator)
    p = math.exp(-numerator / denominator)
    assert stats.binomtest(int(draws.sum()), n, p).pvalue > P_MIN


@pytest.mark.slow
def test_bernoulli_exp1_and_geometric_match_their_laws() -> None:
    """The one-word Bernoulli(exp(-1)) hits exp(-1); V has P(V >= v) = exp(-v)."""
    n = 1_000_000
    with deterministic_noise(17):
        ones = bernoulli_exp1(n)
        v = geometric_exp1(n)
    assert stats.binomtest(int(ones.sum()), n, math.exp(-1)).pvalue > P_MIN
    for k in (1, 2, 4, 6, 8):
        assert stats.binomtest(int((v >= k).sum()), n, math.exp(-k)).pvalue > P_MIN, k


def test_bernoulli_exp_of_zero_is_always_one() -> None:
    """exp(-0) = 1: a zero numerator always succeeds."""
    with deterministic_noise(18):
        assert bernoulli_exp(np.zeros(1000, dtype=np.uint64), 9).all()


def test_the_one_word_exp1_construction_is_exact() -> None:
    """Each word range of the 19! construction has exactly the probability of Algorithm 1's trial
    count, P(L = j) = 1/(j+1)! - 1/(j+2)!, and the all-success range 1/19! continues the trials."""
    limit = int(_sampler._F_LIMIT)
    thresholds = [int(c) for c in _sampler._F_THRESHOLDS[::-1]]  # j = 1..18, descending
    edges = [limit, *thresholds]
    for j in range(18):
        mass = Fraction(edges[j] - edges[j + 1], limit)
        assert mass == Fraction(1, math.factorial(j + 1)) - Fraction(1, math.factorial(j + 2))
    assert Fraction(thresholds[-1], limit) == Fraction(1, math.factorial(19))


def test_the_exp1_lookup_table_agrees_with_the_exact_comparison() -> None:
    """Words decided by the 16-bit table get the same outcome as the threshold comparison,
    including words at every threshold and at the rejection limit, plus 200,000 random words."""
    edges = [int(c) for c in _sampler._F_THRESHOLDS] + [int(_sampler._F_LIMIT)]
    crafted = [max(0, e + d) for e in edges for d in (-1, 0, 1)] + [(1 << 64) - 1]
    with deterministic_noise(19):
        words = np.concatenate((np.array(crafted, dtype=np.uint64), random_uint64(200_000)))
    table = _sampler._EXP1_TABLE[words >> np.uint64(48)]
    counts = _sampler._exp1_trial_counts(words)
    exact = np.where(words >= _sampler._F_LIMIT, _sampler._REDRAW, counts & 1)
    decided = (table != _sampler._UNSURE) & (counts < 18)
    assert (table[decided] == exact[decided]).all()
    assert (_sampler._EXP1_TABLE == _sampler._UNSURE).mean() < 0.001


def test_deep_trial_runs_continue_one_trial_at_a_time() -> None:
    """Past the tables (24 trials of exp(-gamma), 18 of exp(-1)) the trials go on exactly."""
    # gamma = 1: words of 0 succeed every trial; the 26th trial's word fails it (k = 26, even).
    fail_26 = ((1 << 64) - 1) // 26  # the step of trial 26: not below it, so the trial fails
    words = [0] * 24 + [0, fail_26]
    assert not bernoulli_exp(np.array([1], dtype=np.uint64), 1, Scripted(words))[0]
    # exp(-1): word 0 means 18 successes; trial 20 succeeds (0), trial 21 fails: k = 21, odd.
    fail_21 = ((1 << 64) - 1) // 21
    assert bernoulli_exp1(1, Scripted([0, 0, fail_21]))[0]


def test_uniform_below_redraws_words_past_the_last_full_multiple() -> None:
    """A word at or past the largest multiple of the bound is redrawn, never folded in."""
    bound = 10
    limit = ((1 << 64) - 1) // bound * bound
    out = uniform_below(2, bound, Scripted([limit, 7, limit + 1, limit - 1]))
    assert out.tolist() == [(limit - 1) % bound, 7]


def test_word_stream_hands_out_the_csprng_sequence_in_order() -> None:
    """Taking words in pieces gives the same words as one draw under the same seed."""
    with deterministic_noise(20):
        stream = WordStream(3)
        pieces = np.concatenate([stream.take(n) for n in (1, 5, 1500, 2, 3000)])
    with deterministic_noise(20):
        whole = random_uint64(pieces.size)
    assert (pieces == whole).all()


# -- limits and saturation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scale",
    [Fraction(0), Fraction(-1), 1.0, Fraction(1 << 56), Fraction(1, 1 << 56)],
)
def test_scales_outside_the_limits_are_input_errors(scale: object) -> None:
    """A scale that is not a positive Fraction with terms below 2**56 is an InputError."""
    with pytest.raises(InputError, match="scale"):
        check_scale(scale)  # type: ignore[arg-type]


def test_values_beyond_2_62_are_refused_and_results_saturate() -> None:
    """Noise is added to integers within ±2**62; a sum past int64 saturates (post-processing)."""
    with pytest.raises(InputError, match="2\\*\\*62"):
        add_discrete_laplace(np.array([(1 << 62) + 1], dtype=np.int64), Fraction(1))
    one = int(_sampler._F_THRESHOLDS[-2])
    zero = int(_sampler._F_THRESHOLDS[-1])
    t, v = 1 << 55, 128  # V = 128 leaves the fast path: exact, then saturated
    words = [0, 0, 0] + [one] * v + [zero, zero] + [0]
    out = _sampler._batch(np.array([1 << 62], dtype=np.int64), t, 1, Scripted(words))
    assert int(out[0]) == (1 << 63) - 1


def test_batches_cover_every_lane() -> None:
    """More draws than one batch are all drawn (no lane left at its initial value)."""
    with deterministic_noise(21):
        out = add_discrete_laplace(np.full(2 * BATCH + 17, 10**12, dtype=np.int64), Fraction(2))
    assert (np.abs(out - 10**12) < 200).all()
    assert len(np.unique(out)) > 20
