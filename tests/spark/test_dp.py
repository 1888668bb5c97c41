"""DP on Spark: the pandas Query's releases, bounding on the executors, one charge per release."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from scipy import stats

import govshare.spark as gsp
from govshare import Workspace
from govshare.dp import MemoryLedger, Query
from govshare.exceptions import BudgetExceeded, InputError
from govshare.testing import deterministic_noise
from tests.spark.conftest import to_spark

pytestmark = pytest.mark.spark

KEYS = ["east", "north", "south", "west", "nowhere"]


@pytest.fixture
def frame() -> pd.DataFrame:
    """2,400 rows of 500 people in 4 districts, income in [-50, 1000)."""
    rng = np.random.default_rng(8)
    return pd.DataFrame(
        {
            "person": [f"hs1.{i:032x}" for i in rng.integers(0, 500, 2400)],
            "district": rng.choice(KEYS[:4], 2400),
            "income": rng.uniform(-50, 1000, 2400),
        }
    )


def _ledger(epsilon: float = 100.0) -> MemoryLedger:
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=epsilon, delta=1e-3)
    return ledger


def test_releases_equal_the_pandas_query_at_the_same_seed(
    spark: SparkSession, frame: pd.DataFrame
) -> None:
    """Count by public keys, count with partition selection, sum and mean, from one Spark job,
    equal the pandas Query's releases exactly when the bounds bind no one."""
    big = {"max_groups": 4, "max_rows": 50}
    q = Query(
        frame, privacy_unit="person", dataset="survey", ledger=_ledger(), requester="analyst", **big
    )
    for by, keys, delta in (("district", KEYS, 0.0), ("district", None, 1e-6), (None, None, 0.0)):
        q.count(by=by, keys=keys, epsilon=1.0, delta=delta)  # bound now: the seed is for noise
    with deterministic_noise(31):
        expected = [
            q.count(by="district", keys=KEYS, epsilon=1.0),
            q.count(by="district", epsilon=1.0, delta=1e-6),
            q.sum("income", bounds=(0, 900), by="district", keys=KEYS, epsilon=1.0),
            q.mean("income", bounds=(-10, 900), epsilon=1.0),
        ]
    sq = gsp.SparkQuery(
        to_spark(spark, frame),
        privacy_unit="person",
        dataset="survey",
        ledger=_ledger(),
        requester="analyst",
        **big,
    )
    with deterministic_noise(31):
        got = sq.release(
            gsp.Count(by="district", keys=KEYS, epsilon=1.0),
            gsp.Count(by="district", epsilon=1.0, delta=1e-6),
            gsp.Sum("income", (0, 900), by="district", keys=KEYS, epsilon=1.0),
            gsp.Mean("income", (-10, 900), epsilon=1.0),
        )
    for spark_result, pandas_result in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(spark_result), pd.DataFrame(pandas_result))
        assert spark_result.release.model_dump(exclude={"released_at"}) == (
            pandas_result.release.model_dump(exclude={"released_at"})
        )


def test_each_release_is_charged_once_with_its_audit_event(
    spark: SparkSession, sqlite_workspace: Workspace, frame: pd.DataFrame
) -> None:
    """One dp.released event and one charge per statistic, the same event the pandas path records."""
    ws = sqlite_workspace
    ws.budgets.set("survey", epsilon=3.0)
    start = ws.audit.size()
    ws.dp(frame, privacy_unit="person", dataset="survey").count(
        by="district", keys=KEYS, epsilon=0.5
    )
    sq = gsp.SparkQuery(
        to_spark(spark, frame),
        privacy_unit="person",
        dataset="survey",
        ledger=ws.budgets,
        requester=ws.department,
    )
    sq.count(by="district", keys=KEYS, epsilon=0.5)
    assert ws.budgets.get("survey").epsilon_spent == 1.0
    sq.release(
        gsp.Sum("income", (0, 1000), epsilon=0.25), gsp.Mean("income", (0, 1000), epsilon=0.25)
    )
    events = [r.event for r in ws.audit.entries(start)]
    assert [e.type for e in events] == ["dp.released"] * 4
    assert events[0].data == events[1].data
    assert [e.data["query"] for e in events[2:]] == ["sum", "mean"]
    assert ws.budgets.get("survey").epsilon_spent == 1.5


