"""Releases of differentially private statistics only (``ws.share_aggregates``).

An agreement may grant a column for statistics only (treatment ``aggregate-only``). Such a
release runs the same checks and consent filter as ``share()``; the statistics come from
:class:`govshare.dp.Query`, charged to the agreement's own epsilon total (``limits.epsilon``),
kept in its ``epsilon_micro`` counter and charged on the release's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
from pydantic import Field, ValidationError, model_validator
from sqlalchemy import Connection, update

from govshare._clock import Clock, utc_iso
from govshare._models import describe
from govshare.audit import AuditLog
from govshare.dp import BudgetReport, BudgetStatus, Ledger, Query
from govshare.exceptions import AgreementLimitReached, BudgetExceeded, InputError
from govshare.exchange._models import ColumnName, DataSharingAgreement, GrantedColumn, _Checked
from govshare.exchange._tables import exchange_agreements
from govshare.tokens import Grant

__all__ = [
    "RESULT_COLUMNS",
    "AggregateQuery",
    "AgreementLedger",
    "aggregate_columns",
    "parse_queries",
    "run_queries",
]

RESULT_COLUMNS: Final = (
    "query", "statistic", "column", "group", "value", "raw_value", "ci_low", "ci_high", "epsilon",
)  # fmt: skip
"""The columns of an aggregate release's data: one row per query and group."""
Key = Annotated[str, Field(min_length=1, max_length=200)] | int


class AggregateQuery(_Checked):
    """One statistic of an aggregate release.

    Attributes:
        statistic: ``count`` (people), ``sum`` or ``mean`` of *column*.
        column: the column summed or averaged (not for a count).
        by: a column to group by, with its public *keys* (every key is released, even empty).
        bounds: the clipping bounds of *column* (sum and mean).
        epsilon: the privacy loss of this statistic.
    """

    statistic: Literal["count", "sum", "mean"]
    column: ColumnName | None = None
    by: ColumnName | None = None
    keys: Annotated[tuple[Key, ...], Field(min_length=1, max_length=10_000)] | None = None
    bounds: tuple[float, float] | None = None
    epsilon: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _consistent(self) -> AggregateQuery:
        if (self.statistic == "count") != (self.column is None):
            raise ValueError("a count names no column; a sum or mean names one")
        if (self.statistic == "count") != (self.bounds is None):
            raise ValueError("a sum or mean needs bounds=(low, high); a count takes none")
        if (self.by is None) != (self.keys is None):
            raise ValueError("by= needs its public keys=, and keys= needs by=")
        return self


def parse_queries(queries: object) -> tuple[AggregateQuery, ...]:
    """*queries* as validated :class:`AggregateQuery` s.

    Raises:
        InputError: not a non-empty list of queries (or mappings of their fields).
    """
    if isinstance(queries, str | bytes | Mapping) or not isinstance(queries, Sequence):
        raise InputError("queries is a list of queries, e.g. [{'statistic': 'count', …}]")
    if not queries:
        raise InputError("queries is empty: there is nothing to release")
    out = []
    for i, query in enumerate(queries):
        if isinstance(query, AggregateQuery):
            out.append(query)
            continue
        try:
            out.append(AggregateQuery.model_validate(query))
        except ValidationError as exc:
            raise InputError(describe(exc, f"query {i}")) from None
    return tuple(out)


def aggregate_columns(
    agreement: DataSharingAgreement,
    grant: Grant,
    df: pd.DataFrame,
    subject_column: str,
    queries: Sequence[AggregateQuery],
) -> tuple[list[GrantedColumn], list[str]]:
    """The granted columns the queries use, and the categories consent must cover: each granted for statistics (``aggregate-only`` or
    ``release``), not an identifier, in a category the token grants, and in *df*.

    Raises:
        InputError: a column is not granted so, or missing from *df*.
    """
    if not isinstance(subject_column, str) or subject_column not in df.columns:
        raise InputError("the frame has no subject column of that name")
    granted = {c.name: c for c in agreement.terms.columns}
    used = list(dict.fromkeys(n for q in queries for n in (q.column, q.by) if n is not None))
    usable = [
        name
        for name in used
        if name in granted
        and granted[name].treatment in ("aggregate-only", "release")
        and granted[name].category in grant.categories
    ]
    refused = [n for n in used if n not in usable]
    if refused:
        raise InputError(f"the agreement and token do not grant {refused} for statistics")
    missing = [n for n in used if n not in df.columns]
    if missing:
        raise InputError(f"the agreement grants column(s) missing from the frame: {missing}")
    columns = [granted[n] for n in usable]
    # Telling people apart reads the subject's identity even though no statistic shows it.
    subject = granted.get(subject_column)
    categories = {c.category for c in columns} | ({subject.category} if subject else set())
    return columns, sorted(categories)


