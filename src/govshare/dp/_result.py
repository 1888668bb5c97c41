"""Results: a pandas DataFrame (``value``, ``ci_low``, ``ci_high``) that carries its release."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from govshare.dp._models import Release

__all__ = ["DPResult"]


class DPResult(pd.DataFrame):
    """A released statistic: one row per group with ``value``, ``ci_low`` and ``ci_high``, plus
    ``raw_value`` (the unclamped noisy value of a count or sum) and ``clip_low`` / ``clip_high``
    (the interval values were clipped to) where they apply.

    It is an ordinary DataFrame; ``release`` (also in ``attrs["govshare.dp"]``) holds the public
    metadata: query, epsilon, delta, mechanisms, noise scales, bounds, guarantees, and a ``note``
    when the table alone would mislead (an empty partition selection). Operations on it return
    plain DataFrames.
    """

    _metadata: ClassVar[list[str]] = ["release"]
    release: Release

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    @classmethod
    def build(cls, frame: pd.DataFrame, release: Release) -> DPResult:
        """Wrap *frame* with its *release*."""
        result = cls(frame)
        result.release = release
        result.attrs["govshare.dp"] = release.model_dump(mode="json")
        return result

    def __repr__(self) -> str:
        release = getattr(self, "release", None)  # absent on frames pandas derives from it
        table = pd.DataFrame(self).__repr__()
        return f"{release.note}\n{table}" if release is not None and release.note else table

    def _repr_html_(self) -> str | None:
        from govshare.dp._html import release_html

        table = pd.DataFrame(self).to_html()
        return release_html(self.release, table)
