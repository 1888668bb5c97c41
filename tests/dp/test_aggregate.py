"""AggregatePlan: totals bounded per part and released once match the pandas Query exactly."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from govshare import Workspace
from govshare.dp import AggregatePlan, GroupTotals, MemoryLedger, Query
from govshare.exceptions import BudgetExceeded, InputError
from govshare.testing import PredictableNoiseWarning, deterministic_noise

KEYS = ["east", "north", "south", "west", "nowhere"]


@pytest.fixture
def frame() -> pd.DataFrame:
    """3,000 rows for 600 people in 4 districts; income in [-50, 1000)."""
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "person": [f"p{i:04d}" for i in rng.integers(0, 600, 3000)],
            "district": rng.choice(KEYS[:4], 3000),
            "income": rng.uniform(-50, 1000, 3000),
        }
    )


def _parts(frame: pd.DataFrame, n: int = 3) -> list[pd.DataFrame]:
    """The frame split by person into *n* parts, as a partitioning by privacy unit would."""
    part = pd.util.hash_pandas_object(frame["person"], index=False).to_numpy() % n
    return [frame[part == i] for i in range(n)]


def _ledger() -> MemoryLedger:
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=100.0, delta=1e-3)
    return ledger


CASES = [
    ("count", None, None, "district", KEYS, 0.0),
    ("count", None, None, "district", None, 1e-6),
    ("count", None, None, None, None, 0.0),
    ("sum", "income", (0.0, 900.0), "district", KEYS, 0.0),
    ("sum", "income", (-10.0, 900.0), None, None, 0.0),
    ("mean", "income", (-10.0, 900.0), "district", None, 1e-5),
]


@pytest.mark.parametrize(("query", "column", "bounds", "by", "keys", "delta"), CASES)
def test_parts_released_once_equal_the_pandas_query(
    frame: pd.DataFrame,
    query: str,
    column: str | None,
    bounds: tuple[float, float] | None,
    by: str | None,
    keys: list[str] | None,
    delta: float,
) -> None:
    """With bounds that bind no one, the same seed gives the pandas Query's result exactly."""
    big = {"max_groups": 4, "max_rows": 50}
    q = Query(
        frame, privacy_unit="person", dataset="survey", ledger=_ledger(), requester="analyst", **big
    )
    plan = AggregatePlan(
        query, column, bounds=bounds, by=by, keys=keys, epsilon=1.0, delta=delta, **big
    )
    extra = {} if query == "count" else {"bounds": bounds}
    args = [] if column is None else [column]
    q.count(by=by, keys=keys, epsilon=1.0, delta=delta)  # bounds now: the seed is for noise only
    with pytest.warns(PredictableNoiseWarning), deterministic_noise(9):
        expected = getattr(q, query)(*args, by=by, keys=keys, epsilon=1.0, delta=delta, **extra)
    totals = [plan.bound(p, privacy_unit="person") for p in _parts(frame)]
    with pytest.warns(PredictableNoiseWarning), deterministic_noise(9):
        got = plan.release(
            pickle.loads(pickle.dumps(totals)),
            ledger=_ledger(),
            dataset="survey",
            requester="analyst",
        )
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))
    assert got.release.model_dump(exclude={"released_at"}) == expected.release.model_dump(
        exclude={"released_at"}
    )


def test_release_charges_once_with_the_same_audit_event_as_query(
    sqlite_workspace: Workspace, frame: pd.DataFrame
) -> None:
    """One dp.released event per release, with the data the pandas path records."""
    ws = sqlite_workspace
    ws.budgets.set("survey", epsilon=2.0)
    start = ws.audit.size()
    ws.dp(frame, privacy_unit="person", dataset="survey").count(
        by="district", keys=KEYS, epsilon=0.5
    )
    plan = AggregatePlan("count", by="district", keys=KEYS, epsilon=0.5)
    totals = [plan.bound(p, privacy_unit="person") for p in _parts(frame)]
    plan.release(totals, ledger=ws.budgets, dataset="survey", requester=ws.department)
    events = [r.event for r in ws.audit.entries(start)]
    assert [e.type for e in events] == ["dp.released", "dp.released"]
    assert events[0].data == events[1].data
    assert ws.budgets.get("survey").epsilon_spent == 1.0


