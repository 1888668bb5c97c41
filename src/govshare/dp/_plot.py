"""Charts for notebooks: released values with their intervals, and budgets spent against caps.

matplotlib is an optional extra (``govshare[plot]``), imported only when a chart is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from govshare.dp._models import BudgetStatus, Release
from govshare.exceptions import FeatureNotEnabled, InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_budget", "plot_release"]

_NEEDED = ("value", "ci_low", "ci_high")


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise FeatureNotEnabled("plots need matplotlib: pip install 'govshare[plot]'") from None
    return plt


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _figure, new = _pyplot().subplots()
    result: Axes = new
    return result


def _labels(index: pd.Index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return [" / ".join(str(part) for part in key) for key in index]
    return [str(key) for key in index]


def plot_release(
    frame: pd.DataFrame,
    release: Release | None,
    *,
    ax: Axes | None = None,
    kind: Literal["bar", "point"] = "bar",
    title: str | None = None,
) -> Axes:
    """Draw each group's ``value`` with its ``ci_low`` to ``ci_high`` interval as an error bar.

    Groups whose interval is unknown (NaN, as for some quantiles) are drawn without a bar.

    Raises:
        InputError: *frame* lacks ``value``, ``ci_low`` or ``ci_high``, or *kind* is unknown.
        FeatureNotEnabled: matplotlib is not installed.
    """
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise InputError(f"plot() needs the columns value, ci_low and ci_high; missing {missing}")
    if kind not in ("bar", "point"):
        raise InputError("kind is 'bar' or 'point'")
    axes = _axes(ax)
    value = frame["value"].to_numpy(dtype=np.float64)
    below = np.maximum(value - frame["ci_low"].to_numpy(dtype=np.float64), 0.0)
    above = np.maximum(frame["ci_high"].to_numpy(dtype=np.float64) - value, 0.0)
    labels = _labels(frame.index)
    where = np.arange(len(frame))
    if kind == "bar":
        axes.bar(where, value, yerr=np.vstack([below, above]), capsize=4, color="#2e86c1")
    else:
        axes.errorbar(where, value, yerr=np.vstack([below, above]), fmt="o", capsize=4)
    axes.set_xticks(where, labels)
    axes.set_ylabel("value")
    axes.set_title(title if title is not None else _caption(release))
    return axes


def _caption(release: Release | None) -> str:
    if release is None:
        return "values with their intervals"
    what = f"{release.query} of {release.column}" if release.column else release.query
    return f"DP {what}: epsilon {release.epsilon:g}, {release.confidence:.0%} noise intervals"


def plot_budget(
    statuses: Sequence[BudgetStatus],
    *,
    ax: Axes | None = None,
    measure: Literal["epsilon", "delta"] = "epsilon",
    title: str | None = None,
) -> Axes:
    """Draw each cap as a horizontal bar, filled to what has been spent (red past 90%).

    Raises:
        InputError: *measure* is not ``"epsilon"`` or ``"delta"``.
        FeatureNotEnabled: matplotlib is not installed.
    """
    if measure not in ("epsilon", "delta"):
        raise InputError("measure is 'epsilon' or 'delta'")
    axes = _axes(ax)
    caps = np.array([getattr(s, f"{measure}_cap") for s in statuses], dtype=np.float64)
    spent = np.array([getattr(s, f"{measure}_spent") for s in statuses], dtype=np.float64)
    labels = [
        f"{s.dataset} / {'everyone' if s.requester == '*' else s.requester}" for s in statuses
    ]
    where = np.arange(len(statuses))
    full = np.divide(spent, caps, out=np.ones_like(spent), where=caps > 0) >= 0.9
    axes.barh(where, caps, color="#e5e8e8", edgecolor="#7f8c8d", label="cap")
    axes.barh(where, spent, color=np.where(full, "#c0392b", "#2e86c1").tolist(), label="spent")
    axes.set_yticks(where, labels)
    axes.set_xlabel(measure)
    axes.legend()
    axes.set_title(title if title is not None else f"privacy budget: {measure} spent of cap")
    return axes
