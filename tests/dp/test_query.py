"""Queries: results, metadata, previews, bad input, and that nothing is charged on failure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from govshare.dp import DPResult, MemoryLedger, Preview, Query
from govshare.exceptions import BudgetExceeded, InputError
from govshare.testing import deterministic_noise


@pytest.fixture
def frame() -> pd.DataFrame:
    """2,000 rows for 500 people in 4 districts, with an income column."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "person": [f"p{i:04d}" for i in rng.integers(0, 500, 2000)],
            "district": rng.choice(["east", "north", "south", "west"], 2000),
            "income": rng.uniform(0, 1000, 2000),
        }
    )


@pytest.fixture
def ledger() -> MemoryLedger:
    """An in-memory ledger with a generous budget for dataset "survey"."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=100.0, delta=1e-3)
    return ledger


@pytest.fixture
def q(frame: pd.DataFrame, ledger: MemoryLedger) -> Query:
    """A query over the frame with up to 2 groups and 3 rows per group per person."""
    return Query(
        frame,
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
        max_groups=2,
        max_rows=3,
    )


def test_count_by_public_keys_returns_every_key_with_intervals(
    q: Query, ledger: MemoryLedger
) -> None:
    """A count by public keys has one row per key (absent keys too), value inside its interval."""
    result = q.count(by="district", keys=["east", "north", "south", "west", "nowhere"], epsilon=1.0)
    assert isinstance(result, DPResult)
    assert list(result.columns) == ["value", "ci_low", "ci_high", "raw_value"]
    assert list(result.index) == ["east", "north", "south", "west", "nowhere"]
    assert (result.ci_low <= result.value).all()
    assert (result.value <= result.ci_high).all()
    assert result.release.epsilon == 1.0
    assert result.release.components[0].scale == pytest.approx(6.0)
    assert result.attrs["govshare.dp"]["query"] == "count"
    assert ledger.get("survey").epsilon_spent == 1.0


def test_counts_are_close_to_the_bounded_truth(frame: pd.DataFrame) -> None:
    """With bounds that bind no one, noisy counts are within the 95% half-width of the truth."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=10.0)
    big = Query(
        frame,
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
        max_groups=4,
        max_rows=20,
    )
    truth = frame.groupby("district").size()
    with deterministic_noise(21):
        result = big.count(by="district", keys=list(truth.index), epsilon=5.0)
    half = result.release.components[0].half_width
    assert half is not None
    assert (abs(result.value - truth) <= 3 * half).all()


