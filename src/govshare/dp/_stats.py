"""Noisy counts, sums, means and variances per group, with their public-parameter intervals.

What is published is post-processing of the noisy integers, so it keeps their guarantee: counts
are clamped to at least 0 (a count of -4 residents is nonsense to a reader), sums of values that
cannot be negative (or positive) likewise, and their intervals with them, which never loses
coverage because the true value is on the kept side. The unclamped noisy value stays in
``raw_value`` for analysts who need unbiased estimates. Results of queries with bounds carry the
interval the values were clipped to (``clip_low``, ``clip_high``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare.dp._mechanisms import discrete_laplace_half_width
from govshare.dp._plan import Plan, confidence_for
from govshare.dp._sampler import add_discrete_laplace

__all__ = ["Noisy", "interval_stats"]

_F = NDArray[np.float64]
_I = NDArray[np.int64]


class Noisy:
    """The bounded rows of one query, and the noisy per-group aggregates drawn from them."""

    def __init__(self, plan: Plan, groups: NDArray[np.int64], values: _F | None, n: int) -> None:
        self._plan = plan
        self._groups = groups
        self._values = values
        self._n = n

    def count(self, released: NDArray[np.intp], level: Fraction) -> tuple[_I, int]:
        """Noisy row counts of the *released* groups and the noise half-width at *level*."""
        scale = self._plan.scales["count"]
        exact = np.bincount(self._groups, minlength=self._n)[released]
        noisy = add_discrete_laplace(exact.astype(np.int64), scale)
        return noisy, discrete_laplace_half_width(scale, level)

    def sum(
        self, name: str, transformed: _F, released: NDArray[np.intp], level: Fraction
    ) -> tuple[_F, float]:
        """Noisy sums of *transformed* values on the component's grid, and the half-width."""
        grid = self._plan.grids[name]
        scale = self._plan.scales[name]  # in grid steps
        steps = np.rint(transformed / grid)
        exact = np.rint(np.bincount(self._groups, weights=steps, minlength=self._n))[released]
        noisy = add_discrete_laplace(exact.astype(np.int64), scale)
        return (noisy * grid).astype(np.float64), float(
            discrete_laplace_half_width(scale, level)
        ) * grid

    @property
    def values(self) -> _F:
        """The kept rows' values."""
        assert self._values is not None
        return self._values


def interval_stats(
    query: str, plan: Plan, noisy: Noisy, released: NDArray[np.intp]
) -> pd.DataFrame:
    """The published columns of *query* over the *released* groups: ``value``, ``ci_low``,
    ``ci_high``, then ``raw_value`` (counts, sums) and ``clip_low`` / ``clip_high`` (bounds)."""
    if query in ("count", "histogram"):
        count, hw = noisy.count(released, confidence_for(1))
        zero = np.int64(0)
        return pd.DataFrame(
            {
                "value": np.maximum(count, zero),
                "ci_low": np.maximum(count - hw, zero),
                "ci_high": np.maximum(count + hw, zero),
                "raw_value": count,
            }
        )
    assert plan.preview.bounds is not None
    lower, upper = plan.preview.bounds
    clipped = np.clip(noisy.values, lower, upper)
    if query == "sum":
        total, hw_sum = noisy.sum("sum", clipped, released, confidence_for(1))
        low, high = (0.0 if lower >= 0 else -np.inf), (0.0 if upper <= 0 else np.inf)
        frame = _frame(
            np.clip(total, low, high),
            np.clip(total - hw_sum, low, high),
            np.clip(total + hw_sum, low, high),
        )
        frame["raw_value"] = total
        return _with_clip(frame, lower, upper)
    return _with_clip(_moments(query, noisy, released, clipped, lower, upper), lower, upper)


def _moments(
    query: str, noisy: Noisy, released: NDArray[np.intp], clipped: _F, lower: float, upper: float
) -> pd.DataFrame:
    """Means and variances (post-processing of noisy counts and sums), clipped to what is
    possible for values in ``[lower, upper]``."""
    mid, half = (lower + upper) / 2, (upper - lower) / 2
    centred = clipped - mid
    level = confidence_for(2 if query == "mean" else 3)
    raw_count, hw_count = noisy.count(released, level)
    count = raw_count.astype(np.float64)
    total, hw_s = noisy.sum("sum", centred, released, level)
    c_lo, c_hi = np.maximum(count - hw_count, 1), np.maximum(count + hw_count, 1)
    ratio_lo, ratio_hi = _ratio_range(total - hw_s, total + hw_s, c_lo, c_hi)
    mean = total / np.maximum(count, 1)
    if query == "mean":
        return _frame(
            np.clip(mid + mean, lower, upper),
            np.clip(mid + ratio_lo, lower, upper),
            np.clip(mid + ratio_hi, lower, upper),
        )
    squares, hw_q = noisy.sum("sum_of_squares", centred * centred, released, level)
    value = np.clip(squares / np.maximum(count, 1) - mean * mean, 0, half * half)
    e2_lo, e2_hi = np.maximum(squares - hw_q, 0) / c_hi, np.maximum(squares + hw_q, 0) / c_lo
    sq_lo = np.where((ratio_lo <= 0) & (ratio_hi >= 0), 0, np.minimum(ratio_lo**2, ratio_hi**2))
    sq_hi = np.maximum(ratio_lo**2, ratio_hi**2)
    return _frame(
        value, np.clip(e2_lo - sq_hi, 0, half * half), np.clip(e2_hi - sq_lo, 0, half * half)
    )


def _ratio_range(s_lo: _F, s_hi: _F, c_lo: _F, c_hi: _F) -> tuple[_F, _F]:
    corners = np.stack([s_lo / c_lo, s_lo / c_hi, s_hi / c_lo, s_hi / c_hi])
    return corners.min(axis=0), corners.max(axis=0)


def _frame(value: _F, low: _F, high: _F) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": np.asarray(value, dtype=np.float64),
            "ci_low": np.asarray(low, dtype=np.float64),
            "ci_high": np.asarray(high, dtype=np.float64),
        }
    )


def _with_clip(frame: pd.DataFrame, lower: float, upper: float) -> pd.DataFrame:
    """*frame* with the clipping interval as ``clip_low`` / ``clip_high`` on every row."""
    return frame.assign(clip_low=lower, clip_high=upper)