class AgreementLedger(Ledger):
    """The agreement's epsilon total as a DP ledger, charged on the release's transaction.

    One budget, ``limits.epsilon`` of the agreement; each charge adds to the agreement's
    ``epsilon_micro`` counter and records its ``dp.released`` event on *tx*, so they commit or
    roll back with the release.
    """

    def __init__(
        self,
        tx: Connection,
        agreement: DataSharingAgreement,
        *,
        spent: int,
        audit: AuditLog,
        now: datetime,
        basis: str,
    ) -> None:
        epsilon = agreement.terms.limits.epsilon
        if epsilon is None:
            raise AgreementLimitReached(
                f"agreement {agreement.id} grants no epsilon for statistics (limits.epsilon)"
            )
        self._tx, self._id = tx, agreement.id
        self.dataset = f"agreement:{agreement.id}"
        self._requester = agreement.terms.requester
        self._cap, self._spent = round(epsilon * 1_000_000), spent
        self._audit, self._now, self._basis = audit, now, basis
        self.charged = 0

    def __repr__(self) -> str:
        return f"AgreementLedger(agreement={self._id!r})"

    @property
    def requester(self) -> str:
        """The agreement's requester: every statistic is charged to it."""
        return self._requester

    @property
    def basis(self) -> str:
        """The verified token and agreement the charge rests on."""
        return self._basis

    def _set(self, dataset: str, requester: str, eps: int, delta: int) -> BudgetStatus:
        raise InputError("an agreement's epsilon total is set by its terms, not here")

    def show(self, dataset: str | None = None) -> BudgetReport:
        """The agreement's one cap, with what is spent."""
        status = BudgetStatus.from_units(
            dataset or self._id, "*", self._cap, self._spent, 0, 0, utc_iso(self._now)
        )
        return BudgetReport([status])

    def charge(
        self,
        dataset: str,
        requester: str,
        eps: int,
        delta: int,
        event: dict[str, Any],
        *,
        conn: Connection | None = None,
    ) -> None:
        """Charge *eps* units to the agreement (pure epsilon: no delta is granted).

        Raises:
            BudgetExceeded: the agreement's epsilon total would be exceeded, or *delta* > 0.
        """
        self.check_requester(requester)
        if delta:
            raise BudgetExceeded(f"agreement {self._id} grants no delta for statistics")
        if self._spent + eps > self._cap:
            raise AgreementLimitReached(
                f"agreement {self._id}: epsilon {eps / 1e6:g} more would pass its total of "
                f"{self._cap / 1e6:g} ({self._spent / 1e6:g} spent)"
            )
        a = exchange_agreements
        self._tx.execute(
            update(a)
            .where(a.c.agreement_id == self._id)
            .values(epsilon_micro=a.c.epsilon_micro + eps)
        )
        self._spent += eps
        self.charged += eps
        self._audit.record("dp.released", event, time=self._now, conn=self._tx)


def run_queries(
    frame: pd.DataFrame,
    subject_column: str,
    queries: Sequence[AggregateQuery],
    ledger: AgreementLedger,
    clock: Clock,
) -> pa.Table:
    """Every query's statistic over *frame* (one person per subject), as one table.

    Raises:
        InputError: as :class:`govshare.dp.Query` (e.g. values outside what the bounds allow).
        AgreementLimitReached: the epsilon total would be exceeded.
    """
    rows: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    if len(frame) == 0:
        raise InputError("no row has a lawful basis: there is nothing to release")
    query = Query(frame, privacy_unit=subject_column, dataset=ledger.dataset,
                  ledger=ledger, requester=ledger.requester, clock=clock)  # fmt: skip
    for i, q in enumerate(queries):
        keys = list(q.keys) if q.keys is not None else None
        if q.statistic == "count":
            result = query.count(by=q.by, keys=keys, epsilon=q.epsilon)
        else:
            run = query.sum if q.statistic == "sum" else query.mean
            if q.column is None or q.bounds is None:  # the model refuses this
                raise InputError(f"query {i}: a {q.statistic} needs a column and bounds")
            result = run(q.column, bounds=q.bounds, by=q.by, keys=keys, epsilon=q.epsilon)
        for key, row in result.iterrows():
            rows["query"].append(i)
            rows["statistic"].append(q.statistic)
            rows["column"].append(q.column)
            rows["group"].append(str(key) if q.by is not None else None)
            rows["value"].append(float(row["value"]))
            rows["raw_value"].append(float(row["raw_value"]) if "raw_value" in row else None)
            rows["ci_low"].append(float(row["ci_low"]))
            rows["ci_high"].append(float(row["ci_high"]))
            rows["epsilon"].append(q.epsilon)
    return pa.table({name: pa.array(values, type=_TYPES[name]) for name, values in rows.items()})


_TYPES: Final = {
    "query": pa.int32(), "statistic": pa.string(), "column": pa.string(), "group": pa.string(),
    "value": pa.float64(), "raw_value": pa.float64(), "ci_low": pa.float64(),
    "ci_high": pa.float64(), "epsilon": pa.float64(),
}  # fmt: skip
