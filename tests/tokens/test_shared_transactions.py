"""Shared transactions: a token use, a budget charge and consent reads join one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from govshare import Workspace
from govshare.dp import Query, StoreLedger
from govshare.exceptions import BudgetExceeded, GovShareError, TokenReplayed
from tests.consent.conftest import resident_id
from tests.tokens.conftest import PURPOSE


class Boom(GovShareError):
    """A failure the test raises between two steps of one transaction."""


def _events(ws: Workspace) -> list[str]:
    return [record.event.type for record in ws.audit.entries()]


def test_failure_after_token_use_rolls_back_use_and_events(
    holder: Workspace, make_token: Callable[..., str]
) -> None:
    """A failure after the token's use and before the caller's audit event rolls back both."""
    token = make_token(max_uses=1)
    before = holder.audit.size()
    with pytest.raises(Boom), holder.transaction() as tx:
        holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE, conn=tx)
        raise Boom("the release failed before its event was recorded")
    assert holder.audit.size() == before  # neither the accept event nor anything else
    assert holder.tokens.introspect(token)["uses"] == 0
    grant = holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE)
    assert grant.uses == 1  # the rolled-back use was not spent


def test_failure_inside_verify_between_use_and_event_rolls_back_the_use(
    holder: Workspace, make_token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the accept event cannot be written, the use count written before it is undone."""
    token = make_token(max_uses=1)
    append_many = holder.audit.append_many

    def failing(events: Any, **kw: Any) -> range:
        if any(e.type == "token.accepted" for e in events):
            raise Boom("the log refused the event")
        return append_many(events, **kw)

    monkeypatch.setattr(holder.audit, "append_many", failing)
    with pytest.raises(Boom):
        holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE)
    monkeypatch.undo()
    assert holder.tokens.introspect(token)["uses"] == 0
    assert "token.accepted" not in _events(holder)


def test_everything_in_one_transaction_commits_together(
    holder: Workspace, make_token: Callable[..., str]
) -> None:
    """A token use, a DP charge and a caller's own event commit together, in that order."""
    holder.budgets.set("income", epsilon=1.0)
    token = make_token(max_uses=2)
    with holder.transaction() as tx:
        holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE, conn=tx)
        holder.budgets.charge("income", holder.department, 250_000, 0, {"q": 1}, conn=tx)
        holder.audit.record("release.made", {"rows": 3}, conn=tx)
    assert _events(holder)[-3:] == ["token.accepted", "dp.released", "release.made"]
    assert holder.budgets.get("income").epsilon_spent == 0.25
    assert holder.tokens.introspect(token)["uses"] == 1


def test_rolled_back_charge_is_not_spent(holder: Workspace, make_token: Callable[..., str]) -> None:
    """A DP charge inside a transaction that fails later is rolled back with everything else."""
    holder.budgets.set("income", epsilon=1.0)
    token = make_token()
    with pytest.raises(Boom), holder.transaction() as tx:
        holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE, conn=tx)
        holder.budgets.charge("income", holder.department, 500_000, 0, {"q": 1}, conn=tx)
        raise Boom("the release failed")
    assert holder.budgets.get("income").epsilon_spent == 0.0
    assert "dp.released" not in _events(holder)


def test_refused_charge_leaves_nothing_when_the_caller_goes_on(workspace: Workspace) -> None:
    """A refused charge in a shared transaction is undone alone (a savepoint), not half-applied."""
    budgets = workspace.budgets
    budgets.set("income", epsilon=1.0)
    budgets.set("income", epsilon=0.1, requester="analyst")
    analyst = StoreLedger(workspace.store, workspace.audit, requester="analyst")
    with workspace.transaction() as tx:
        with pytest.raises(BudgetExceeded):
            # The dataset-wide cap has room, the analyst's does not: neither may be charged.
            analyst.charge("income", "analyst", 200_000, 0, {"q": 1}, conn=tx)
        workspace.audit.record("caller.went-on", {}, conn=tx)
    assert budgets.get("income").epsilon_spent == 0.0
    assert budgets.get("income", requester="analyst").epsilon_spent == 0.0


def test_refusal_inside_a_transaction_is_recorded_after_the_rollback(
    holder: Workspace, make_token: Callable[..., str]
) -> None:
    """A token refused inside ws.transaction() leaves exactly one refusal event, nothing else."""
    token = make_token(max_uses=1)
    holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE)
    before = holder.audit.size()
    with pytest.raises(TokenReplayed) as info, holder.transaction() as tx:
        holder.audit.record("release.started", {}, conn=tx)
        holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE, conn=tx)
    assert info.value.pending_audit
    assert info.value.pending_audit[0][0] == "token.refused"
    assert _events(holder)[before:] == ["token.refused"]


def test_consent_reads_see_the_callers_transaction(workspace: Workspace) -> None:
    """check() and filter() with conn= read the registry inside the caller's transaction."""
    registry = workspace.consents
    subject = resident_id(7)
    frame = pd.DataFrame({"id": [subject, resident_id(8)], "income": [1.0, 2.0]})
    args: dict[str, Any] = {"recipient": "hrss", "purpose": PURPOSE, "categories": ["income"]}
    registry.grant(subject, purposes=[PURPOSE], categories=["income"], recipient="hrss")
    with workspace.transaction() as tx:
        assert registry.check(subject, **args, conn=tx).allowed
        kept = registry.filter(frame, subject_column="id", **args, conn=tx)
        assert kept.report.kept == 1


def test_dp_query_charges_through_the_ledger(workspace: Workspace) -> None:
    """A query's release still charges the store ledger in its own transaction by default."""
    workspace.budgets.set("d", epsilon=1.0)
    frame = pd.DataFrame({"person": [f"p{i}" for i in range(20)], "x": range(20)})
    q = Query(
        frame,
        privacy_unit="person",
        dataset="d",
        ledger=workspace.budgets,
        requester=workspace.department,
    )
    q.count(epsilon=0.5)
    assert workspace.budgets.get("d").epsilon_spent == 0.5
