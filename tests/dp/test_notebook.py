"""DP results in a notebook: metadata through pandas operations, and interval and budget plots."""

from __future__ import annotations

import sys
from collections.abc import Callable

import matplotlib
import numpy as np
import pandas as pd
import pytest

from govshare.dp import DPResult, MemoryLedger, Query
from govshare.exceptions import FeatureNotEnabled, InputError

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.container import BarContainer

KEYS = ["east", "north", "south", "west"]


@pytest.fixture
def ledger() -> MemoryLedger:
    """An in-memory ledger with a budget for dataset "survey" and one for analyst's own cap."""
    ledger = MemoryLedger()
    ledger.set("survey", epsilon=10.0, delta=1e-6)
    ledger.set("survey", epsilon=4.0, requester="analyst")
    return ledger


@pytest.fixture
def counts(ledger: MemoryLedger) -> DPResult:
    """A DP count of 2,000 rows by district (four public keys)."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "person": [f"p{i:04d}" for i in rng.integers(0, 800, 2000)],
            "district": rng.choice(KEYS, 2000),
        }
    )
    q = Query(frame, privacy_unit="person", dataset="survey", ledger=ledger, requester="analyst")
    return q.count(by="district", keys=KEYS, epsilon=1.0)


KEEPING: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "copy": lambda d: d.copy(),
    "head": lambda d: d.head(2),
    "tail": lambda d: d.tail(1),
    "boolean filter": lambda d: d[d["value"] > d["value"].min()],
    "query": lambda d: d.query("value >= 0"),
    "filter": lambda d: d.filter(["value", "ci_low", "ci_high"]),
    "loc": lambda d: d.loc[["east", "west"]],
    "iloc": lambda d: d.iloc[:3],
    "sort_values": lambda d: d.sort_values("value"),
    "assign": lambda d: d.assign(width=d["ci_high"] - d["ci_low"]),
    "rename": lambda d: d.rename(columns={"raw_value": "noisy"}),
    "drop": lambda d: d.drop(columns=["raw_value"]),
    "round": lambda d: d.round(0),
    "reset_index": lambda d: d.reset_index(),
}


@pytest.mark.parametrize("operation", sorted(KEEPING))
def test_common_operations_keep_the_release(counts: DPResult, operation: str) -> None:
    """Frames derived from a result by common operations keep its release, caption and attrs."""
    derived = KEEPING[operation](counts)
    assert isinstance(derived, DPResult)
    assert derived.release is counts.release
    assert derived.attrs["govshare.dp"] == counts.attrs["govshare.dp"]
    page = derived._repr_html_()
    assert page is not None
    assert "DP count" in page
    assert "epsilon 1" in page


def test_caption_says_how_many_groups_a_derived_frame_shows(counts: DPResult) -> None:
    """A derived frame with fewer rows than were released says so in its caption."""
    assert "rows shown" not in (counts._repr_html_() or "")
    assert "2 rows shown, derived from the 4 groups released" in (
        counts.head(2)._repr_html_() or ""
    )


@pytest.mark.parametrize(
    "combine",
    [lambda d: pd.concat([d, d]), lambda d: d.merge(d[["value"]], on="value")],
    ids=["concat", "merge"],
)
def test_combining_frames_drops_the_caption(
    counts: DPResult, combine: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    """concat and merge return a result without a release, rendered as a plain table."""
    combined = combine(counts)
    assert isinstance(combined, DPResult)
    assert combined.release is None
    page = combined._repr_html_()
    assert page is not None
    assert "DP count" not in page
    assert "<table" in page
    assert repr(combined)


def test_plot_draws_values_with_their_intervals(counts: DPResult) -> None:
    """plot() draws one bar per group at its value, with an error bar to ci_low and ci_high."""
    ax = counts.plot()
    try:
        heights = [p.get_height() for p in ax.patches]
        assert heights == pytest.approx(counts["value"].to_list())
        assert [t.get_text() for t in ax.get_xticklabels()] == KEYS
        bars = next(c for c in ax.containers if isinstance(c, BarContainer))
        assert bars.errorbar is not None
        caps_low, caps_high = bars.errorbar.lines[1][:2]
        assert caps_low.get_ydata() == pytest.approx(counts["ci_low"].to_list())
        assert caps_high.get_ydata() == pytest.approx(counts["ci_high"].to_list())
        assert "epsilon 1" in ax.get_title()
        assert "95%" in ax.get_title()
    finally:
        plt.close("all")


def test_point_plot_on_given_axes(counts: DPResult) -> None:
    """kind="point" draws markers on the caller's axes and returns them."""
    _figure, axes = plt.subplots()
    try:
        drawn = counts.plot(ax=axes, kind="point", title="by district")
        assert drawn is axes
        assert axes.get_title() == "by district"
        (line,) = axes.lines[:1]
        assert list(line.get_ydata()) == pytest.approx(counts["value"].to_list())
        with pytest.raises(InputError, match="kind"):
            counts.plot(ax=axes, kind="pie")  # type: ignore[arg-type]
    finally:
        plt.close("all")


def test_pandas_plot_methods_still_work(counts: DPResult) -> None:
    """result.plot.bar(...) is pandas' own plot, so nothing pandas offers is lost."""
    try:
        ax = counts.plot.bar(y="value")
        assert len(ax.patches) == len(counts)
    finally:
        plt.close("all")


def test_plot_needs_the_interval_columns(counts: DPResult) -> None:
    """A derived frame without the interval columns cannot be drawn with intervals."""
    with pytest.raises(InputError, match="ci_low"):
        counts[["value"]].plot()


def test_budget_plot_draws_caps_and_spending(counts: DPResult, ledger: MemoryLedger) -> None:
    """The budget view draws each cap and what was spent against it."""
    report = ledger.show("survey")
    try:
        ax = report.plot()
        widths = [p.get_width() for p in ax.patches]
        caps = [s.epsilon_cap for s in report]
        spent = [s.epsilon_spent for s in report]
        assert widths == pytest.approx(caps + spent)
        assert spent == pytest.approx([1.0, 1.0])
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert sorted(labels) == ["survey / analyst", "survey / everyone"]
        with pytest.raises(InputError, match="measure"):
            report.plot(measure="rho")  # type: ignore[arg-type]
    finally:
        plt.close("all")


def test_missing_matplotlib_is_a_typed_error(
    counts: DPResult, ledger: MemoryLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib, plotting raises FeatureNotEnabled naming the extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(FeatureNotEnabled, match=r"govshare\[plot\]"):
        counts.plot()
    with pytest.raises(FeatureNotEnabled, match=r"govshare\[plot\]"):
        ledger.show().plot()
