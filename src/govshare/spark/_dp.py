"""Differentially private counts, sums and means of a Spark DataFrame, bounded on the executors.

One Spark job per release: the rows are repartitioned by privacy unit (so each task holds every
row of its persons), each task bounds and totals them with :meth:`AggregatePlan.bound` (the pandas
path's code, CSPRNG priorities drawn on the executor), and the driver collects the per-group
totals, never rows. Noise, partition selection and the ledger charge happen once, on the driver,
in :meth:`AggregatePlan.release`.

The totals are collected straight from the tasks that computed them, with no shuffle after the
bounding: a task that Spark retries replaces its whole output, so one person's rows are always
bounded exactly once, in one attempt.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import KW_ONLY, dataclass
from decimal import Decimal
from typing import Any, Final

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf
from pyspark.sql.types import (
    DoubleType,
    IntegerType,
    LongType,
    NumericType,
    StringType,
    StructField,
    StructType,
)

from govshare._clock import Clock, SystemClock
from govshare.dp import AggregatePlan, DPResult, GroupTotals, Ledger
from govshare.exceptions import BudgetExceeded, InputError
from govshare.identifiers import refuse_identifier, shown, shown_all
from govshare.spark._session import context_of, quoted
from govshare.types import check_dataset

__all__ = ["Count", "Mean", "SparkQuery", "Sum"]

_STAT: Final = "__govshare_stat"
_TOTALS: Final = ("__govshare_persons", "__govshare_rows", "__govshare_sum")
_PROBLEM: Final = "__govshare_problem"
_INPUT_ROWS: Final = -1  # the stat number of the rows that count a task's input rows


@dataclass(frozen=True, kw_only=True)
class Count:
    """A noisy count of rows (per group), for :meth:`SparkQuery.release`."""

    epsilon: float
    by: str | Sequence[str] | None = None
    keys: Sequence[Any] | None = None
    delta: float = 0.0


@dataclass(frozen=True)
class Sum:
    """A noisy sum of *column* clipped to *bounds* (per group), for :meth:`SparkQuery.release`."""

    column: str
    bounds: tuple[float, float]
    _: KW_ONLY
    epsilon: float
    by: str | Sequence[str] | None = None
    keys: Sequence[Any] | None = None
    delta: float = 0.0


@dataclass(frozen=True)
class Mean:
    """A noisy mean of *column* in *bounds* (per group), for :meth:`SparkQuery.release`."""

    column: str
    bounds: tuple[float, float]
    _: KW_ONLY
    epsilon: float
    by: str | Sequence[str] | None = None
    keys: Sequence[Any] | None = None
    delta: float = 0.0


Statistic = Count | Sum | Mean


class SparkQuery:
    """Differentially private statistics over a Spark DataFrame, each release charged to *ledger*.

    The Spark twin of :class:`govshare.dp.Query`, with the same parameters and guarantees:
    each person (the *privacy_unit* column) is bounded to *max_groups* groups and *max_rows* rows
    per group, chosen at random with a CSPRNG on the executors; values are clipped to the declared
    bounds; noise is added once per group on the driver and the release is charged before it is
    returned. :meth:`release` computes several statistics in one Spark job (each still charged
    as its own release).

    Args:
        sdf: the rows (a classic PySpark DataFrame).
        privacy_unit: the column identifying a person (usually a pseudonym).
        dataset, ledger, requester: the budget each release pays from, and who is charged
            (stated explicitly; a store ledger refuses any requester but its own).
        max_groups, max_rows: the per-person contribution bounds.
        partitions: how many tasks bound the persons (default ``spark.sql.shuffle.partitions``);
            each task holds its persons' rows in memory, so raise it for very large inputs.
        clock: time source for release metadata.

    Raises:
        InputError: *sdf* is not a classic PySpark DataFrame, the unit column is missing, a name
            is malformed, or a bound or *partitions* is not a positive integer.
    """

    def __init__(
        self,
        sdf: DataFrame,
        *,
        privacy_unit: str,
        dataset: str,
        ledger: Ledger,
        requester: str,
        max_groups: int = 1,
        max_rows: int = 1,
        partitions: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        context_of(sdf)
        if privacy_unit not in sdf.columns:
            raise InputError(f"the privacy unit column {shown(privacy_unit)} is not in the frame")
        if not isinstance(ledger, Ledger):
            raise InputError("ledger must be a Ledger (ws.budgets or MemoryLedger())")
        for name, value in (("max_groups", max_groups), ("max_rows", max_rows)):
            _positive(name, value)
        if partitions is not None:
            _positive("partitions", partitions)
        self._sdf = sdf
        self.privacy_unit = privacy_unit
        self.dataset = refuse_identifier(check_dataset(dataset, "dataset"), "dataset")
        self.requester = ledger.check_requester(requester)
        self.max_groups, self.max_rows = max_groups, max_rows
        self.partitions = partitions
        self._ledger = ledger
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return (
            f"SparkQuery(dataset={self.dataset!r}, privacy_unit={self.privacy_unit!r}, "
            f"max_groups={self.max_groups}, max_rows={self.max_rows})"
        )

    def count(
        self,
        *,
        by: str | Sequence[str] | None = None,
        keys: Sequence[Any] | None = None,
        epsilon: float,
        delta: float = 0.0,
    ) -> DPResult:
        """Noisy number of rows (per group), after contribution bounding: one Spark job.

        Raises:
            InputError: bad epsilon/delta/keys/columns, or bad data (nothing is charged).
            BudgetExceeded: the ledger refuses the charge (nothing is released or charged).
        """
        return self.release(Count(by=by, keys=keys, epsilon=epsilon, delta=delta))[0]

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
        """Noisy sum of *column* clipped to *bounds*: one Spark job.

        Raises:
            InputError: bad bounds, values (NaN/inf/nulls), epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        statistic = Sum(column, bounds, by=by, keys=keys, epsilon=epsilon, delta=delta)
        return self.release(statistic)[0]

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
        """Noisy mean (a noisy centred sum over a noisy count, epsilon split in half): one job.

        Raises:
            InputError: bad bounds, values, epsilon/delta, keys or columns.
            BudgetExceeded: the ledger refuses the charge.
        """
        statistic = Mean(column, bounds, by=by, keys=keys, epsilon=epsilon, delta=delta)
        return self.release(statistic)[0]

    def release(self, *statistics: Statistic) -> tuple[DPResult, ...]:
        """Several statistics from one Spark job, each bounded and charged as its own release.

        Every statistic is planned, and the ledger asked whether it can pay for all of them,
        before the job runs; statistics by the same groups and keys share one bounding (as one
        :class:`govshare.dp.Query` reuses its bounded rows); then each is charged (in order)
        just before it is returned.

        Raises:
            InputError: a statistic's parameters or the data are bad (nothing is charged).
            BudgetExceeded: the budget cannot pay for them all (nothing is charged), or a charge
                is refused after another process spent the budget meanwhile (the statistics
                before it were charged and are lost with the exception).
        """
        if not statistics:
            raise InputError("release() needs at least one Count, Sum or Mean")
        plans = [self._plan(s) for s in statistics]
        self._check_budget(plans)
        totals = self._bound(plans)
        return tuple(
            plan.release(
                parts,
                ledger=self._ledger,
                dataset=self.dataset,
                requester=self.requester,
                clock=self._clock,
            )
            for plan, parts in zip(plans, totals, strict=True)
        )

    # -- machinery ------------------------------------------------------------------------------

    def _plan(self, statistic: Statistic) -> AggregatePlan:
        if isinstance(statistic, Count):
            query, column, bounds = "count", None, None
        elif isinstance(statistic, Sum | Mean):
            query = "sum" if isinstance(statistic, Sum) else "mean"
            column, bounds = statistic.column, statistic.bounds
        else:
            raise InputError("statistics are Count(...), Sum(...) or Mean(...)")
        plan = AggregatePlan(
            query,
            column,
            bounds=bounds,
            by=statistic.by,
            keys=statistic.keys,
            epsilon=statistic.epsilon,
            delta=statistic.delta,
            max_groups=self.max_groups,
            max_rows=self.max_rows,
        )
        missing = [c for c in plan.columns if c not in self._sdf.columns]
        if missing:
            raise InputError(f"the frame has no column(s) {shown_all(missing)}")
        if self.privacy_unit in plan.columns:
            raise InputError("the privacy unit cannot also be a group or value column")
        return plan

    def _check_budget(self, plans: Sequence[AggregatePlan]) -> None:
        """Refuse before the Spark job when the caps cannot pay for every plan (the charges
        themselves stay the authority: this only saves a job that could not be released)."""
        epsilon = sum(Decimal(repr(p.preview.epsilon)) for p in plans)
        delta = sum(Decimal(repr(p.preview.delta)) for p in plans)
        caps = [s for s in self._ledger.show(self.dataset) if s.requester in ("*", self.requester)]
        if not caps:
            raise BudgetExceeded(
                f"dataset {self.dataset!r} has no privacy budget: set one first, e.g. "
                f"ledger.set({self.dataset!r}, epsilon=1.0); nothing ran or was charged"
            )
        for cap in caps:
            if epsilon > _left(cap.epsilon_cap, cap.epsilon_spent) or delta > _left(
                cap.delta_cap, cap.delta_spent
            ):
                raise BudgetExceeded(
                    f"releasing epsilon={epsilon}, delta={delta:g} would exceed a budget cap of "
                    f"dataset {self.dataset!r} for {self.requester!r}; nothing ran or was charged"
                )

    def _bound(self, plans: Sequence[AggregatePlan]) -> list[list[GroupTotals]]:
        """One Spark job: repartition by person, bound and total each task's persons for every
        plan, collect the totals."""
        unit = self.privacy_unit
        by_columns = list(dict.fromkeys(c for p in plans for c in p.by))
        values = list(dict.fromkeys(p.column for p in plans if p.column is not None))
        schema = self._sdf.schema
        selected = [sf.col(quoted(unit)), *(sf.col(quoted(c)) for c in by_columns)]
        selected += [_as_double(schema[c], c) for c in values if c not in by_columns]
        count = self.partitions or int(
            self._sdf.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200
        )
        data = self._sdf.select(*selected).repartition(count, sf.col(quoted(unit)))
        bound = _bound_partition(tuple(plans), unit, by_columns)
        table = data.mapInArrow(bound, _output_schema(schema, by_columns)).toArrow()
        return _collect(plans, table)


