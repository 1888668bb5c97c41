"""Differentially private aggregates over DataFrames, paid for from a persistent budget ledger.

Declare the column that identifies a person (the privacy unit); every query bounds each person's
contribution, clips values to declared bounds, adds noise (exact discrete Laplace, or the
floating-point exponential mechanism for quantiles) and charges its epsilon/delta to a ledger
*before* returning::

    from govshare.dp import MemoryLedger, Query

    ledger = MemoryLedger()
    ledger.set("survey", epsilon=1.0)
    q = Query(df, privacy_unit="person", dataset="survey", ledger=ledger)
    q.count(by="district", keys=["east", "west"], epsilon=0.5)

With a workspace, ``ws.dp(df, privacy_unit=…, dataset=…)`` uses the store's ledger (``ws.budgets``),
which holds across processes; ``df.govshare.dp(…)`` (:mod:`govshare.pandas`) builds the same query.

Engines that keep the rows on remote workers (:mod:`govshare.spark`) use :class:`AggregatePlan`:
workers bound and total their persons' rows, the driver releases once through the same mechanisms,
ledger and audit events.
"""

from __future__ import annotations

from govshare.dp._aggregate import AggregatePlan, GroupTotals
from govshare.dp._ledger import BudgetReport, Ledger, MemoryLedger, StoreLedger
from govshare.dp._limits import MAX_BOUND, MAX_CONTRIBUTIONS, MAX_EPSILON, MIN_BOUND
from govshare.dp._models import BudgetStatus, Component, Preview, Release
from govshare.dp._query import Query
from govshare.dp._result import DPResult

__all__ = [
    "MAX_BOUND",
    "MAX_CONTRIBUTIONS",
    "MAX_EPSILON",
    "MIN_BOUND",
    "AggregatePlan",
    "BudgetReport",
    "BudgetStatus",
    "Component",
    "DPResult",
    "GroupTotals",
    "Ledger",
    "MemoryLedger",
    "Preview",
    "Query",
    "Release",
    "StoreLedger",
]
