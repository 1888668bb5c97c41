"""DP extremes are InputErrors naming a documented limit, and leave the store as it was
(issue 11, section 3)."""

from __future__ import annotations

import itertools
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.dp import MAX_BOUND, MAX_CONTRIBUTIONS, MAX_EPSILON, MIN_BOUND, AggregatePlan
from govshare.exceptions import InputError
from govshare.testing import FrozenClock, temporary_workspace

_FRESH = itertools.count()
LIMIT_NAMES = ("MAX_EPSILON", "MAX_BOUND", "MIN_BOUND", "MAX_CONTRIBUTIONS")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A SQLite workspace with a large budget on dataset "d"."""
    ws = temporary_workspace(tmp_path_factory.mktemp("dp-limits"), clock=FrozenClock())
    ws.budgets.set("d", epsilon=MAX_EPSILON)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """60 rows for 30 people in two groups, values spanning the largest bounds."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "pid": rng.integers(0, 30, 60),
            "g": rng.choice(["a", "b"], 60),
            "x": rng.uniform(-MAX_BOUND, MAX_BOUND, 60),
        }
    )


def _tables(ws: Workspace) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(Path(str(ws.store.url).removeprefix("sqlite:///")))
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        con.close()


def _names_a_limit(exc: InputError) -> bool:
    return any(f"govshare.dp.{name}" in str(exc) for name in LIMIT_NAMES)


@pytest.mark.parametrize("epsilon", [MAX_EPSILON * 1.000001, 1e12, 1e13, 1e300, 1.7e308])
def test_caps_beyond_the_ledger_units_are_refused(ws: Workspace, epsilon: float) -> None:
    """A cap beyond MAX_EPSILON is an InputError naming it, not an OverflowError; nothing stored."""
    before = _tables(ws)
    with pytest.raises(InputError) as info:
        ws.budgets.set("huge", epsilon=epsilon)
    assert _names_a_limit(info.value)
    assert _tables(ws) == before


def test_the_largest_cap_is_stored_exactly(ws: Workspace) -> None:
    """A cap of exactly MAX_EPSILON fits the ledger's integer units and reads back exactly."""
    assert ws.budgets.set("edge", epsilon=MAX_EPSILON).epsilon_cap == MAX_EPSILON


QUERIES = ["count", "sum", "mean"]


EXTREMES = [
    (1e300, (0, 1), 1, 1),
    (MAX_EPSILON * 2, (0, 1), 1, 1),
    (1.0, (-1e308, 1e308), 1, 1),
    (1.0, (0, 1.7e308), 1, 1),
    (1.0, (-MAX_BOUND * 2, 0), 1, 1),
    (1.0, (0, 5e-324), 1, 1),
    (1.0, (-1e-310, 1e-310), 1, 1),
    (1.0, (0, 1), MAX_CONTRIBUTIONS + 1, 1),
    (1.0, (0, 1), 10**18, 1),
    (1.0, (0, 1), 1, 2**70),
]


@pytest.mark.parametrize(
    ("query", "epsilon", "bounds", "max_rows", "max_groups"),
    [
        (query, *case)
        for case in EXTREMES
        for query in QUERIES
        # a count takes no bounds: only its epsilon and contribution limits apply to it
        if query != "count" or case[0] > MAX_EPSILON or case[2] > 1 or case[3] > 1
    ],
)
def test_extremes_name_a_limit_and_charge_nothing(
    ws: Workspace,
    frame: pd.DataFrame,
    query: str,
    epsilon: float,
    bounds: tuple[float, float],
    max_rows: int,
    max_groups: int,
) -> None:
    """Each extreme is an InputError naming a documented limit; no charge, no event."""
    before = _tables(ws)
    with (
        pytest.raises(InputError) as info,
        ws.dp(
            frame, privacy_unit="pid", dataset="d", max_rows=max_rows, max_groups=max_groups
        ) as q,
    ):
        if query == "count":
            q.count(by="g", keys=["a", "b"], epsilon=epsilon)
        else:
            getattr(q, query)("x", bounds=bounds, epsilon=epsilon)
    assert _names_a_limit(info.value)
    assert _tables(ws) == before


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.sampled_from(QUERIES),
    epsilon=st.floats(min_value=1e-6, max_value=MAX_EPSILON),
    magnitude=st.floats(min_value=MIN_BOUND, max_value=MAX_BOUND),
    max_rows=st.integers(1, MAX_CONTRIBUTIONS),
)
def test_values_within_the_limits_release_or_refuse_cleanly(
    ws: Workspace,
    frame: pd.DataFrame,
    query: str,
    epsilon: float,
    magnitude: float,
    max_rows: int,
) -> None:
    """Inside the limits a release succeeds with finite numbers, or is a typed InputError."""
    dataset = f"fresh-{next(_FRESH)}"  # a full budget for each example
    ws.budgets.set(dataset, epsilon=MAX_EPSILON)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        try:
            with ws.dp(frame, privacy_unit="pid", dataset=dataset, max_rows=max_rows) as q:
                if query == "count":
                    result = q.count(epsilon=epsilon)
                else:
                    result = getattr(q, query)("x", bounds=(-magnitude, magnitude), epsilon=epsilon)
        except InputError:
            return
    values = np.asarray(result.select_dtypes("number"), dtype=float)
    assert np.isfinite(values).all()


def test_aggregate_plans_share_the_limits() -> None:
    """AggregatePlan (Spark's path) refuses the same extremes with the same limits named."""
    with pytest.raises(InputError, match="MAX_CONTRIBUTIONS"):
        AggregatePlan("count", epsilon=1.0, max_rows=MAX_CONTRIBUTIONS + 1)
    with pytest.raises(InputError, match="MAX_EPSILON"):
        AggregatePlan("count", epsilon=1e300)
