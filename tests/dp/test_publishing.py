"""Releases that make sense to publish, and exact numbers in the audit trail."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govshare import Workspace
from govshare.dp import MemoryLedger, Query
from govshare.testing import deterministic_noise


@pytest.fixture
def frame() -> pd.DataFrame:
    """600 rows for 200 people in three districts; one extra district nobody lives in."""
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "pid": rng.integers(0, 200, 600),
            "district": rng.choice(["east", "north", "west"], 600),
            "income": rng.uniform(0, 1000, 600),
        }
    )


def _query(frame: pd.DataFrame, epsilon: float = 1_000.0) -> Query:
    ledger = MemoryLedger()
    ledger.set("d", epsilon=epsilon, delta=1e-3)
    return Query(frame, privacy_unit="pid", dataset="d", ledger=ledger, requester="analyst")


KEYS = ["east", "north", "west", "empty"]


def test_counts_are_published_as_non_negative_integers_with_the_raw_value_kept(
    frame: pd.DataFrame,
) -> None:
    """A count is an integer >= 0, its interval is the raw one clamped at 0, and raw_value keeps
    the unclamped noisy count (over 20 releases the empty district's goes below 0)."""
    q = _query(frame)
    negative = 0
    with deterministic_noise(31):
        for _ in range(20):
            result = q.count(by="district", keys=KEYS, epsilon=0.05)
            assert list(result.columns) == ["value", "ci_low", "ci_high", "raw_value"]
            assert all(result[c].dtype == np.int64 for c in result.columns)
            hw = int(result.release.components[0].half_width or 0)
            raw = result.raw_value.to_numpy()
            negative += int((raw < 0).sum())
            assert (result.value.to_numpy() == np.maximum(raw, 0)).all()
            assert (result.ci_low.to_numpy() == np.maximum(raw - hw, 0)).all()
            assert (result.ci_high.to_numpy() == np.maximum(raw + hw, 0)).all()
    assert negative > 0


def test_sums_are_clamped_only_when_the_bounds_fix_their_sign(frame: pd.DataFrame) -> None:
    """Sums of values clipped to [0, x] are >= 0, of [x, 0] <= 0; with bounds across 0 the
    published value is the raw one. Each carries its clipping interval."""
    q = _query(frame)
    empty = frame.assign(district="east")
    with deterministic_noise(32):
        positive = q.sum("income", bounds=(0, 1000), by="district", keys=KEYS, epsilon=0.05)
        negative = _query(empty).sum(
            "income", bounds=(-1000, 0), by="district", keys=["north", "west"], epsilon=0.05
        )
        across = q.sum("income", bounds=(-10, 1000), by="district", keys=KEYS, epsilon=0.05)
    assert list(positive.columns) == [
        "value",
        "ci_low",
        "ci_high",
        "raw_value",
        "clip_low",
        "clip_high",
    ]
    assert (positive[["value", "ci_low", "ci_high"]] >= 0).all().all()
    assert (positive.raw_value < 0).any()
    assert (negative[["value", "ci_low", "ci_high"]] <= 0).all().all()
    assert (negative.raw_value > 0).any()
    assert (across.value == across.raw_value).all()
    assert (positive.clip_low == 0).all()
    assert (positive.clip_high == 1000).all()


def test_means_variances_and_quantiles_report_their_clip_interval(frame: pd.DataFrame) -> None:
    """Every bounded statistic names the interval its values were clipped to, in each row."""
    q = _query(frame)
    with deterministic_noise(33):
        mean = q.mean("income", bounds=(100, 900), by="district", keys=KEYS[:3], epsilon=1.0)
        variance = q.variance("income", bounds=(100, 900), epsilon=1.0)
        median = q.median("income", bounds=(100, 900), epsilon=1.0)
    for result in (mean, variance, median):
        assert list(result.columns)[-2:] == ["clip_low", "clip_high"]
        assert (result.clip_low == 100).all()
        assert (result.clip_high == 900).all()
        assert result.release.bounds == (100, 900)
    assert ((mean.value >= 100) & (mean.value <= 900)).all()


def test_an_empty_partition_selection_says_so_and_shows_the_charge(frame: pd.DataFrame) -> None:
    """When no group passes partition selection the result is empty, and its repr, HTML and
    release say so and name the epsilon and delta charged."""
    singletons = pd.DataFrame({"pid": range(30), "district": [f"d{i}" for i in range(30)]})
    ledger = MemoryLedger()
    ledger.set("d", epsilon=1.0, delta=1e-6)
    q = Query(singletons, privacy_unit="pid", dataset="d", ledger=ledger, requester="analyst")
    with deterministic_noise(34):
        result = q.count(by="district", epsilon=0.5, delta=1e-6)
    assert len(result) == 0
    assert result.release.groups == 0
    note = result.release.note
    assert note is not None
    assert "released no group" in note
    assert "epsilon 0.5 and delta 0.000001 were charged" in note
    assert repr(result).startswith(note)
    assert html.escape(note) in (result._repr_html_() or "")
    assert ledger.get("d").epsilon_spent == 0.5
    with deterministic_noise(35):
        kept = _query(frame).count(by="district", epsilon=1.0, delta=1e-6)
    assert len(kept) == 3
    assert kept.release.note is None


@pytest.mark.slow
def test_clamped_count_intervals_cover_and_raw_values_stay_unbiased(frame: pd.DataFrame) -> None:
    """Over 3,000 seeded releases at epsilon 0.2: the clamped 95% interval covers every
    district's bounded count (the empty one too) at least 94% of the time, never less often than
    the raw interval, and the mean raw value of the empty district is within 0.5 of 0."""
    q = _query(frame, epsilon=1e6)
    truth = np.append(frame.groupby("district").pid.nunique().to_numpy(), 0)
    clamped_hits = raw_hits = 0
    empty_raw = []
    with deterministic_noise(36):
        for _ in range(3000):
            r = q.count(by="district", keys=KEYS, epsilon=0.2)
            bounded, _, _ = q._bound(["district"], r.index, None)
            exact = np.bincount(bounded.groups, minlength=len(KEYS))
            hw = int(r.release.components[0].half_width or 0)
            clamped_hits += int(((r.ci_low <= exact) & (exact <= r.ci_high)).sum())
            raw_hits += int((np.abs(r.raw_value - exact) <= hw).sum())
            empty_raw.append(int(r.raw_value.iloc[-1]))
            assert (r.value >= 0).all()
    assert truth[-1] == 0
    assert clamped_hits >= raw_hits
    assert clamped_hits / (3000 * len(KEYS)) >= 0.94
    assert abs(float(np.mean(empty_raw))) < 0.5


def _is_exact(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def test_audit_events_carry_exact_amounts(workspace: Workspace, frame: pd.DataFrame) -> None:
    """dp.budget.set and dp.released record epsilon and delta as exact decimal strings and
    integer units (never floats such as 0.04999999999995); shares that have no finite decimal
    are exact fractions."""
    start = workspace.audit.size()
    workspace.budgets.set("income", epsilon=1.0, delta=1e-5)
    with workspace.dp(frame, privacy_unit="pid", dataset="income") as q:
        q.count(by="district", epsilon=0.05, delta=1e-6)
        q.variance("income", bounds=(0, 1000), epsilon=0.1)
    events = [r.event for r in workspace.audit.entries(start)]
    budget, selected, variance = (e.data for e in events)
    assert budget["epsilon_cap"] == "1"
    assert budget["epsilon_cap_units"] == 1_000_000
    assert budget["delta_cap"] == "0.00001"
    assert selected["epsilon"] == "0.05"
    assert selected["epsilon_units"] == 50_000
    assert selected["delta"] == "0.000001"
    assert selected["delta_units"] == 10**9
    shares = {m["name"]: m["epsilon"] for m in selected["mechanisms"]}  # type: ignore[union-attr]
    assert shares == {"partition_selection": "0.025", "count": "0.025"}
    thirds = {m["epsilon"] for m in variance["mechanisms"]}  # type: ignore[union-attr]
    assert thirds == {"1/30"}
    for data in (budget, selected, variance):
        for key, value in data.items():
            if key.startswith(("epsilon", "delta")):
                assert _is_exact(value), (key, value)
    for mechanism in variance["mechanisms"]:  # type: ignore[union-attr]
        assert _is_exact(mechanism["epsilon"])
        assert _is_exact(mechanism["scale"])
    assert Decimal(str(selected["epsilon"])) == Decimal("0.05")
