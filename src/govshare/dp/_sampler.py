"""Exact discrete Laplace sampling with integer arithmetic only, vectorised with NumPy.

The construction is Canonne, Kamath and Steinke, *The Discrete Gaussian for Differential Privacy*
(NeurIPS 2020): Algorithm 2 draws the discrete Laplace law of a rational scale ``t/s`` from
``Bernoulli(exp(-gamma))`` variables with rational ``gamma``, which their Algorithm 1 draws from
rational Bernoulli variables; OpenDP samples the same way. Every decision compares a uniform
64-bit CSPRNG word with an integer threshold, so every output follows the discrete Laplace law
exactly: no logarithm, no float, no truncated tail.

Each step runs over arrays of *lanes* (one per draw still being made): a rejection loop redraws
only the lanes it rejected, and batches of :data:`BATCH` lanes keep every array in the CPU caches.
Exact shortcuts replace the paper's one-draw-at-a-time loops without changing any law:

* a uniform integer below ``n`` is ``w mod n`` for a word ``w`` below the largest multiple of
  ``n`` under ``2**64`` (a word above it is redrawn), so there is no modulo bias;
* ``Bernoulli(p/q)`` is ``w < p * floor((2**64 - 1) / q)`` for a word below ``q`` times that
  floor (redrawn above it): one word decides a rational Bernoulli exactly;
* Algorithm 1 for ``gamma = 1`` runs trials ``Bernoulli(1/k)``, ``k = 2, 3, …``, until one fails;
  the number ``L`` of successes has ``P(L >= j) = 1/(j+1)!``. One word, read as a uniform integer
  ``u`` below ``19!``, decides up to 18 trials at once (``L >= j`` iff ``u < 19!/(j+1)!``), and
  ``Bernoulli(exp(-1))`` is ``L`` odd. A table over the word's top 16 bits gives the answer for
  all but about 0.01% of words, which are compared with the thresholds (the 0.4% of words past
  the last multiple of ``19!`` are redrawn); only when all 18 trials succeed (``u = 0``,
  probability ``1/19!``) do further trials run one at a time;
* every round decides two trials (or two ``Bernoulli(exp(-1))`` draws) of every lane still going,
  from two words, so that few lanes need another round.

Limits: the scale's numerator and denominator, in lowest terms, must each be below ``2**56`` (so
every product above fits in 64 bits), and noise is added to integers within ``±2**62``. A noisy
value that leaves the fast path's range (probability below ``exp(-31)`` per draw even at the
largest scale) is computed exactly with Python integers and then saturated to the int64 range:
post-processing, so the guarantee holds.

The time a draw takes depends on the random words only, never on the values noise is added to.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

import numpy as np
from numpy.typing import NDArray

from govshare.dp._rng import random_uint64
from govshare.exceptions import InputError

__all__ = [
    "BATCH",
    "SCALE_LIMIT",
    "VALUE_LIMIT",
    "WordStream",
    "add_discrete_laplace",
    "bernoulli_exp",
    "bernoulli_exp1",
    "check_scale",
    "discrete_laplace",
    "geometric_exp1",
    "uniform_below",
]

SCALE_LIMIT: Final = 1 << 56
"""The scale's numerator and denominator (in lowest terms) must each be below this."""
VALUE_LIMIT: Final = 1 << 62
"""Noise is added to integers of at most this magnitude."""
BATCH: Final = 1 << 16
"""Lanes per batch: a batch's arrays (a few hundred KiB each) stay in the CPU caches."""

_U64: Final = np.uint64
_WORD_MAX: Final = (1 << 64) - 1
_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
# On the vectorised path a lane's X = U + t*V stays below this, so X, Y and value + Y fit int64.
_FAST_LIMIT: Final = 1 << 61
# Trials k <= _TRIALS of Bernoulli(exp(-gamma)) use precomputed thresholds; a lane still going
# after them (probability at most 1/_TRIALS!) continues on the scalar path.
_TRIALS: Final = 24
# Words are drawn from the CSPRNG in blocks of this many (the first block is sized to the job).
_BLOCK_MIN: Final = 1 << 10
_BLOCK_MAX: Final = 1 << 15  # 256 KiB: see _rng._CHUNK

