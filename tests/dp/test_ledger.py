"""The budget ledger: exact arithmetic, per-requester caps, persistence and audit events."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.dp import MemoryLedger, StoreLedger
from govshare.dp._units import delta_units, epsilon_units
from govshare.exceptions import BudgetExceeded, InputError


@pytest.fixture
def frame() -> pd.DataFrame:
    """300 rows for 100 people."""
    rng = np.random.default_rng(5)
    return pd.DataFrame({"pid": rng.integers(0, 100, 300), "x": rng.uniform(0, 1, 300)})


@settings(max_examples=150, deadline=None)
@given(
    cap=st.decimals(min_value=0, max_value=10, places=6),
    charges=st.lists(st.decimals(min_value="0.000001", max_value=3, places=6), max_size=30),
)
def test_charges_never_exceed_the_cap_and_add_up_exactly(
    cap: Decimal, charges: list[Decimal]
) -> None:
    """Accepted charges sum exactly (no float drift) and never beyond the cap; refusals change nothing."""
    ledger = MemoryLedger()
    ledger.set("d", epsilon=float(cap))
    accepted = Decimal(0)
    for c in charges:
        units = epsilon_units(float(c))
        try:
            ledger.charge("d", "a", units, 0, {})
            accepted += c
        except BudgetExceeded:
            assert accepted + c > cap
    status = ledger.get("d")
    assert Decimal(repr(status.epsilon_spent)) == accepted
    assert accepted <= cap


@given(value=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False))
def test_charges_round_up_and_caps_round_down(value: float) -> None:
    """A charge is never less than asked, a cap never more than given (to the unit)."""
    assert Decimal(epsilon_units(value)) * Decimal("1e-6") >= Decimal(repr(value))
    assert Decimal(epsilon_units(value, cap=True)) * Decimal("1e-6") <= Decimal(repr(value))


def test_unit_conversion_refuses_bad_numbers() -> None:
    """NaN, infinities, booleans, non-positive charges and delta >= 1 are refused."""
    for bad in (float("nan"), float("inf"), 0.0, -1.0, True):
        with pytest.raises(InputError):
            epsilon_units(bad)
    with pytest.raises(InputError):
        delta_units(1.0)
    assert epsilon_units(0.0, cap=True) == 0
    assert delta_units(1e-6) == 10**9


def test_requester_caps_bind_on_top_of_the_dataset_cap() -> None:
    """A requester's own cap refuses them while others still spend from the dataset cap."""
    ledger = MemoryLedger()
    ledger.set("d", epsilon=2.0)
    ledger.set("d", epsilon=0.5, requester="analyst-1")
    ledger.charge("d", "analyst-1", epsilon_units(0.5), 0, {})
    with pytest.raises(BudgetExceeded):
        ledger.charge("d", "analyst-1", epsilon_units(0.1), 0, {})
    ledger.charge("d", "analyst-2", epsilon_units(1.5), 0, {})
    assert ledger.get("d").epsilon_spent == 2.0
    assert ledger.get("d", requester="analyst-1").epsilon_spent == 0.5
    with pytest.raises(InputError, match="no budget"):
        ledger.get("d", requester="analyst-3")


def test_store_ledger_persists_charges_and_audits_them(
    workspace: Workspace, frame: pd.DataFrame
) -> None:
    """ws.budgets persists caps and spending; each release and cap change is one audit event."""
    start = workspace.audit.size()
    status = workspace.budgets.set("income-2026", epsilon=1.0, delta=1e-6)
    assert status.epsilon_cap == 1.0
    with workspace.dp(frame, privacy_unit="pid", dataset="income-2026") as q:
        q.sum("x", bounds=(0, 1), epsilon=0.25)
        q.count(epsilon=0.25)
        with pytest.raises(BudgetExceeded):
            q.count(epsilon=0.6)
    reopened = StoreLedger(workspace.store, workspace.audit)
    assert reopened.get("income-2026").epsilon_spent == 0.5
    events = [r.event for r in workspace.audit.entries(start)]
    assert [e.type for e in events] == ["dp.budget.set", "dp.released", "dp.released"]
    released = events[1]
    assert released.actor == workspace.department
    assert released.data["query"] == "sum"
    assert released.data["bounds"] == [0.0, 1.0]
    assert released.data["mechanisms"][0]["mechanism"] == "discrete-laplace"  # type: ignore[index,call-overload]
    assert "value" not in released.data


def test_store_ledger_refusal_leaves_no_trace(workspace: Workspace) -> None:
    """A refused charge writes neither spending nor an audit event; an unknown dataset fails closed."""
    workspace.budgets.set("d", epsilon=0.1)
    size = workspace.audit.size()
    me = workspace.department
    with pytest.raises(BudgetExceeded):
        workspace.budgets.charge("d", me, epsilon_units(0.2), 0, {"q": 1})
    with pytest.raises(BudgetExceeded, match="no privacy budget"):
        workspace.budgets.charge("unknown", me, 1, 0, {})
    assert workspace.audit.size() == size
    assert workspace.budgets.get("d").epsilon_spent == 0


def test_store_ledger_requester_caps_and_show(workspace: Workspace) -> None:
    """Per-requester caps persist, apply with the dataset cap, and show() lists them in order."""
    budgets = workspace.budgets
    budgets.set("d", epsilon=1.0, delta=1e-5)
    budgets.set("d", epsilon=0.2, requester="analyst-1")
    first, second = (
        StoreLedger(workspace.store, workspace.audit, requester=f"analyst-{i}") for i in (1, 2)
    )
    first.charge("d", "analyst-1", epsilon_units(0.2), 0, {})
    with pytest.raises(BudgetExceeded):
        first.charge("d", "analyst-1", 1, 0, {})
    second.charge("d", "analyst-2", epsilon_units(0.3), delta_units(1e-6), {})
    report = budgets.show()
    assert [(s.dataset, s.requester) for s in report] == [("d", "*"), ("d", "analyst-1")]
    assert report[0].epsilon_spent == 0.5
    assert report[0].delta_spent == 1e-6
    budgets.set("d", epsilon=0.4)  # lowering below what is spent keeps the spending
    assert budgets.get("d").epsilon_spent == 0.5
    assert budgets.get("d").epsilon_remaining == 0.0
    assert "<svg" in report._repr_html_()


def test_a_release_whose_audit_event_is_refused_charges_nothing(workspace: Workspace) -> None:
    """The charge and its audit event share one transaction: if the event is refused, no charge."""
    workspace.budgets.set("d", epsilon=1.0)
    phone_named = pd.DataFrame({"pid": [1, 2, 3], "13800138000": [1.0, 2.0, 3.0]})
    size = workspace.audit.size()
    with (
        workspace.dp(phone_named, privacy_unit="pid", dataset="d") as q,
        pytest.raises(InputError, match="identifier"),
    ):
        q.sum("13800138000", bounds=(0, 5), epsilon=0.5)
    assert workspace.budgets.get("d").epsilon_spent == 0
    assert workspace.audit.size() == size
