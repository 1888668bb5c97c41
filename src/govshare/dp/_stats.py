"""Exact per-group totals of bounded rows, and the noisy counts, sums, means and variances drawn
from them with their public-parameter intervals.

What is published is post-processing of the noisy integers, so it keeps their guarantee: counts
are clamped to at least 0 (a count of -4 residents is nonsense to a reader), sums of values that
cannot be negative (or positive) likewise, and their intervals with them, which never loses
coverage because the true value is on the kept side. The unclamped noisy value stays in
``raw_value`` for analysts who need unbiased estimates. Results of queries with bounds carry the
interval the values were clipped to (``clip_low``, ``clip_high``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare.dp._mechanisms import discrete_laplace_half_width
from govshare.dp._plan import Plan, confidence_for
from govshare.dp._sampler import add_discrete_laplace

__all__ = ["Totals", "exact_totals", "interval_stats"]

_F = NDArray[np.float64]
_I = NDArray[np.int64]


@dataclass(frozen=True)
class Totals:
    """What the noise is added to: per group, the kept rows and each sum component in grid steps.

    Totals of disjoint sets of persons add up, which is how a distributed engine combines the
    totals of its partitions.
    """

    rows: _I
    sums: dict[str, _I]


def exact_totals(
    query: str, plan: Plan, groups: NDArray[np.int64], values: _F | None, n: int
) -> Totals:
    """The totals of the kept rows (their *groups* codes below *n*, their *values*) for *query*.

    Values are clipped to the plan's bounds (and centred for means and variances), then rounded
    to each sum component's grid: sums are exact integers of grid steps.
    """
    rows = np.bincount(groups, minlength=n).astype(np.int64)
    if query in ("count", "histogram"):
        return Totals(rows, {})
    assert values is not None
    assert plan.preview.bounds is not None
    lower, upper = plan.preview.bounds
    clipped = np.clip(values, lower, upper)
    if query == "sum":
        return Totals(rows, {"sum": _steps(plan, "sum", groups, clipped, n)})
    centred = clipped - (lower + upper) / 2
    sums = {"sum": _steps(plan, "sum", groups, centred, n)}
    if query == "variance":
        sums["sum_of_squares"] = _steps(plan, "sum_of_squares", groups, centred * centred, n)
    return Totals(rows, sums)


def _steps(plan: Plan, name: str, groups: NDArray[np.int64], transformed: _F, n: int) -> _I:
    steps = np.rint(transformed / plan.grids[name])
    return np.rint(np.bincount(groups, weights=steps, minlength=n)).astype(np.int64)


class Noisy:
    """Noise on the totals of the *released* groups, with each component's half-width."""

    def __init__(self, plan: Plan, totals: Totals, released: NDArray[np.intp]) -> None:
        self._plan = plan
        self._totals = totals
        self._released = released

    def count(self, level: Fraction) -> tuple[_I, int]:
        """Noisy row counts (integers) and the noise half-width at *level*."""
        scale = self._plan.scales["count"]
        noisy = add_discrete_laplace(self._totals.rows[self._released], scale)
        return noisy, discrete_laplace_half_width(scale, level)

    def sum(self, name: str, level: Fraction) -> tuple[_F, float]:
        """Noisy sums of component *name* (in its units, not grid steps) and the half-width."""
        grid = self._plan.grids[name]
        scale = self._plan.scales[name]  # in grid steps
        noisy = add_discrete_laplace(self._totals.sums[name][self._released], scale)
        return (noisy * grid).astype(np.float64), float(
            discrete_laplace_half_width(scale, level)
        ) * grid


def interval_stats(
    query: str, plan: Plan, totals: Totals, released: NDArray[np.intp]
) -> pd.DataFrame:
    """The published columns of *query* over the *released* groups: ``value``, ``ci_low``,
    ``ci_high``, then ``raw_value`` (counts, sums) and ``clip_low`` / ``clip_high`` (bounds)."""
    noisy = Noisy(plan, totals, released)
    if query in ("count", "histogram"):
        count, hw = noisy.count(confidence_for(1))
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
    if query == "sum":
        total, hw_sum = noisy.sum("sum", confidence_for(1))
        low, high = (0.0 if lower >= 0 else -np.inf), (0.0 if upper <= 0 else np.inf)
        frame = _frame(
            np.clip(total, low, high),
            np.clip(total - hw_sum, low, high),
            np.clip(total + hw_sum, low, high),
        )
        frame["raw_value"] = total
        return _with_clip(frame, lower, upper)
    return _with_clip(_moments(query, noisy, lower, upper), lower, upper)


def _moments(query: str, noisy: Noisy, lower: float, upper: float) -> pd.DataFrame:
    """Means and variances (post-processing of noisy counts and sums of centred values),
    clipped to what is possible for values in ``[lower, upper]``."""
    mid, half = (lower + upper) / 2, (upper - lower) / 2
    level = confidence_for(2 if query == "mean" else 3)
    raw_count, hw_count = noisy.count(level)
    count = raw_count.astype(np.float64)
    total, hw_s = noisy.sum("sum", level)
    c_lo, c_hi = np.maximum(count - hw_count, 1), np.maximum(count + hw_count, 1)
    ratio_lo, ratio_hi = _ratio_range(total - hw_s, total + hw_s, c_lo, c_hi)
    mean = total / np.maximum(count, 1)
    if query == "mean":
        return _frame(
            np.clip(mid + mean, lower, upper),
            np.clip(mid + ratio_lo, lower, upper),
            np.clip(mid + ratio_hi, lower, upper),
        )
    squares, hw_q = noisy.sum("sum_of_squares", level)
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