# Bernoulli(exp(-1)) from one word: u = w // step is uniform below 19! for w < step * 19!, and
# the trial count L >= j iff w < step * 19!/(j+1)!, for j = 1..18.
_FACTORIAL: Final = math.factorial(19)
_F_STEP: Final = _WORD_MAX // _FACTORIAL
_F_LIMIT: Final = _U64(_F_STEP * _FACTORIAL)
_F_DEPTH: Final = 18
_F_THRESHOLDS: Final = np.array(  # ascending: the thresholds of j = 18, 17, …, 1
    [_F_STEP * (_FACTORIAL // math.factorial(j + 1)) for j in range(_F_DEPTH, 0, -1)],
    dtype=np.uint64,
)
# Outcome codes of one exp(-1) word; _UNSURE (the largest, so one max() finds it) only inside
# the table.
_ZERO: Final = 0
_ONE: Final = 1
_REDRAW: Final = 2
_UNSURE: Final = 3
_TABLE_SHIFT: Final = _U64(48)


class WordStream:
    """CSPRNG words handed out in order, drawn from :func:`random_uint64` in blocks.

    One stream serves one sampling call and is then dropped, so no random words outlive it;
    blocks only batch the draws (the words come out in the order the CSPRNG produced them).
    """

    def __init__(self, expected: int = _BLOCK_MIN) -> None:
        self._block = min(max(expected, _BLOCK_MIN), _BLOCK_MAX)
        self._buffer = np.empty(0, dtype=np.uint64)
        self._next = 0

    def take(self, n: int) -> NDArray[np.uint64]:
        """The next *n* words (a read-only view)."""
        end = self._next + n
        if end > self._buffer.size:
            rest = self._buffer[self._next :]
            fresh = random_uint64(max(n - rest.size, self._block))
            self._buffer = np.concatenate((rest, fresh))
            self._buffer.flags.writeable = False
            self._next, end = 0, n
            self._block = _BLOCK_MAX
        out = self._buffer[self._next : end]
        self._next = end
        return out


def check_scale(scale: Fraction) -> tuple[int, int]:
    """The numerator and denominator of *scale*, checked against the sampler's limits.

    Raises:
        InputError: *scale* is not a positive Fraction, or its numerator or denominator in
            lowest terms is not below ``2**56``.
    """
    if not isinstance(scale, Fraction) or scale <= 0:
        raise InputError("the noise scale must be a positive exact fraction")
    t, s = scale.numerator, scale.denominator
    if t >= SCALE_LIMIT or s >= SCALE_LIMIT:
        raise InputError(
            "the noise scale sensitivity/epsilon needs a numerator and denominator below 2**56 "
            "in lowest terms: use fewer decimal places of epsilon or smaller contribution bounds"
        )
    return t, s


def uniform_below(n: int, bound: int, words: WordStream | None = None) -> NDArray[np.uint64]:
    """*n* independent uniform integers in ``[0, bound)``, for ``1 <= bound < 2**64``, exactly.

    A word at or above the largest multiple of *bound* that fits in 64 bits is redrawn.
    """
    stream = words or WordStream(n)
    limit = _U64((_WORD_MAX // bound) * bound)
    drawn = stream.take(n)
    out = drawn % _U64(bound)
    redo = np.flatnonzero(drawn >= limit)
    while redo.size:
        fresh = stream.take(redo.size)
        out[redo] = fresh % _U64(bound)
        redo = redo[fresh >= limit]
    return out


# -- Bernoulli(exp(-gamma)) for rational gamma in [0, 1] ------------------------------------------


def bernoulli_exp(
    numerator: NDArray[np.uint64], denominator: int, words: WordStream | None = None
) -> NDArray[np.bool_]:
    """One ``Bernoulli(exp(-numerator[i] / denominator))`` per lane, exactly (CKS Algorithm 1).

    Each ``numerator[i]`` must be at most *denominator*, which must be below ``2**56``. Trial
    ``k`` is ``Bernoulli(gamma / k)`` and the result is whether the first trial to fail has an
    odd index. Every round decides two trials of every lane still going, from two words; a lane
    with a word above its limit redraws both (rejection on the pair, so the law is unchanged).
    """
    stream = words or WordStream(3 * numerator.size)
    steps, limits = _trial_tables(denominator)
    n = numerator.size
    drawn = stream.take(2 * n)
    first, second = drawn[:n], drawn[n:]
    success1 = first < numerator * steps[1]
    success2 = second < numerator * steps[2]
    bad = (first >= limits[1]) | (second >= limits[2])
    out: NDArray[np.bool_] = ~success1  # trial 1 fails: k = 1, odd; else trial 2 fails: k = 2
    more = np.flatnonzero((success1 & success2) | bad)
    if more.size:
        k = np.where(bad[more], 1, 3)
        out[more] = _exp_rounds(numerator[more], k, denominator, steps, limits, stream)
    return out


def _exp_rounds(
    numerator: NDArray[np.uint64],
    k: NDArray[np.intp],
    denominator: int,
    steps: NDArray[np.uint64],
    limits: NDArray[np.uint64],
    stream: WordStream,
) -> NDArray[np.bool_]:
    """Algorithm 1 from trial ``k[i]`` on (every earlier trial of lane i succeeded)."""
    out = np.empty(numerator.size, dtype=np.bool_)
    lanes = np.arange(numerator.size)
    num = numerator
    while lanes.size:
        deep = np.flatnonzero(k >= _TRIALS)  # past the tables: one trial at a time
        for i in deep:
            out[lanes[i]] = _exp_trials_scalar(int(num[i]), denominator, int(k[i]), stream)
        if deep.size:
            going = k < _TRIALS
            lanes, num, k = lanes[going], num[going], k[going]
        m = lanes.size
        drawn = stream.take(2 * m)
        first, second = drawn[:m], drawn[m:]
        success1 = first < num * steps[k]
        success2 = second < num * steps[k + 1]
        bad = (first >= limits[k]) | (second >= limits[k + 1])
        out[lanes] = ((k + success1) & 1) == 1
        more = (success1 & success2) | bad
        k = np.where(bad, k, k + 2)[more]
        lanes, num = lanes[more], num[more]
    return out


def _trial_tables(denominator: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Per trial k (index k, 1.._TRIALS): the step ``floor((2**64-1) / (denominator k))`` and
    the word limit ``step * denominator * k``."""
    dens = [denominator * k for k in range(1, _TRIALS + 1)]
    steps = [0] + [_WORD_MAX // d for d in dens]
    limits = [0] + [(_WORD_MAX // d) * d for d in dens]
    return np.array(steps, dtype=np.uint64), np.array(limits, dtype=np.uint64)


def _exp_trials_scalar(numerator: int, denominator: int, k: int, stream: WordStream) -> bool:
    """Algorithm 1 continued one trial at a time from trial *k*, with Python integers."""
    while _bernoulli_rational(numerator, denominator * k, stream):
        k += 1
    return k % 2 == 1


def _bernoulli_rational(numerator: int, denominator: int, stream: WordStream) -> bool:
    """``Bernoulli(numerator / denominator)`` from whole 64-bit words, exactly (any size)."""
    count = max(1, -(-denominator.bit_length() // 64))
    step = ((1 << (64 * count)) - 1) // denominator
    while True:
        value = int.from_bytes(stream.take(count).tobytes(), "little")
        if value < step * denominator:
            return value < numerator * step


# -- Bernoulli(exp(-1)) and the geometric count V -------------------------------------------------


def _exp1_trial_counts(drawn: NDArray[np.uint64]) -> NDArray[np.intp]:
    """How many trials ``Bernoulli(1/2), Bernoulli(1/3), …`` succeed in a row (capped at 18)."""
    return _F_DEPTH - np.searchsorted(_F_THRESHOLDS, drawn, side="right")


def _exp1_table() -> NDArray[np.uint8]:
    """The outcome of every word whose top 16 bits are the index, where they alone decide it."""
    low = np.arange(1 << 16, dtype=np.uint64) << _TABLE_SHIFT
    high = low + _U64((1 << 48) - 1)
    count_low, count_high = _exp1_trial_counts(low), _exp1_trial_counts(high)
    table = np.where((count_low & 1) == 1, _ONE, _ZERO).astype(np.uint8)
    table[(count_low != count_high) | (count_low == _F_DEPTH) | (high >= _F_LIMIT)] = _UNSURE
    table[low >= _F_LIMIT] = _REDRAW
    return table


_EXP1_TABLE: Final = _exp1_table()


def _pair_table() -> NDArray[np.uint8]:
    """For two outcomes ``(first << 2) | second``: the successes gained in a row (bits 0-1) and
    whether the lane goes on (bit 2): after two successes, a success then a redrawn word, or a
    redrawn first word (whose partner is then unused)."""
    table = np.zeros(16, dtype=np.uint8)
    for first in (_ZERO, _ONE, _REDRAW):
        for second in (_ZERO, _ONE, _REDRAW):
            one = first == _ONE
            gained = int(one) + int(one and second == _ONE)
            more = first == _REDRAW or (one and second != _ZERO)
            table[(first << 2) | second] = gained | (4 if more else 0)
    return table


_PAIRS: Final = _pair_table()


def _exp1_outcomes(drawn: NDArray[np.uint64], stream: WordStream) -> NDArray[np.uint8]:
    """Per word: ``_ONE`` / ``_ZERO`` (the ``Bernoulli(exp(-1))`` it decides) or ``_REDRAW``."""
    top = (drawn >> _TABLE_SHIFT).view(np.int64)  # below 2**16; int64 indexes without a cast
    out: NDArray[np.uint8] = _EXP1_TABLE[top]
    if out.size and out.max() == _UNSURE:
        unsure = np.flatnonzero(out == _UNSURE)
        words = drawn[unsure]
        counts = _exp1_trial_counts(words)
        exact = (counts & 1).astype(np.uint8)
        exact[words >= _F_LIMIT] = _REDRAW
        for i in np.flatnonzero((counts == _F_DEPTH) & (words < _F_LIMIT)):
            exact[i] = _exp_trials_scalar(1, 1, _F_DEPTH + 2, stream)
        out[unsure] = exact
    return out


def bernoulli_exp1(n: int, words: WordStream | None = None) -> NDArray[np.bool_]:
    """*n* independent ``Bernoulli(exp(-1))`` draws, one word each (redrawn when rejected)."""
    stream = words or WordStream(n)
    out = _exp1_outcomes(stream.take(n), stream)
    redo = np.flatnonzero(out == _REDRAW)
    while redo.size:
        fresh = _exp1_outcomes(stream.take(redo.size), stream)
        out[redo] = fresh
        redo = redo[fresh == _REDRAW]
    ones: NDArray[np.bool_] = out == _ONE
    return ones


def geometric_exp1(n: int, words: WordStream | None = None) -> NDArray[np.int64]:
    """*n* draws of ``V``, the number of ``Bernoulli(exp(-1))`` successes before the first
    failure, so ``P(V >= v) = exp(-v)``. Every round draws two Bernoullis for every lane still
    going; a lane goes on after two successes, or after a success and a redrawn word, or after
    a redrawn first word (whose partner is then unused).
    """
    stream = words or WordStream(2 * n)
    out = np.zeros(n, dtype=np.int64)
    lanes: NDArray[np.intp] | None = None  # None: every lane (the first round)
    m = n
    while m:
        both = _exp1_outcomes(stream.take(2 * m), stream)
        first, second = both[:m], both[m:]
        pair = _PAIRS[(first << 2) | second]
        gained = (pair & 3).astype(np.int64)
        more = np.flatnonzero(pair >= 4)
        if lanes is None:
            out += gained
            lanes = more
        else:
            out[lanes] += gained
            lanes = lanes[more]
        m = lanes.size
    return out


def _signs(n: int, stream: WordStream) -> NDArray[np.bool_]:
    """*n* fair bits: bit ``i % 64`` of word ``i // 64`` (of its little-endian bytes)."""
    drawn = stream.take(-(-n // 64))
    return np.unpackbits(drawn.view(np.uint8), bitorder="little")[:n].view(np.bool_)


# -- the discrete Laplace law ---------------------------------------------------------------------


def add_discrete_laplace(values: NDArray[np.int64], scale: Fraction) -> NDArray[np.int64]:
    """``values + X`` with independent discrete Laplace ``X``: ``P(X = x) ∝ exp(-|x| / scale)``.

    *scale* is exact (``sensitivity / epsilon`` as a :class:`~fractions.Fraction`); the sums are
    exact, saturated to the int64 range (see the module docstring).

    Raises:
        InputError: *scale* outside the limits of :func:`check_scale`, or a value beyond
            ``±2**62``.
    """
    t, s = check_scale(scale)
    values = np.asarray(values, dtype=np.int64)
    if values.size and int(np.abs(values).max()) > VALUE_LIMIT:
        raise InputError("discrete Laplace noise is added to integers within ±2**62")
    out = np.empty(values.size, dtype=np.int64)
    for start in range(0, values.size, BATCH):
        batch = values[start : start + BATCH]
        out[start : start + batch.size] = _batch(batch, t, s, WordStream(8 * batch.size))
    return out


def discrete_laplace(n: int, scale: Fraction) -> NDArray[np.int64]:
    """*n* independent exact discrete Laplace draws of *scale* (see :func:`add_discrete_laplace`).

    Raises:
        InputError: *scale* outside the limits of :func:`check_scale`.
    """
    return add_discrete_laplace(np.zeros(n, dtype=np.int64), scale)


def _batch(values: NDArray[np.int64], t: int, s: int, stream: WordStream) -> NDArray[np.int64]:
    """CKS Algorithm 2 for every lane of one batch, scale ``t/s``: ``X = U + t V`` with ``U``
    uniform below ``t`` kept with probability ``exp(-U/t)`` (redrawn until kept) and ``V``
    geometric, ``Y = X // s``, a random sign, and ``-0`` rejected so that 0 is not drawn twice as
    often. A rejected lane draws again from the start."""
    out = values.copy()
    lanes: NDArray[np.intp] | None = None  # None: every lane (the first attempt)
    fast_v = _FAST_LIMIT // t - 1
    m = values.size
    while m:
        u = None if t == 1 else _kept_uniforms(m, t, stream)  # for t = 1, U = 0 is always kept
        v = geometric_exp1(m, stream)
        negative = _signs(m, stream)
        slow = np.flatnonzero(v >= fast_v) if v.max() >= fast_v else v[:0]
        slow_v = v[slow]
        v[slow] = 0  # X could leave int64: these lanes are computed exactly below
        y = v if u is None else u + np.int64(t) * v
        if s != 1:
            y //= s
        rejected = negative & (y == 0)
        np.negative(y, out=y, where=negative)
        base = values if lanes is None else values[lanes]
        noisy = base + y
        for i, big_v in zip(slow, slow_v, strict=True):
            magnitude = (int(0 if u is None else u[i]) + t * int(big_v)) // s
            rejected[i] = bool(negative[i]) and magnitude == 0
            total = int(base[i]) + (-magnitude if negative[i] else magnitude)
            noisy[i] = min(max(total, _INT64_MIN), _INT64_MAX)
        if lanes is None:
            out = noisy
            lanes = np.flatnonzero(rejected)
        else:
            out[lanes] = noisy
            lanes = lanes[rejected]
        m = lanes.size
    return out


def _kept_uniforms(n: int, t: int, stream: WordStream) -> NDArray[np.int64]:
    """*n* draws of ``U``: uniform below *t*, each kept with probability ``exp(-U/t)``, redrawn
    until kept (so ``P(U = u)`` is proportional to ``exp(-u/t)`` on ``[0, t)``)."""
    out = np.empty(n, dtype=np.int64)
    lanes: NDArray[np.intp] | None = None
    m = n
    while m:
        drawn = uniform_below(m, t, stream)
        kept = bernoulli_exp(drawn, t, stream)
        if lanes is None:
            out[kept] = drawn[kept].view(np.int64)  # below 2**56
            lanes = np.flatnonzero(~kept)
        else:
            out[lanes[kept]] = drawn[kept].view(np.int64)
            lanes = lanes[~kept]
        m = lanes.size
    return out
