"""Who is charged is not self-declared: the workspace's department or a verified token's subject."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govshare import Workspace
from govshare.dp import MemoryLedger, Query, StoreLedger
from govshare.exceptions import (
    AudienceMismatch,
    BudgetExceeded,
    InputError,
    PurposeMismatch,
)
from govshare.testing import FrozenClock, temporary_workspace

PURPOSE = "income-statistics"


@pytest.fixture
def frame() -> pd.DataFrame:
    """200 rows for 80 people in two districts."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "pid": rng.integers(0, 80, 200),
            "district": rng.choice(["east", "west"], 200),
            "income": rng.uniform(0, 100, 200),
        }
    )


@pytest.fixture
def issuer(tmp_path: Path, clock: FrozenClock) -> Iterator[Workspace]:
    """The requesting department ("hrss"), which signs tokens for the holder."""
    ws = temporary_workspace(tmp_path / "issuer", department="hrss", clock=clock)
    yield ws
    ws.close()


@pytest.fixture
def holder(workspace: Workspace, issuer: Workspace) -> Workspace:
    """The data-holding department (civil affairs), trusting hrss's token keys."""
    workspace.tokens.trust(issuer.keys.export_public())
    return workspace


def _token(issuer: Workspace, holder: Workspace, **overrides: object) -> str:
    args: dict[str, object] = {
        "audience": holder.department,
        "purpose": PURPOSE,
        "categories": ["income"],
        "ttl": timedelta(hours=1),
    }
    args.update(overrides)
    return issuer.tokens.issue(**args)  # type: ignore[arg-type]


def _released(ws: Workspace) -> list[tuple[str, dict[str, object]]]:
    return [
        (r.event.actor, dict(r.event.data))
        for r in ws.audit.entries()
        if r.event.type == "dp.released"
    ]


def test_a_department_cap_binds_the_workspace_and_the_accessor_alike(
    workspace: Workspace, frame: pd.DataFrame
) -> None:
    """Once the department's own cap is spent through ws.dp, the accessor cannot release either:
    with workspace= it charges the same department, and ledger=ws.budgets refuses another name."""
    me = workspace.department
    workspace.budgets.set("income", epsilon=10.0)
    workspace.budgets.set("income", epsilon=0.5, requester=me)
    workspace.dp(frame, privacy_unit="pid", dataset="income").count(epsilon=0.5)
    with pytest.raises(BudgetExceeded):
        frame.govshare.dp(privacy_unit="pid", dataset="income", workspace=workspace).count(
            epsilon=0.5
        )
    with pytest.raises(InputError, match=f"charges '{me}'"):
        frame.govshare.dp(
            privacy_unit="pid", dataset="income", ledger=workspace.budgets, requester="local"
        )
    with pytest.raises(InputError, match=f"charges '{me}'"):
        Query(
            frame,
            privacy_unit="pid",
            dataset="income",
            ledger=workspace.budgets,
            requester="someone-else",
        )
    with pytest.raises(BudgetExceeded):
        Query(
            frame, privacy_unit="pid", dataset="income", ledger=workspace.budgets, requester=me
        ).count(epsilon=0.5)
    assert workspace.budgets.get("income").epsilon_spent == 0.5
    assert [actor for actor, _ in _released(workspace)] == [me]


def test_the_accessor_needs_a_workspace_or_a_ledger_and_a_requester(frame: pd.DataFrame) -> None:
    """No requester is ever implied: the accessor refuses a ledger alone, or both kinds at once."""
    ledger = MemoryLedger()
    with pytest.raises(InputError, match="both ledger= and requester="):
        frame.govshare.dp(privacy_unit="pid", dataset="d", ledger=ledger)
    with pytest.raises(InputError, match="both ledger= and requester="):
        frame.govshare.dp(privacy_unit="pid", dataset="d", requester="analyst")
    with pytest.raises(InputError, match="not both"):
        frame.govshare.dp(
            privacy_unit="pid",
            dataset="d",
            workspace=object(),  # type: ignore[arg-type]
            ledger=ledger,
            requester="a",
        )
    with pytest.raises(TypeError, match="requester"):
        Query(frame, privacy_unit="pid", dataset="d", ledger=ledger)  # type: ignore[call-arg]


