"""What every release does, whoever bounded the rows: plan from public parameters, select groups
privately, and charge the ledger (with the release's audit event) before anything is returned.

:class:`~govshare.dp.Query` (pandas) and :class:`~govshare.dp.AggregatePlan` (engines that bound
rows on remote workers, e.g. Spark) both release through these functions, so they use the same
mechanisms, the same budget arithmetic and the same audit events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare._clock import Clock, utc_iso
from govshare.dp._ledger import Ledger
from govshare.dp._mechanisms import CONFIDENCE
from govshare.dp._models import Release
from govshare.dp._plan import QUERIES, Plan, check_bounds, make_plan
from govshare.dp._result import DPResult
from govshare.dp._sampler import add_discrete_laplace
from govshare.dp._units import delta_text, epsilon_text
from govshare.exceptions import InputError
from govshare.identifiers import shown

__all__ = ["group_columns", "plan_query", "publish", "release_event", "select_groups"]


def group_columns(by: str | Sequence[str] | None) -> list[str]:
    """The group columns as a list.

    Raises:
        InputError: not a column name or a list of distinct column names.
    """
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if not all(isinstance(b, str) for b in by) or not by:
        raise InputError("by= takes a column name or a list of column names")
    if len(set(by)) != len(by):
        raise InputError("by= names a column twice")
    return list(by)


def plan_query(
    query: str,
    column: str | None,
    bounds: Any,
    by: list[str],
    keys: Any,
    epsilon: float,
    delta: float,
    *,
    max_groups: int,
    max_rows: int,
) -> Plan:
    """Validate a query's public parameters and plan its noise (nothing looks at data).

    Raises:
        InputError: an unknown query, keys without by, missing bounds or value column, or bad
            epsilon/delta.
    """
    if query not in QUERIES:
        raise InputError(f"unknown query {shown(query)}: one of {', '.join(QUERIES)}")
    if keys is not None and not by:
        raise InputError("keys=[…] needs by=…")
    needs_bounds = query in ("sum", "mean", "variance", "quantile")
    checked = check_bounds(bounds) if needs_bounds else None
    if query != "count" and query != "histogram" and column is None:
        raise InputError(f"{query} needs a value column")
    return make_plan(
        query,
        column=column,
        by=by,
        public_keys=keys is not None,
        epsilon=epsilon,
        delta=delta,
        bounds=checked,
        max_groups=max_groups,
        max_rows=max_rows,
    )


def select_groups(plan: Plan, persons_per_group: NDArray[np.int64]) -> NDArray[np.intp]:
    """The groups to release: all of them with public keys, else those whose noisy count of
    persons reaches the partition-selection threshold."""
    n_groups = len(persons_per_group)
    selection = plan.components.get("partition_selection")
    if selection is None:
        return np.arange(n_groups)
    assert selection.threshold is not None
    noisy = add_discrete_laplace(
        np.asarray(persons_per_group, dtype=np.int64), plan.scales["partition_selection"]
    )
    return np.flatnonzero(noisy >= selection.threshold)


def publish(
    plan: Plan,
    table: pd.DataFrame,
    released: int,
    *,
    ledger: Ledger,
    dataset: str,
    requester: str,
    clock: Clock,
) -> DPResult:
    """Charge the ledger for *table* (the noisy statistic of *released* groups) and wrap it.

    Raises:
        BudgetExceeded: the ledger refuses the charge (nothing is charged or returned).
    """
    release = Release(
        **plan.preview.model_dump(),
        dataset=dataset,
        requester=requester,
        requester_basis=ledger.basis,
        groups=released,
        confidence=float(CONFIDENCE),
        released_at=utc_iso(clock.now()),
        note=_empty_note(plan) if released == 0 else None,
    )
    ledger.charge(dataset, requester, plan.epsilon_units, plan.delta_units, release_event(release))
    return DPResult.build(table, release)


def _empty_note(plan: Plan) -> str | None:
    """What to tell the reader of a release in which partition selection kept no group."""
    selection = plan.components.get("partition_selection")
    if selection is None:
        return None
    return (
        "partition selection released no group: no noisy person count reached the threshold "
        f"of {selection.threshold}; epsilon {epsilon_text(plan.epsilon_units)} and "
        f"delta {delta_text(plan.delta_units)} were charged all the same"
    )


def release_event(release: Release) -> dict[str, Any]:
    """The audit event of a release: public parameters only, never values or group keys.

    Amounts are exact: the charged epsilon and delta as decimal strings and in the ledger's
    integer units, each component's share and noise scale as exact strings.
    """
    return {
        "dataset": release.dataset,
        "requester_basis": release.requester_basis,
        "query": release.query,
        "column": release.column,
        "by": release.by,
        "epsilon": epsilon_text(release.epsilon_units),
        "epsilon_units": release.epsilon_units,
        "delta": delta_text(release.delta_units),
        "delta_units": release.delta_units,
        "bounds": list(release.bounds) if release.bounds else None,
        "max_groups": release.max_groups,
        "max_rows": release.max_rows,
        "public_keys": release.public_keys,
        "groups": release.groups,
        "mechanisms": [
            {
                "name": c.name,
                "mechanism": c.mechanism,
                "epsilon": c.epsilon_exact,
                "scale": c.scale_exact,
                "guarantee": c.guarantee,
            }
            for c in release.components
        ],
    }