def _bound_partition(plans: tuple[AggregatePlan, ...], unit: str, by_columns: list[str]) -> Any:
    def govshare_bound(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        collected = list(batches)
        if not collected:
            return
        table = pa.Table.from_batches(collected)
        types = {c: table.schema.field(c).type for c in by_columns}
        del collected
        frame = table.to_pandas()
        del table
        yield _marker_batch(types, _INPUT_ROWS, len(frame))
        try:
            found = AggregatePlan.bound_together(plans, frame, privacy_unit=unit)
        except InputError as exc:  # messages name columns, never values
            yield _marker_batch(types, 0, 0, problem=str(exc))
            return
        for stat, (plan, totals) in enumerate(zip(plans, found, strict=True)):
            yield _totals_batch(types, stat, totals, plan)

    return govshare_bound


def _totals_batch(
    types: dict[str, pa.DataType], stat: int, totals: GroupTotals, plan: AggregatePlan
) -> pa.RecordBatch:
    """One row per group of *plan*'s totals; group columns of other plans are null."""
    n = len(totals.rows)
    columns = {
        c: pa.array(totals.keys[c], type=t) if c in plan.by else pa.nulls(n, t)
        for c, t in types.items()
    }
    total = totals.sum if totals.sum is not None else np.zeros(n, dtype=np.int64)
    return _finish(columns, stat, (totals.persons, totals.rows, total), [None] * n)


def _marker_batch(
    types: dict[str, pa.DataType], stat: int, rows: int, problem: str | None = None
) -> pa.RecordBatch:
    """One row: a task's input row count (``stat`` -1), or a plan's data problem."""
    columns = {c: pa.nulls(1, t) for c, t in types.items()}
    counts = (np.zeros(1, dtype=np.int64), np.full(1, rows, dtype=np.int64), np.zeros(1, np.int64))
    return _finish(columns, stat, counts, [problem])


def _finish(
    columns: dict[str, pa.Array],
    stat: int,
    counts: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    problems: list[str | None],
) -> pa.RecordBatch:
    columns[_STAT] = pa.array(np.full(len(problems), stat, dtype=np.int32))
    for name, data in zip(_TOTALS, counts, strict=True):
        columns[name] = pa.array(data, type=pa.int64())
    columns[_PROBLEM] = pa.array(problems, type=pa.string())
    return pa.RecordBatch.from_pydict(columns)


def _output_schema(schema: StructType, by_columns: list[str]) -> StructType:
    fields = [StructField(c, schema[c].dataType, True) for c in by_columns]
    fields.append(StructField(_STAT, IntegerType(), False))
    fields += [StructField(name, LongType(), False) for name in _TOTALS]
    fields.append(StructField(_PROBLEM, StringType(), True))
    return StructType(fields)


def _collect(plans: Sequence[AggregatePlan], table: pa.Table) -> list[list[GroupTotals]]:
    """Each plan's totals from the collected rows; a data problem any task found is raised."""
    frame = table.to_pandas()
    stats = frame[_STAT].to_numpy()
    if int(frame[_TOTALS[1]].to_numpy()[stats == _INPUT_ROWS].sum()) == 0:
        raise InputError("the frame is empty: there is nothing to release")
    problems = frame[_PROBLEM].dropna()
    if len(problems):
        raise InputError(str(problems.iloc[0]))
    out = []
    for stat, plan in enumerate(plans):
        part = frame[stats == stat]
        persons, rows, total = (part[c].to_numpy(dtype=np.int64) for c in _TOTALS)
        keys = part[plan.by].reset_index(drop=True)
        out.append([GroupTotals(keys, persons, rows, None if plan.query == "count" else total)])
    return out


def _as_double(field: StructField, name: str) -> Column:
    """A numeric value column as double (decimals too); others unchanged, so the pandas path's
    checks refuse them (booleans, strings)."""
    column = sf.col(quoted(name))
    if isinstance(field.dataType, NumericType):
        return column.cast(DoubleType()).alias(name)
    return column


def _left(cap: float, spent: float) -> Decimal:
    return Decimal(repr(cap)) - Decimal(repr(spent))


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer")
