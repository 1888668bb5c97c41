"""Queries over one DataFrame with a declared privacy unit, paid for from a ledger."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare._clock import Clock, SystemClock
from govshare.dp._bounding import Bounded, bound_contributions
from govshare.dp._encode import encode_groups, encode_unit, key_index, values_of
from govshare.dp._ledger import Ledger, check_name
from govshare.dp._limits import check_contributions
from govshare.dp._mechanisms import exponential_quantile
from govshare.dp._models import Preview
from govshare.dp._plan import Plan
from govshare.dp._release import group_columns, plan_query, publish, select_groups
from govshare.dp._result import DPResult
from govshare.dp._stats import exact_totals, interval_stats
from govshare.exceptions import InputError

__all__ = ["Query"]

_Groups = tuple[NDArray[np.int64], pd.Index]


class Query:
    """Differentially private statistics over *data*, each release charged to *ledger*.

    Every row belongs to the person named in the *privacy_unit* column. Before any statistic, each
    person is bounded to at most *max_groups* groups and *max_rows* rows per group (rows chosen at
    random with a CSPRNG), and values are clipped to the declared bounds; the noise is calibrated to
    what one person can then change (add/remove-one-person differential privacy).

    Use it as ``with ws.dp(df, privacy_unit=…, dataset=…) as q:`` (charged to the workspace's
    department, or to a verified token's subject) or build one with a :class:`MemoryLedger` in a
    notebook. The caller's frame is never modified.

    Args:
        data: the rows (one or more per person).
        privacy_unit: the column identifying a person (usually a pseudonym).
        dataset: the budget this query pays from.
        ledger: where the budget lives.
        requester: who is charged, stated explicitly (there is no default). A store ledger is
            bound to one requester (``ws.budgets``: the workspace's department) and refuses any
            other; a :class:`MemoryLedger` charges the name given.
        max_groups: at most this many groups per person (for ``by=`` queries).
        max_rows: at most this many rows per person in each group.
        clock: time source for release metadata.

    Raises:
        InputError: *data* is not a non-empty DataFrame, the unit column is missing or has nulls,
            the bounds are not positive integers, a name is malformed, or *ledger* may not
            charge *requester*.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        privacy_unit: str,
        dataset: str,
        ledger: Ledger,
        requester: str,
        max_groups: int = 1,
        max_rows: int = 1,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise InputError("data must be a pandas DataFrame")
        if len(data) == 0:
            raise InputError("the frame is empty: there is nothing to release")
        if not isinstance(privacy_unit, str) or not privacy_unit:
            raise InputError("privacy_unit must name the column that identifies a person")
        if not isinstance(ledger, Ledger):
            raise InputError("ledger must be a Ledger (ws.budgets or MemoryLedger())")
        check_contributions(max_groups=max_groups, max_rows=max_rows)
        self._frame = data
        self._units = encode_unit(data, privacy_unit)
        self.privacy_unit = privacy_unit
        self.dataset = check_name(dataset, "dataset")
        self.requester = ledger.check_requester(requester)
        self.max_groups = max_groups
        self.max_rows = max_rows
        self._ledger = ledger
        self._clock = clock or SystemClock()
        self._bounded: dict[Any, tuple[Bounded, NDArray[np.intp], pd.Index]] = {}

    def __repr__(self) -> str:
        return (
            f"Query(dataset={self.dataset!r}, requester={self.requester!r}, "
            f"privacy_unit={self.privacy_unit!r}, rows={len(self._frame)}, "
            f"max_groups={self.max_groups}, max_rows={self.max_rows})"
        )

    def __enter__(self) -> Query:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bounded.clear()

    # -- the queries ----------------------------------------------------------------------------

    def count(
        self,
        *,
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy number of rows (per group), after contribution bounding.

        Raises:
            InputError: bad epsilon/delta/keys/columns (nothing is charged).
            BudgetExceeded: the ledger refuses the charge (nothing is released or charged).
        """
        return self._release("count", None, None, by, keys, epsilon, delta)

    def sum(
        self,
        column: str,
        *,
        bounds: tuple[float, float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy sum of *column* clipped to *bounds* (integer-scaled, discrete Laplace noise).

        Raises:
            InputError: bad bounds, values (NaN/inf), epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        return self._release("sum", column, bounds, by, keys, epsilon, delta)

    def mean(
        self,
        column: str,
        *,
        bounds: tuple[float, float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy mean: a noisy centred sum over a noisy count (epsilon split in half), in *bounds*.

        Raises:
            InputError: bad bounds, values, epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        return self._release("mean", column, bounds, by, keys, epsilon, delta)

    def variance(
        self,
        column: str,
        *,
        bounds: tuple[float, float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy population variance from noisy count, sum and sum of squares (epsilon in thirds).

        Raises:
            InputError: bad bounds, values, epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        return self._release("variance", column, bounds, by, keys, epsilon, delta)

    def quantile(
        self,
        column: str,
        q: float,
        *,
        bounds: tuple[float, float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """The *q*-quantile by the exponential mechanism (``ci_low``/``ci_high`` are NaN: the
        mechanism's accuracy depends on the data, so no public interval exists).

        Raises:
            InputError: *q* outside [0, 1], bad bounds, values, epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 1:
            raise InputError("q must be a number in [0, 1]")
        return self._release("quantile", column, bounds, by, keys, epsilon, delta, q=float(q))

    def median(
        self,
        column: str,
        *,
        bounds: tuple[float, float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """The median (``quantile(column, 0.5, …)``).

        Raises:
            InputError: bad bounds, values, epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        return self.quantile(
            column, 0.5, bounds=bounds, by=by, keys=keys, epsilon=epsilon, delta=delta
        )

    def histogram(
        self,
        column: str,
        *,
        bins: Sequence[float],
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy row counts per bin of *column*; the bin edges are public and every bin is
        released. Values outside the edges count in the first or last bin.

        Raises:
            InputError: edges not increasing and finite, bad values, epsilon/delta, keys.
            BudgetExceeded: the ledger refuses the charge.
        """
        edges = _check_edges(bins)
        by_list = group_columns(by)
        if column in by_list:
            raise InputError("the histogram column cannot also be a group column")
        values = values_of(self._frame, column)
        codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
        intervals = pd.IntervalIndex.from_breaks(edges, closed="left", name=column)
        derived = self._frame[by_list].assign(**{column: intervals.take(codes)})
        if by_list and keys is not None:
            product = [(*_as_tuple(k), b) for k in keys for b in intervals]
            keys = product
        elif not by_list:
            keys = list(intervals)
        return self._release(
            "histogram", column, None, [*by_list, column], keys, epsilon, delta, frame=derived
        )

    def preview(
        self,
        query: str,
        column: str | None = None,
        *,
        bounds: tuple[float, float] | None = None,
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> Preview:
        """What *query* would charge and its noise (mechanism, scale, 95% half-width), without
        looking at the data or charging anything.

        Raises:
            InputError: an unknown query or bad parameters (as the query itself would raise).
        """
        return self._plan(query, column, bounds, group_columns(by), keys, epsilon, delta).preview

    # -- machinery ------------------------------------------------------------------------------

    def _plan(
        self,
        query: str,
        column: str | None,
        bounds: Any,
        by: list[str],
        keys: Any,
        epsilon: float,
        delta: float,
    ) -> Plan:
        return plan_query(
            query,
            column,
            bounds,
            by,
            keys,
            epsilon,
            delta,
            max_groups=self.max_groups,
            max_rows=self.max_rows,
        )

    def _release(
        self,
        query: str,
        column: str | None,
        bounds: Any,
        by: Any,
        keys: Any,
        epsilon: float,
        delta: float,
        *,
        q: float = 0.5,
        frame: pd.DataFrame | None = None,
    ) -> DPResult:
        by_list = group_columns(by)
        plan = self._plan(query, column, bounds, by_list, keys, epsilon, delta)
        index = key_index(keys, by_list) if keys is not None else None
        bounded, rows, groups = self._bound(by_list, index, frame)
        values = None if query in ("count", "histogram") else values_of(self._frame, column or "")
        released = select_groups(plan, bounded.persons_per_group)
        if query == "quantile":
            table = self._quantiles(plan, bounded, rows, values, released, q)
        else:
            kept = None if values is None else values[rows]
            totals = exact_totals(query, plan, bounded.groups, kept, len(groups))
            table = interval_stats(query, plan, totals, released)
        table.index = groups.take(released) if by_list else pd.RangeIndex(1)
        return publish(
            plan,
            table,
            len(released),
            ledger=self._ledger,
            dataset=self.dataset,
            requester=self.requester,
            clock=self._clock,
        )

    def _bound(
        self, by: list[str], keys: pd.Index | None, frame: pd.DataFrame | None
    ) -> tuple[Bounded, NDArray[np.intp], pd.Index]:
        cache_key = (
            None if frame is not None else (tuple(by), None if keys is None else tuple(keys))
        )
        if cache_key is not None and cache_key in self._bounded:
            return self._bounded[cache_key]
        if by:
            codes, groups = encode_groups(self._frame if frame is None else frame, by, keys)
        else:
            codes, groups = np.zeros(len(self._frame), dtype=np.int64), pd.RangeIndex(1)
        subset = bool(len(codes)) and int(codes.min()) < 0  # rows outside the public keys
        inside = np.flatnonzero(codes >= 0) if subset else np.zeros(0, dtype=np.intp)
        persons = self._units[inside] if subset else self._units
        group_codes = codes[inside] if subset else codes
        bounded = bound_contributions(
            persons,
            group_codes,
            len(groups),
            max_groups=self.max_groups if by else 1,
            max_rows=self.max_rows,
        )
        rows = inside[bounded.rows] if subset else bounded.rows
        result = (bounded, rows, groups)
        if cache_key is not None:
            self._bounded[cache_key] = result
        return result

    def _quantiles(
        self,
        plan: Plan,
        bounded: Bounded,
        rows: NDArray[np.intp],
        values: NDArray[np.float64] | None,
        released: NDArray[np.intp],
        q: float,
    ) -> pd.DataFrame:
        assert values is not None
        assert plan.preview.bounds is not None
        lower, upper = plan.preview.bounds
        component = plan.components["quantile"]
        order = np.argsort(bounded.groups, kind="stable")
        ends = np.searchsorted(bounded.groups[order], np.arange(len(bounded.persons_per_group) + 1))
        kept = values[rows][order]
        out = [  # one exponential-mechanism call per released group (not per row)
            exponential_quantile(
                kept[ends[g] : ends[g + 1]],
                q,
                lower,
                upper,
                component.epsilon,
                int(component.sensitivity),
            )
            for g in released
        ]
        nan = np.full(len(released), math.nan)
        frame = pd.DataFrame({"value": np.asarray(out, dtype=np.float64), "ci_low": nan})
        return frame.assign(ci_high=nan, clip_low=lower, clip_high=upper)


def _as_tuple(key: Any) -> tuple[Any, ...]:
    return tuple(key) if isinstance(key, tuple | list) else (key,)


def _check_edges(bins: Sequence[float]) -> NDArray[np.float64]:
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("bins must be a list of numeric edges") from None
    if edges.ndim != 1 or len(edges) < 2:
        raise InputError("bins needs at least two edges")
    if not np.isfinite(edges).all() or not (np.diff(edges) > 0).all():
        raise InputError("bin edges must be finite and strictly increasing")
    return edges