def test_memory_ledger_charges_exactly_the_requester_given(frame: pd.DataFrame) -> None:
    """Standalone queries charge the named requester's cap, and only the requester named."""
    ledger = MemoryLedger()
    ledger.set("d", epsilon=5.0)
    ledger.set("d", epsilon=1.0, requester="analyst-7")
    ledger.set("d", epsilon=1.0, requester="analyst-8")
    q = frame.govshare.dp(privacy_unit="pid", dataset="d", ledger=ledger, requester="analyst-7")
    q.count(epsilon=0.75)
    assert ledger.get("d", requester="analyst-7").epsilon_spent == 0.75
    assert ledger.get("d", requester="analyst-8").epsilon_spent == 0
    with pytest.raises(BudgetExceeded):
        q.count(epsilon=0.5)
    result = Query(
        frame, privacy_unit="pid", dataset="d", ledger=ledger, requester="analyst-8"
    ).count(epsilon=0.5)
    assert result.release.requester == "analyst-8"
    assert result.release.requester_basis.startswith("declared")
    assert ledger.get("d", requester="analyst-8").epsilon_spent == 0.5


def test_an_unbound_store_ledger_charges_no_one(workspace: Workspace, frame: pd.DataFrame) -> None:
    """A StoreLedger built without a requester reads and sets caps but refuses every charge."""
    workspace.budgets.set("d", epsilon=1.0)
    reader = StoreLedger(workspace.store, workspace.audit)
    assert reader.get("d").epsilon_cap == 1.0
    with pytest.raises(InputError, match="charges no one"):
        reader.charge("d", workspace.department, 1, 0, {})
    with pytest.raises(InputError, match="charges no one"):
        Query(frame, privacy_unit="pid", dataset="d", ledger=reader, requester="x")
    assert workspace.budgets.get("d").epsilon_spent == 0


def test_a_verified_token_charges_its_subject(
    holder: Workspace, issuer: Workspace, frame: pd.DataFrame
) -> None:
    """ws.dp(token=…, purpose=…) charges the token's subject (hrss), not the holder; the
    release and its audit event name the token as the basis."""
    holder.budgets.set("income", epsilon=5.0)
    holder.budgets.set("income", epsilon=0.3, requester="hrss")
    token = _token(issuer, holder, dataset="income")
    q = holder.dp(frame, privacy_unit="pid", dataset="income", token=token, purpose=PURPOSE)
    assert q.requester == "hrss"
    result = q.count(epsilon=0.3)
    assert result.release.requester == "hrss"
    assert result.release.requester_basis.startswith("verified token ")
    with pytest.raises(BudgetExceeded):
        q.count(epsilon=0.1)
    assert holder.budgets.get("income", requester="hrss").epsilon_spent == 0.3
    assert holder.budgets.get("income").epsilon_spent == 0.3
    actor, data = _released(holder)[-1]
    assert actor == "hrss"
    assert str(data["requester_basis"]).startswith("verified token ")


def test_a_refused_token_charges_and_releases_nothing(
    holder: Workspace, issuer: Workspace, frame: pd.DataFrame
) -> None:
    """A token for another audience, another dataset, or without its purpose opens no query;
    the dataset refusal is logged as token.refused and uses nothing."""
    holder.budgets.set("income", epsilon=5.0)
    elsewhere = _token(issuer, holder, audience="public-security")
    with pytest.raises(AudienceMismatch):
        holder.dp(frame, privacy_unit="pid", dataset="income", token=elsewhere, purpose=PURPOSE)
    other_dataset = _token(issuer, holder, dataset="health", max_uses=1)
    with pytest.raises(PurposeMismatch, match="limited to dataset 'health'"):
        holder.dp(frame, privacy_unit="pid", dataset="income", token=other_dataset, purpose=PURPOSE)
    assert holder.tokens.introspect(other_dataset)["uses"] == 0
    refused = [r.event for r in holder.audit.entries() if r.event.type == "token.refused"]
    assert refused[-1].data["reason"] == "PurposeMismatch"
    with pytest.raises(InputError, match="both token= and purpose="):
        holder.dp(frame, privacy_unit="pid", dataset="income", token=other_dataset)
    assert holder.budgets.get("income").epsilon_spent == 0
    assert _released(holder) == []