def test_one_heavy_person_moves_each_count_by_at_most_the_bound(spark: SparkSession) -> None:
    """At the same noise seed, adding a person with 20,000 rows changes at most max_groups
    released counts, each by at most max_rows (everyone else is within the bounds)."""
    rng = np.random.default_rng(2)
    base = pd.DataFrame({"person": np.arange(3000), "district": rng.choice(KEYS[:4], 3000)})
    heavy = pd.DataFrame({"person": -7, "district": np.resize(KEYS[:4], 20_000)})

    def counts(data: pd.DataFrame) -> pd.Series:
        sq = gsp.SparkQuery(
            to_spark(spark, data),
            privacy_unit="person",
            dataset="survey",
            ledger=_ledger(),
            requester="analyst",
            max_groups=2,
            max_rows=3,
        )
        with deterministic_noise(5):
            return sq.count(by="district", keys=KEYS, epsilon=1.0)["value"]

    moved = counts(pd.concat([base, heavy], ignore_index=True)) - counts(base)
    assert moved.min() >= 0
    assert moved.max() <= 3
    assert (moved != 0).sum() <= 2


def test_groups_selected_privately_hide_a_rare_group(
    spark: SparkSession, frame: pd.DataFrame
) -> None:
    """Without keys, a district held by one person is not released; the common ones are."""
    rare = pd.DataFrame({"person": ["solo"], "district": ["secret"], "income": [1.0]})
    sdf = to_spark(spark, pd.concat([frame, rare], ignore_index=True))
    sq = gsp.SparkQuery(
        sdf, privacy_unit="person", dataset="survey", ledger=_ledger(), requester="analyst"
    )
    result = sq.count(by="district", epsilon=1.0, delta=1e-6)
    assert set(result.index) == set(KEYS[:4])
    assert [c.name for c in result.release.components] == ["partition_selection", "count"]


def test_bad_data_or_budget_is_refused_and_nothing_is_charged(
    spark: SparkSession, frame: pd.DataFrame
) -> None:
    """A null privacy unit, a NaN value or an empty frame is an InputError, and a budget that
    cannot pay is refused before the job: the ledger stays untouched each time."""
    ledger = _ledger(epsilon=1.0)
    broken = frame.assign(person=frame["person"].where(frame.index > 3, None))
    nan = frame.assign(income=frame["income"].where(frame.index > 3, math.nan))

    def query(data: pd.DataFrame) -> gsp.SparkQuery:
        return gsp.SparkQuery(
            to_spark(spark, data),
            privacy_unit="person",
            dataset="survey",
            ledger=ledger,
            requester="analyst",
        )

    with pytest.raises(InputError, match="nulls"):
        query(broken).count(epsilon=0.5)
    with pytest.raises(InputError, match="NaN"):
        query(nan).sum("income", bounds=(0, 1), epsilon=0.5)
    with pytest.raises(InputError, match="empty"):
        query(frame.iloc[:0]).count(epsilon=0.5)
    with pytest.raises(BudgetExceeded, match="nothing ran"):
        query(frame).release(gsp.Count(epsilon=0.6), gsp.Count(epsilon=0.6))
    with pytest.raises(InputError, match="no column"):
        query(frame).sum("salary", bounds=(0, 1), epsilon=0.5)
    assert ledger.get("survey").epsilon_spent == 0


@pytest.mark.slow
def test_released_noise_follows_the_discrete_laplace_law(spark: SparkSession) -> None:
    """Noise on 3,000 released counts (one person per row, scale 1) fits the discrete Laplace
    probability mass function (chi-square test at a seed, loose p-value)."""
    n = 3000
    keys = [f"g{i}" for i in range(n)]
    data = pd.DataFrame({"person": np.arange(2 * n), "district": keys * 2})
    sq = gsp.SparkQuery(
        to_spark(spark, data),
        privacy_unit="person",
        dataset="survey",
        ledger=_ledger(),
        requester="analyst",
    )
    with deterministic_noise(77):
        result = sq.count(by="district", keys=keys, epsilon=1.0)
    noise = (result["raw_value"] - 2).to_numpy().astype(np.int64)  # value is clamped at 0
    alpha = math.exp(-1.0)
    support = np.arange(-4, 5)
    pmf = (1 - alpha) / (1 + alpha) * alpha ** np.abs(support)
    tail = (1 - pmf.sum()) / 2
    observed = [np.sum(noise < -4), *(np.sum(noise == k) for k in support), np.sum(noise > 4)]
    expected = np.array([tail, *pmf, tail]) * n
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    assert abs(noise.mean()) < 0.15