def test_a_refused_charge_releases_nothing_and_spends_nothing(frame: pd.DataFrame) -> None:
    """Over budget: BudgetExceeded, and the ledger is unchanged."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=0.4)
    plan = AggregatePlan("count", epsilon=0.5)
    with pytest.raises(BudgetExceeded):
        plan.release(
            [plan.bound(frame, privacy_unit="person")],
            ledger=ledger,
            dataset="survey",
            requester="analyst",
        )
    assert ledger.get("survey").epsilon_spent == 0


def test_one_heavy_person_moves_each_group_by_at_most_the_bound() -> None:
    """A person with 5,000 rows in every group adds at most max_rows to at most max_groups groups
    (everyone else is within the bounds, so bounding leaves them alone)."""
    rng = np.random.default_rng(1)
    base = pd.DataFrame({"person": np.arange(2000), "district": rng.choice(KEYS[:4], 2000)})
    heavy = pd.DataFrame({"person": -1, "district": np.resize(KEYS[:4], 5000)})
    plan = AggregatePlan("count", by="district", keys=KEYS, epsilon=1.0, max_groups=2, max_rows=3)

    def rows(data: pd.DataFrame) -> pd.Series:
        parts = [plan.bound(p, privacy_unit="person") for p in _parts(data)]
        keyed = [t.keys.assign(rows=t.rows) for t in parts]
        return pd.concat(keyed).groupby("district")["rows"].sum().reindex(KEYS, fill_value=0)

    moved = rows(pd.concat([base, heavy], ignore_index=True)) - rows(base)
    assert moved.min() >= 0
    assert moved.max() == 3
    assert (moved > 0).sum() == 2


def test_bound_refuses_nulls_and_totals_of_another_plan(frame: pd.DataFrame) -> None:
    """A null privacy unit is an InputError; release() refuses totals another plan made."""
    plan = AggregatePlan("sum", "income", bounds=(0, 1), by="district", epsilon=1.0, delta=1e-6)
    broken = frame.assign(person=frame["person"].where(frame.index > 0, None))
    with pytest.raises(InputError, match="nulls"):
        plan.bound(broken, privacy_unit="person")
    other = AggregatePlan("count", epsilon=1.0).bound(frame, privacy_unit="person")
    with pytest.raises(InputError, match="this plan"):
        plan.release([other], ledger=_ledger(), dataset="survey", requester="analyst")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"query": "median", "column": "income", "bounds": (0, 1)}, "one of count"),
        ({"query": "count", "column": "income"}, "no value column"),
        ({"query": "sum", "column": "income"}, "bounds"),
        ({"query": "count", "by": "district"}, "delta > 0"),
        ({"query": "count", "keys": ["east"]}, "needs by"),
        (
            {
                "query": "sum",
                "column": "district",
                "bounds": (0, 1),
                "by": "district",
                "keys": ["x"],
            },
            "also be a group",
        ),
        ({"query": "count", "max_rows": 0}, "positive integer"),
    ],
)
def test_plans_refuse_what_a_query_refuses(args: dict[str, object], match: str) -> None:
    """Bad public parameters are refused when the plan is made, before any data is read."""
    with pytest.raises(InputError, match=match):
        AggregatePlan(epsilon=1.0, **args)  # type: ignore[arg-type]


def test_empty_parts_and_no_parts_release_zeros() -> None:
    """An empty part totals nothing; public keys with no rows at all are still released."""
    plan = AggregatePlan("count", by="district", keys=KEYS, epsilon=1.0)
    empty = plan.bound(pd.DataFrame({"person": [], "district": []}), privacy_unit="person")
    assert isinstance(empty, GroupTotals)
    assert len(empty.rows) == 0
    result = plan.release([empty], ledger=_ledger(), dataset="survey", requester="analyst")
    assert list(result.index) == KEYS


def test_plans_by_the_same_groups_share_one_bounding(frame: pd.DataFrame) -> None:
    """bound_together gives a count and a sum by the same keys the same kept rows (as one Query
    reuses its bounded rows), and each plan the totals bound() would give it alone."""
    count = AggregatePlan("count", by="district", keys=KEYS, epsilon=1.0)
    total = AggregatePlan("sum", "income", bounds=(0, 1), by="district", keys=KEYS, epsilon=1.0)
    whole = AggregatePlan("count", epsilon=1.0, max_rows=10_000)
    a, b, c = AggregatePlan.bound_together([count, total, whole], frame, privacy_unit="person")
    assert a.rows.tolist() == b.rows.tolist()
    assert a.persons.tolist() == b.persons.tolist() == a.rows.tolist()  # max_rows=1
    assert a.rows.sum() == frame["person"].nunique()
    assert b.sum is not None
    assert (b.sum <= b.rows * 4096 * 2).all()
    assert c.rows.tolist() == [len(frame)]