def test_partition_selection_hides_rare_groups(frame: pd.DataFrame, ledger: MemoryLedger) -> None:
    """Without keys, a group held by one person is not released; common groups are."""
    rare = pd.concat(
        [frame, pd.DataFrame({"person": ["solo"], "district": ["secret"], "income": [1.0]})]
    )
    q = Query(rare, privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst")
    with deterministic_noise(22):
        result = q.count(by="district", epsilon=1.0, delta=1e-6)
    assert "secret" not in result.index
    assert set(result.index) == {"east", "north", "south", "west"}
    names = [c.name for c in result.release.components]
    assert names == ["partition_selection", "count"]
    assert not result.release.public_keys


def test_sum_mean_variance_quantile_histogram(q: Query, frame: pd.DataFrame) -> None:
    """Every query kind returns sensible values within the declared bounds."""
    total = q.sum("income", bounds=(0, 1000), epsilon=2.0)
    assert total.value.iloc[0] == pytest.approx(total.value.iloc[0])
    with deterministic_noise(23):
        mean = q.mean("income", bounds=(0, 1000), by="district", keys=["east", "west"], epsilon=2.0)
    assert ((mean.value >= 0) & (mean.value <= 1000)).all()
    assert (abs(mean.value - 500) < 100).all()
    assert (mean.ci_low <= mean.ci_high).all()
    var = q.variance("income", bounds=(0, 1000), epsilon=3.0)
    assert 0 <= var.value.iloc[0] <= 250_000
    assert var.ci_low.iloc[0] <= var.value.iloc[0] <= var.ci_high.iloc[0]
    med = q.median("income", bounds=(0, 1000), epsilon=1.0)
    assert 0 <= med.value.iloc[0] <= 1000
    assert math.isnan(med.ci_low.iloc[0])
    hist = q.histogram("income", bins=[0, 250, 500, 750, 1000], epsilon=1.0)
    assert len(hist) == 4
    assert hist.index.name == "income"


def test_mean_interval_covers_the_bounded_mean(frame: pd.DataFrame) -> None:
    """The mean's interval holds the exact mean of the bounded rows at a fixed seed."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=10.0)
    q = Query(
        frame,
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
        max_rows=50,
    )
    with deterministic_noise(4):
        mean = q.mean("income", bounds=(0, 1000), epsilon=1.0)
    exact = frame.income.mean()
    assert mean.ci_low.iloc[0] <= exact <= mean.ci_high.iloc[0]


def test_queries_never_modify_the_callers_frame(q: Query, frame: pd.DataFrame) -> None:
    """The caller's frame is unchanged after every query kind."""
    before = frame.copy()
    q.count(by="district", keys=["east"], epsilon=1.0)
    q.sum("income", bounds=(0, 10), epsilon=1.0)
    q.histogram("income", bins=[0, 500, 1000], by="district", keys=["east"], epsilon=1.0)
    pd.testing.assert_frame_equal(frame, before)


def test_preview_charges_nothing_and_matches_the_release(q: Query, ledger: MemoryLedger) -> None:
    """preview() reports mechanism, scale and half-width without charging; the release agrees."""
    preview = q.preview("sum", "income", bounds=(-10, 20), epsilon=0.5)
    assert isinstance(preview, Preview)
    assert ledger.get("survey").epsilon_spent == 0
    assert preview.components[0].mechanism == "discrete-laplace"
    result = q.sum("income", bounds=(-10, 20), epsilon=0.5)
    assert result.release.components == preview.components
    assert result.ci_high.iloc[0] - result.value.iloc[0] == pytest.approx(
        preview.components[0].half_width
    )


def test_each_component_states_its_guarantee(q: Query) -> None:
    """Counts and sums are pure epsilon-DP from the exact sampler, partition selection is
    (epsilon, delta)-DP, and quantiles say they are approximate (floating point)."""
    count = q.count(by="district", keys=["east"], epsilon=1.0)
    assert count.release.components[0].guarantee.startswith("pure epsilon-DP: exact")
    assert count.attrs["govshare.dp"]["components"][0]["guarantee"].startswith("pure")
    with deterministic_noise(25):
        selected = q.count(by="district", epsilon=1.0, delta=1e-6)
    guarantees = {c.name: c.guarantee for c in selected.release.components}
    assert guarantees["partition_selection"].startswith("(epsilon, delta)-DP: exact")
    assert guarantees["count"].startswith("pure epsilon-DP")
    mean = q.mean("income", bounds=(0, 1000), epsilon=1.0)
    assert all(c.guarantee.startswith("pure") for c in mean.release.components)
    median = q.median("income", bounds=(0, 1000), epsilon=1.0)
    assert median.release.components[0].guarantee.startswith("approximate: ")


def test_a_scale_beyond_the_exact_samplers_limits_is_an_input_error(
    frame: pd.DataFrame, ledger: MemoryLedger
) -> None:
    """A noise scale whose exact fraction needs more than 56 bits is refused before any charge
    (reachable within MAX_CONTRIBUTIONS only through many groups of many rows each)."""
    q = Query(
        frame,
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
        max_rows=10**6,
        max_groups=10**6,
    )
    districts = sorted(frame["district"].unique())
    with pytest.raises(InputError, match=r"2\*\*56"):
        q.preview("count", by="district", keys=districts, epsilon=1e-6)
    with pytest.raises(InputError, match=r"2\*\*56"):
        q.count(by="district", keys=districts, epsilon=1e-6)
    assert ledger.get("survey").epsilon_spent == 0


def test_budget_exceeded_releases_and_charges_nothing(frame: pd.DataFrame) -> None:
    """A query over the cap raises BudgetExceeded and leaves the spent amount unchanged."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=1.0)
    q = Query(frame, privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst")
    q.count(epsilon=0.7)
    with pytest.raises(BudgetExceeded, match="nothing was charged"):
        q.count(epsilon=0.4)
    assert ledger.get("survey").epsilon_spent == 0.7
    q.count(epsilon=0.3)
    assert ledger.get("survey").epsilon_remaining == 0.0


def test_a_dataset_without_a_budget_is_refused(frame: pd.DataFrame) -> None:
    """Querying a dataset with no cap fails closed and names the call that sets one."""
    q = Query(
        frame, privacy_unit="person", dataset="other", ledger=MemoryLedger(), requester="analyst"
    )
    with pytest.raises(BudgetExceeded, match=r"set\("):
        q.count(epsilon=1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.count(epsilon=0), "epsilon must be > 0"),
        (lambda q: q.count(epsilon=-1.0), "epsilon must be > 0"),
        (lambda q: q.count(epsilon=math.inf), "finite"),
        (lambda q: q.count(epsilon=math.nan), "finite"),
        (lambda q: q.count(epsilon=1.0, delta=1.5), "delta"),
        (lambda q: q.count(by="district", epsilon=1.0), "delta > 0"),
        (lambda q: q.count(by="missing", keys=["a"], epsilon=1.0), "not in the frame"),
        (lambda q: q.count(keys=["a"], epsilon=1.0), "needs by"),
        (lambda q: q.count(by="district", keys=["a", "a"], epsilon=1.0), "unique"),
        (lambda q: q.sum("income", bounds=None, epsilon=1.0), "bounds"),  # type: ignore[arg-type]
        (lambda q: q.sum("income", bounds=(5, 1), epsilon=1.0), "lower < upper"),
        (lambda q: q.sum("income", bounds=(0, math.inf), epsilon=1.0), "finite"),
        (lambda q: q.sum("district", bounds=(0, 1), epsilon=1.0), "not numeric"),
        (lambda q: q.quantile("income", 1.5, bounds=(0, 1), epsilon=1.0), "q must"),
        (lambda q: q.histogram("income", bins=[3, 1], epsilon=1.0), "increasing"),
        (lambda q: q.preview("median", epsilon=1.0), "unknown query"),
    ],
)
def test_bad_parameters_raise_input_error_and_charge_nothing(
    q: Query, ledger: MemoryLedger, call: object, message: str
) -> None:
    """Bad epsilon, delta, bounds, keys, columns or bins raise InputError; nothing is charged."""
    with pytest.raises(InputError, match=message):
        call(q)  # type: ignore[operator]
    assert ledger.get("survey").epsilon_spent == 0


@pytest.mark.parametrize(
    ("frame_change", "message"),
    [
        (lambda f: f.assign(income=np.where(f.index == 3, np.nan, f.income)), "NaN"),
        (lambda f: f.assign(income=np.where(f.index == 3, np.inf, f.income)), "infinite"),
        (lambda f: f.assign(district=f.district.where(f.index != 5, None)), "nulls"),
    ],
)
def test_bad_values_raise_input_error_and_charge_nothing(
    frame: pd.DataFrame, ledger: MemoryLedger, frame_change: object, message: str
) -> None:
    """NaN or infinite values and null group keys are refused; nothing is charged."""
    q = Query(
        frame_change(frame),
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
    )  # type: ignore[operator]
    with pytest.raises(InputError, match=message):
        q.mean("income", bounds=(0, 1000), by="district", keys=["east"], epsilon=1.0)
    assert ledger.get("survey").epsilon_spent == 0


def test_bad_frames_and_units_are_refused(frame: pd.DataFrame, ledger: MemoryLedger) -> None:
    """An empty frame, a missing or null privacy unit and bad bounds on rows are typed errors."""
    with pytest.raises(InputError, match="empty"):
        Query(
            frame.iloc[:0],
            privacy_unit="person",
            dataset="survey",
            ledger=ledger,
            requester="analyst",
        )
    with pytest.raises(InputError, match="privacy unit"):
        Query(frame, privacy_unit="nobody", dataset="survey", ledger=ledger, requester="analyst")
    with pytest.raises(InputError, match="privacy_unit"):
        Query(frame, privacy_unit="", dataset="survey", ledger=ledger, requester="analyst")
    nulls = frame.assign(person=frame.person.where(frame.index != 0, None))
    with pytest.raises(InputError, match="nulls"):
        Query(nulls, privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst")
    with pytest.raises(InputError, match="max_rows"):
        Query(
            frame,
            privacy_unit="person",
            dataset="survey",
            ledger=ledger,
            requester="analyst",
            max_rows=0,
        )
    with pytest.raises(InputError, match="dataset"):
        Query(frame, privacy_unit="person", dataset="bad name!", ledger=ledger, requester="analyst")


def test_accessor_builds_a_query(frame: pd.DataFrame, ledger: MemoryLedger) -> None:
    """df.govshare.dp(...) is a Query over the frame."""
    q = frame.govshare.dp(
        privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst", max_rows=2
    )
    assert isinstance(q, Query)
    assert q.max_rows == 2
    assert len(q.count(epsilon=1.0)) == 1


def test_html_reprs_show_metadata_and_a_budget_bar(q: Query, ledger: MemoryLedger) -> None:
    """Results render their release metadata; budgets render an inline SVG bar."""
    with q:
        result = q.count(by="district", keys=["east"], epsilon=1.0)
    html = result._repr_html_()
    assert html is not None
    assert "epsilon 1" in html
    assert "discrete-laplace" in html
    assert "(pure epsilon-DP)" in html
    budget_html = ledger._repr_html_()
    assert "<svg" in budget_html
    assert "survey" in budget_html


def test_multi_column_groups(frame: pd.DataFrame, ledger: MemoryLedger) -> None:
    """Grouping by two columns with tuple keys gives a two-level index."""
    framed = frame.assign(band=np.where(frame.income > 500, "high", "low"))
    q = Query(framed, privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst")
    result = q.count(by=["district", "band"], keys=[("east", "high"), ("east", "low")], epsilon=1.0)
    assert list(result.index.names) == ["district", "band"]
    with deterministic_noise(24):
        selected = q.count(by=["district", "band"], epsilon=1.0, delta=1e-6)
    assert len(selected) == 8


@pytest.mark.slow
def test_count_intervals_cover_at_their_stated_rate(frame: pd.DataFrame) -> None:
    """Over 2,000 seeded releases, the 95% count interval covers the bounded truth >= 94% of the time."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=10_000.0)
    q = Query(
        frame,
        privacy_unit="person",
        dataset="survey",
        ledger=ledger,
        requester="analyst",
        max_groups=4,
        max_rows=100,
    )
    truth = frame.groupby("district").size()
    keys = list(truth.index)
    covered = 0
    with deterministic_noise(12):
        for _ in range(500):
            r = q.count(by="district", keys=keys, epsilon=0.5)
            covered += int(((r.ci_low <= truth) & (truth <= r.ci_high)).sum())
    assert covered / 2000 >= 0.94
