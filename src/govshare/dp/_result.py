"""Results: a pandas DataFrame (``value``, ``ci_low``, ``ci_high``) that carries its release."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from govshare.dp._models import Release

__all__ = ["DPResult"]


class DPResult(pd.DataFrame):
    """A released statistic: one row per group with ``value``, ``ci_low`` and ``ci_high``.

    It is an ordinary DataFrame; ``release`` (also in ``attrs["govshare.dp"]``) holds the public
    metadata: query, epsilon, delta, mechanisms, noise scales, bounds. Operations on it return plain
    DataFrames.
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

    def _repr_html_(self) -> str | None:
        from govshare.dp._html import release_html

        table = pd.DataFrame(self).to_html()
        return release_html(self.release, table)
