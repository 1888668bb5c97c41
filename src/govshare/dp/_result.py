"""Results: a pandas DataFrame (``value``, ``ci_low``, ``ci_high``) that carries its release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd

from govshare.dp._models import Release

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DPResult", "ResultPlot"]


class DPResult(pd.DataFrame):
    """A released statistic: one row per group with ``value``, ``ci_low`` and ``ci_high``, plus
    ``raw_value`` (the unclamped noisy value of a count or sum) and ``clip_low`` / ``clip_high``
    (the interval values were clipped to) where they apply.

    ``release`` (also in ``attrs["govshare.dp"]``) holds the public metadata: query, epsilon,
    delta, mechanisms, noise scales, bounds, guarantees, and a ``note`` when the table alone would
    mislead (an empty partition selection).

    Operations that derive a frame from one result (``copy``, ``head``, ``tail``, boolean
    filtering, ``query``, ``filter``, ``loc``/``iloc``, ``sort_values``, ``assign``, ``rename``,
    ``drop``, ``round``, ``set_index``/``reset_index``) return a ``DPResult`` with the same
    ``release``, so its caption follows it; the caption then says how many of the released groups
    it shows. ``pd.concat`` and ``merge`` combine frames and return one with ``release = None``
    (a plain table, no caption). Values computed from a result are not a new release: their
    caption still describes the release the rows came from.
    """

    _metadata: ClassVar[list[str]] = ["release"]
    release: Release | None = None  # None on frames combined from several (concat, merge)

    @property
    def _constructor(self) -> Any:
        return DPResult

    @classmethod
    def build(cls, frame: pd.DataFrame, release: Release) -> DPResult:
        """Wrap *frame* with its *release*."""
        result = cls(frame)
        result.release = release
        result.attrs["govshare.dp"] = release.model_dump(mode="json")
        return result

    def _release(self) -> Release | None:
        return getattr(self, "release", None)

    def __repr__(self) -> str:
        release = self._release()
        table = pd.DataFrame(self).__repr__()
        return f"{release.note}\n{table}" if release is not None and release.note else table

    def _repr_html_(self) -> str | None:
        from govshare.dp._html import release_html

        table = pd.DataFrame(self).to_html()
        release = self._release()
        return table if release is None else release_html(release, table, shown=len(self))

    @property
    def plot(self) -> ResultPlot:  # type: ignore[override]  # callable; pandas' methods kept
        """``result.plot()`` draws values with their intervals (matplotlib, ``govshare[plot]``);
        ``result.plot.line(…)`` and the other pandas plot methods work as on any DataFrame."""
        return ResultPlot(self)


class ResultPlot:
    """What ``DPResult.plot`` returns: callable for the interval chart, pandas' plots otherwise."""

    def __init__(self, result: DPResult) -> None:
        self._result = result

    def __call__(
        self,
        *,
        ax: Axes | None = None,
        kind: Literal["bar", "point"] = "bar",
        title: str | None = None,
    ) -> Axes:
        """Draw every group's value with its interval; returns the matplotlib ``Axes``.

        Raises:
            InputError: the frame lacks ``value``/``ci_low``/``ci_high``, or *kind* is unknown.
            FeatureNotEnabled: matplotlib is not installed (``pip install 'govshare[plot]'``).
        """
        from govshare.dp._plot import plot_release

        return plot_release(self._result, self._result._release(), ax=ax, kind=kind, title=title)

    def __getattr__(self, name: str) -> Any:
        return getattr(pd.DataFrame(self._result).plot, name)
