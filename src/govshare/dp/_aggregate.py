"""Counts, sums and means for engines that bound contributions where the data is (e.g. Spark).

The work splits in two. Workers each hold *every* row of some persons (a partition by privacy
unit) and call :meth:`AggregatePlan.bound`: the same per-person bounding, clipping and grid
rounding as :class:`~govshare.dp.Query`, giving exact per-group totals. The driver adds up those
totals and calls :meth:`AggregatePlan.release` once: partition selection, noise, intervals, and
the ledger charge with its audit event, through the same functions the pandas path uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare._clock import Clock, SystemClock
from govshare.dp._bounding import Bounded, bound_contributions
from govshare.dp._encode import encode_groups, encode_unit, key_index, values_of
from govshare.dp._ledger import Ledger, check_name
from govshare.dp._limits import check_contributions
from govshare.dp._models import Preview
from govshare.dp._release import group_columns, plan_query, publish, select_groups
from govshare.dp._result import DPResult
from govshare.dp._stats import Totals, exact_totals, interval_stats
from govshare.exceptions import InputError
from govshare.identifiers import shown

__all__ = ["AGGREGATES", "AggregatePlan", "GroupTotals"]

AGGREGATES: Final = ("count", "sum", "mean")
"""The queries an :class:`AggregatePlan` can run."""


@dataclass(frozen=True)
class GroupTotals:
    """Exact totals of the bounded rows of some persons, one entry per group they kept rows in.

    Attributes:
        keys: one row per group, one column per ``by`` column (no columns without ``by``).
        persons: distinct persons kept in each group (what partition selection counts).
        rows: rows kept in each group.
        sum: the clipped (centred, for a mean) values' sum in grid steps; None for a count.
    """

    keys: pd.DataFrame
    persons: NDArray[np.int64]
    rows: NDArray[np.int64]
    sum: NDArray[np.int64] | None


class AggregatePlan:
    """One count, sum or mean, planned from public parameters only; picklable, holds no data.

    Args:
        query: ``"count"``, ``"sum"`` or ``"mean"``.
        column: the value column (sums and means).
        bounds: the clipping range of *column* (sums and means).
        by, keys: the group columns, and the public group keys (without keys, groups are
            selected privately and *delta* must be > 0).
        epsilon, delta: what the release charges.
        max_groups, max_rows: the per-person contribution bounds.

    Raises:
        InputError: anything :class:`~govshare.dp.Query` would refuse before reading data.
    """

    def __init__(
        self,
        query: str,
        column: str | None = None,
        *,
        bounds: tuple[float, float] | None = None,
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
        max_groups: int = 1,
        max_rows: int = 1,
    ) -> None:
        if query not in AGGREGATES:
            raise InputError(
                f"an AggregatePlan runs one of {', '.join(AGGREGATES)}, not {shown(query)}"
            )
        check_contributions(max_groups=max_groups, max_rows=max_rows)
        if query == "count" and (column is not None or bounds is not None):
            raise InputError("a count takes no value column or bounds")
        self.query = query
        self.column = column
        self.by = group_columns(by)
        if column is not None and column in self.by:
            raise InputError("the value column cannot also be a group column")
        self.max_groups, self.max_rows = max_groups, max_rows
        self._plan = plan_query(
            query,
            column,
            bounds,
            self.by,
            keys,
            epsilon,
            delta,
            max_groups=max_groups,
            max_rows=max_rows,
        )
        self._keys = key_index(keys, self.by) if keys is not None else None

    def __repr__(self) -> str:
        return (
            f"AggregatePlan({self.query!r}, column={self.column!r}, by={self.by!r}, "
            f"epsilon={self.preview.epsilon}, delta={self.preview.delta})"
        )

    @property
    def preview(self) -> Preview:
        """What the release will charge and its noise (mechanisms, scales, 95% half-widths)."""
        return self._plan.preview

    @property
    def columns(self) -> list[str]:
        """The columns :meth:`bound` reads besides the privacy unit."""
        return [*self.by, *([self.column] if self.column else [])]

    def bound(self, frame: pd.DataFrame, *, privacy_unit: str) -> GroupTotals:
        """Bound and total the rows of *frame*, which must hold **every** row of each person in it.

        Rows outside public keys are dropped before bounding (as in :class:`~govshare.dp.Query`);
        each person keeps at most ``max_groups`` groups and ``max_rows`` rows per group, chosen
        with CSPRNG priorities. Only groups with kept rows are returned.

        Raises:
            InputError: a column is missing, the unit or a group column holds nulls, or a value
                is not a finite number.
        """
        return AggregatePlan.bound_together([self], frame, privacy_unit=privacy_unit)[0]

    @staticmethod
    def bound_together(
        plans: Sequence[AggregatePlan], frame: pd.DataFrame, *, privacy_unit: str
    ) -> list[GroupTotals]:
        """:meth:`bound` for several plans over the same rows; plans with the same groups, keys
        and contribution bounds share one bounding, as one :class:`~govshare.dp.Query` reuses
        its bounded rows for every statistic by the same groups.

        Raises:
            InputError: as :meth:`bound`, for any of the plans.
        """
        if not isinstance(frame, pd.DataFrame):
            raise InputError("bound() takes a pandas DataFrame")
        if len(frame) == 0:
            return [plan._empty() for plan in plans]
        units = encode_unit(frame, privacy_unit)
        shared: dict[tuple[Any, ...], tuple[Bounded, NDArray[np.intp], pd.Index]] = {}
        out = []
        for plan in plans:
            key = plan._bounding_key()
            if key not in shared:
                shared[key] = plan._bound_rows(frame, units)
            out.append(plan._totals(frame, *shared[key]))
        return out

    def _bounding_key(self) -> tuple[Any, ...]:
        keys = None if self._keys is None else tuple(self._keys)
        return (tuple(self.by), keys, self.max_groups, self.max_rows)

    def _bound_rows(
        self, frame: pd.DataFrame, units: NDArray[np.int64]
    ) -> tuple[Bounded, NDArray[np.intp], pd.Index]:
        """The bounded rows, their positions in *frame*, and the group index."""
        if self.by:
            codes, groups = encode_groups(frame, self.by, self._keys)
        else:
            codes, groups = np.zeros(len(frame), dtype=np.int64), pd.RangeIndex(1)
        inside = np.flatnonzero(codes >= 0)  # rows outside the public keys take no part
        bounded = bound_contributions(
            units[inside],
            codes[inside],
            len(groups),
            max_groups=self.max_groups if self.by else 1,
            max_rows=self.max_rows,
        )
        return bounded, inside[bounded.rows], groups

    def _totals(
        self, frame: pd.DataFrame, bounded: Bounded, rows: NDArray[np.intp], groups: pd.Index
    ) -> GroupTotals:
        values = None if self.column is None else values_of(frame, self.column)[rows]
        totals = exact_totals(self.query, self._plan, bounded.groups, values, len(groups))
        kept = np.flatnonzero(bounded.persons_per_group > 0)
        keys = (
            groups.take(kept).to_frame(index=False)
            if self.by
            else pd.DataFrame(index=pd.RangeIndex(len(kept)))
        )
        return GroupTotals(
            keys=keys,
            persons=bounded.persons_per_group[kept].astype(np.int64),
            rows=totals.rows[kept],
            sum=totals.sums["sum"][kept] if "sum" in totals.sums else None,
        )

    def release(
        self,
        totals: Sequence[GroupTotals],
        *,
        ledger: Ledger,
        dataset: str,
        requester: str,
        clock: Clock | None = None,
    ) -> DPResult:
        """Release the statistic of the persons behind *totals* (from disjoint sets of persons).

        Adds them up per group, selects groups privately when the keys are not public, adds the
        noise and charges *ledger* once, with the same ``dp.released`` audit event as
        :class:`~govshare.dp.Query`, before returning.

        Raises:
            InputError: a malformed name, or *totals* that do not fit this plan.
            BudgetExceeded: the ledger refuses the charge (nothing is released or charged).
        """
        check_name(dataset, "dataset")
        if not isinstance(ledger, Ledger):
            raise InputError("ledger must be a Ledger (ws.budgets or MemoryLedger())")
        requester = ledger.check_requester(requester)
        index, persons, summed = self._combine(totals)
        released = select_groups(self._plan, persons)
        table = interval_stats(self.query, self._plan, summed, released)
        table.index = index.take(released) if self.by else pd.RangeIndex(1)
        return publish(
            self._plan,
            table,
            len(released),
            ledger=ledger,
            dataset=dataset,
            requester=requester,
            clock=clock or SystemClock(),
        )

    def _combine(self, parts: Sequence[GroupTotals]) -> tuple[pd.Index, NDArray[np.int64], Totals]:
        """The totals of every group (all public keys, else every group seen), keyed and sorted
        as :class:`~govshare.dp.Query` orders them."""
        columns = ["persons", "rows", *(["sum"] if self.query != "count" else [])]
        frames = []
        for part in parts:
            if not isinstance(part, GroupTotals) or list(part.keys.columns) != self.by:
                raise InputError("totals must be GroupTotals made by this plan's bound()")
            values = {"persons": part.persons, "rows": part.rows}
            if self.query != "count":
                if part.sum is None:
                    raise InputError("totals must be GroupTotals made by this plan's bound()")
                values["sum"] = part.sum
            frames.append(part.keys.assign(**values))
        table = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=[*self.by, *columns])
        )
        if not self.by:
            summed = table[columns].sum().to_frame().T
            index: pd.Index = pd.RangeIndex(1)
        else:
            summed = table.groupby(self.by, sort=True)[columns].sum()
            if self._keys is not None:
                summed = summed.reindex(self._keys, fill_value=0)
                index = self._keys
            else:
                index = summed.index

        def column(name: str) -> NDArray[np.int64]:
            return np.asarray(summed[name].to_numpy(), dtype=np.int64)

        sums = {"sum": column("sum")} if self.query != "count" else {}
        return index, column("persons"), Totals(column("rows"), sums)

    def _empty(self) -> GroupTotals:
        empty = np.zeros(0, dtype=np.int64)
        return GroupTotals(
            keys=pd.DataFrame({c: pd.Series([], dtype=object) for c in self.by}),
            persons=empty,
            rows=empty,
            sum=None if self.query == "count" else empty,
        )
