"""Agreements: countersignature, status changes, and tokens bound to an agreement."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govshare.exceptions import (
    AgreementInactive,
    AgreementMismatch,
    AgreementStateError,
    DocumentMismatch,
    DocumentReplayed,
    InputError,
    RecordNotFound,
)
from tests.exchange.conftest import CASE, PRINCIPAL, PURPOSE, Pair, refused_once


def _token(pair: Pair, agreement: str, **overrides: Any) -> str:
    args: dict[str, Any] = {
        "audience": "civil-affairs",
        "purpose": PURPOSE,
        "categories": ["income"],
        "ttl": timedelta(days=60 if overrides.pop("long", False) else 1),
        "agreement": agreement,
        "case_ref": CASE,
        "principal": PRINCIPAL,
    }
    args.update(overrides)
    return pair.requester.tokens.issue(**args)


def _verify(pair: Pair, token: str, agreement: str | None, **kw: Any) -> Any:
    return pair.provider.tokens.verify(
        token, audience="civil-affairs", purpose=PURPOSE, agreement=agreement, **kw
    )


def test_agreement_is_pending_until_countersigned(pair: Pair) -> None:
    """An approved agreement is pending on both sides until the requester's countersignature arrives."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    decision = pair.provider.requests.decide(received.id, approve=True, limits={"max_releases": 3})
    record = pair.requester.requests.import_decision(decision)
    agreement = record.decision.agreement.agreement_id  # type: ignore[union-attr]
    assert pair.provider.agreements.get(agreement).status == "pending"
    assert pair.requester.agreements.get(agreement).status == "pending"
    countersignature = pair.requester.agreements.countersign(agreement)
    assert pair.requester.agreements.get(agreement).status == "active"
    assert pair.provider.agreements.get(agreement).status == "pending"
    active = pair.provider.agreements.import_countersignature(countersignature)
    assert (active.status, active.side, active.terms.limits.max_releases) == (
        "active",
        "provider",
        3,
    )
    assert active.countersigned_at is not None
    assert active.terms == pair.requester.agreements.get(agreement).terms
    with pytest.raises(AgreementStateError):
        pair.requester.agreements.countersign(agreement)
    refused_once(
        pair.provider,
        lambda: pair.provider.agreements.import_countersignature(countersignature),
        DocumentReplayed,
    )


def test_countersignature_for_other_terms_is_refused(pair: Pair) -> None:
    """A countersignature whose terms digest does not match is refused (signed by the requester)."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    record = pair.requester.requests.import_decision(
        pair.provider.requests.decide(received.id, approve=True)
    )
    agreement = record.decision.agreement.agreement_id  # type: ignore[union-attr]
    from govshare.exchange import Countersignature

    forged = Countersignature(
        agreement_id=agreement, version=1, terms_sha256="0" * 64, countersigned_at=pair.clock.now()
    )
    with pair.requester.store.transaction() as conn:
        doc = pair.requester._documents().sign(
            "countersignature", forged, audience="civil-affairs", now=pair.clock.now(), conn=conn
        )
    refused_once(
        pair.provider,
        lambda: pair.provider.agreements.import_countersignature(doc),
        DocumentMismatch,
    )
    assert pair.provider.agreements.get(agreement).status == "pending"


def test_status_changes_follow_the_lifecycle(pair: Pair) -> None:
    """active -> suspended -> active -> terminated; impossible changes raise AgreementStateError."""
    agreement = pair.agreement()
    ws = pair.provider
    with pytest.raises(AgreementStateError):
        ws.agreements.resume(agreement)
    assert ws.agreements.suspend(agreement, reason="数据核查期间暂停").status == "suspended"
    with pytest.raises(AgreementStateError):
        ws.agreements.suspend(agreement, reason="again")
    assert ws.agreements.resume(agreement).status == "active"
    assert ws.agreements.terminate(agreement, reason="项目结束").status == "terminated"
    with pytest.raises(AgreementStateError):
        ws.agreements.resume(agreement)
    with pytest.raises(AgreementStateError):
        ws.agreements.terminate(agreement, reason="twice")
    types = [r.event.type for r in ws.audit.tail(3)]
    assert types == ["agreement.suspended", "agreement.resumed", "agreement.terminated"]
    assert ws.audit.tail(1)[0].event.data["reason"] == "项目结束"
    assert [a.status for a in ws.agreements.list()] == ["terminated"]
    assert ws.agreements.list(status="active") == []


def test_bad_status_change_input(pair: Pair) -> None:
    """Unknown agreements and reasons holding identifiers are refused with typed errors."""
    agreement = pair.agreement()
    with pytest.raises(RecordNotFound):
        pair.provider.agreements.suspend("ag-" + "0" * 32, reason="x")
    with pytest.raises(InputError):
        pair.provider.agreements.suspend(agreement, reason="申请人 11010519491231002X")
    with pytest.raises(InputError):
        pair.provider.agreements.suspend(agreement, reason="")
    assert pair.provider.agreements.get(agreement).status == "active"


def test_status_reflects_time(pair: Pair) -> None:
    """An agreement is pending before effective_from and expired from expires_at on."""
    start = pair.clock.now() + timedelta(days=10)
    end = datetime(2026, 6, 1, tzinfo=UTC)
    agreement = pair.agreement(effective_from=start, expires_at=end)
    ws = pair.provider.agreements
    assert ws.get(agreement).status == "pending"
    assert ws.get(agreement, at=start).status == "active"
    assert ws.get(agreement, at=end - timedelta(microseconds=1)).status == "active"
    assert ws.get(agreement, at=end).status == "expired"
    pair.clock.set(end)
    with pytest.raises(AgreementStateError):
        ws.suspend(agreement, reason="too late")


def test_bound_token_verifies_within_its_agreement(pair: Pair) -> None:
    """A token bound to an active agreement verifies and carries agreement, case and principal."""
    agreement = pair.agreement()
    grant = _verify(pair, _token(pair, agreement), agreement)
    detail = grant.claims.detail
    assert (detail.agreement, detail.case_ref, detail.principal) == (agreement, CASE, PRINCIPAL)
    event = pair.provider.audit.tail(1)[0].event
    assert (event.type, event.data["agreement"], event.data["case_ref"]) == (
        "token.accepted",
        agreement,
        CASE,
    )
    assert _verify(pair, _token(pair, agreement), None).claims.detail.agreement == agreement


def test_token_used_while_suspended_is_refused(pair: Pair) -> None:
    """Suspension at the provider refuses bound tokens at once; resuming lets them verify again."""
    agreement = pair.agreement()
    token = _token(pair, agreement)
    pair.provider.agreements.suspend(agreement, reason="暂停")
    with pytest.raises(AgreementInactive):
        _verify(pair, token, agreement)
    assert pair.provider.audit.tail(1)[0].event.data["reason"] == "AgreementInactive"
    pair.provider.agreements.resume(agreement)
    _verify(pair, token, agreement)
    pair.provider.agreements.terminate(agreement, reason="结束")
    with pytest.raises(AgreementInactive):
        _verify(pair, token, agreement)


def test_token_before_effective_from_or_after_expiry_is_refused(pair: Pair) -> None:
    """A bound token is refused before the agreement takes effect and after it expires."""
    start = pair.clock.now() + timedelta(days=2)
    end = start + timedelta(days=30)
    agreement = pair.agreement(effective_from=start, expires_at=end)
    with pytest.raises(AgreementInactive):
        _token(pair, agreement)  # the requester cannot issue one before it takes effect
    token = _token(pair, agreement, long=True, now=start)
    with pytest.raises(AgreementInactive):  # within the token's clock leeway, not the agreement's
        _verify(pair, token, agreement, now=start - timedelta(seconds=10))
    _verify(pair, token, agreement, now=start + timedelta(hours=1))
    with pytest.raises(AgreementInactive):
        _verify(pair, token, agreement, now=end)


def test_token_outside_the_agreement_is_refused(pair: Pair) -> None:
    """Other categories, another principal or another agreement id are AgreementMismatch."""
    agreement = pair.agreement()
    with pytest.raises(AgreementMismatch):
        _token(pair, agreement, categories=["address"])
    with pytest.raises(AgreementMismatch):
        _token(pair, agreement, principal="li.na@hrss")
    with pytest.raises(AgreementMismatch):
        _token(pair, agreement, purpose="research")
    token = _token(pair, agreement)
    with pytest.raises(AgreementMismatch):
        _verify(pair, token, "ag-" + "1" * 32)
    unbound = pair.requester.tokens.issue(
        audience="civil-affairs", purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    with pytest.raises(AgreementMismatch):
        _verify(pair, unbound, agreement)


def test_token_for_an_unknown_agreement_is_refused(pair: Pair) -> None:
    """A token naming an agreement the verifier does not hold is refused."""
    agreement = pair.agreement()
    token = _token(pair, agreement)
    with pair.provider.store.transaction() as conn:
        from govshare.exchange._tables import exchange_agreements

        conn.execute(exchange_agreements.delete())
    with pytest.raises(AgreementMismatch):
        _verify(pair, token, agreement)
    with pytest.raises(AgreementMismatch):
        _verify(pair, token, None)


def test_binding_arguments_go_together(pair: Pair) -> None:
    """agreement= needs case_ref= and principal=, and those need agreement=."""
    agreement = pair.agreement()
    with pytest.raises(InputError):
        _token(pair, agreement, case_ref=None)
    with pytest.raises(InputError):
        pair.requester.tokens.issue(
            audience="civil-affairs", purpose=PURPOSE, categories=["income"],
            ttl=timedelta(hours=1), case_ref=CASE,
        )  # fmt: skip
    with pytest.raises(InputError):
        _verify(pair, _token(pair, agreement), "not-an-id")


def test_issue_many_checks_agreements(pair: Pair) -> None:
    """issue_many refuses the whole batch when one token would fall outside its agreement."""
    agreement = pair.agreement()
    good = {
        "audience": "civil-affairs", "purpose": PURPOSE, "categories": ["income"],
        "ttl": timedelta(hours=1), "agreement": agreement, "case_ref": CASE, "principal": PRINCIPAL,
    }  # fmt: skip
    before = pair.requester.audit.size()
    with pytest.raises(AgreementMismatch):
        pair.requester.tokens.issue_many([good, good | {"principal": "someone@hrss"}])
    assert pair.requester.audit.size() == before
    assert len(pair.requester.tokens.issue_many([good, good])) == 2


def test_agreement_reads_take_a_connection(pair: Pair) -> None:
    """get(), list() and the token lookup read on a caller's connection (one transaction)."""
    agreement = pair.agreement()
    with pair.provider.store.transaction() as conn:
        assert pair.provider.agreements.get(agreement, conn=conn).status == "active"
        scope = pair.provider.agreements.scope(agreement, at=pair.clock.now(), conn=conn)
        assert scope is not None
        assert (scope.requester, scope.provider, scope.categories) == (
            "hrss",
            "civil-affairs",
            ("identity", "income"),
        )
        pair.provider.agreements.suspend(agreement, reason="同一事务", conn=conn)
        assert pair.provider.agreements.list(conn=conn)[0].status == "suspended"


def test_data_sharing_agreement_record(pair: Pair) -> None:
    """The record names its terms, side and counters, and serialises to JSON with Chinese kept."""
    agreement = pair.agreement(limits={"max_releases": 2, "max_rows": 1000, "epsilon": 1.0})
    record = pair.requester.agreements.get(agreement)
    data = json.loads(record.model_dump_json())
    assert data["side"] == "requester"
    assert (data["releases"], data["rows"], data["epsilon"]) == (0, 0, 0.0)
    assert data["terms"]["onward_transfer"] == "prohibited"
    assert data["terms"]["case_ref"] == CASE
    assert record.categories == ("identity", "income")
    assert record.id == agreement


def test_dp_release_under_an_agreement_charges_the_requester_and_names_the_agreement(
    pair: Pair,
) -> None:
    """ws.dp(token=…) with an agreement-bound token charges the requesting department, the
    release names the agreement and its principal, and a suspended agreement opens no query."""
    import pandas as pd

    agreement = pair.agreement()
    provider = pair.provider
    provider.budgets.set("income", epsilon=1.0)
    provider.budgets.set("income", epsilon=0.5, requester="hrss")
    frame = pd.DataFrame({"pid": range(40), "district": ["east", "west"] * 20})
    token = _token(pair, agreement, max_uses=5)
    q = provider.dp(frame, privacy_unit="pid", dataset="income", token=token, purpose=PURPOSE)
    result = q.count(by="district", keys=["east", "west"], epsilon=0.5)
    assert result.release.requester == "hrss"
    assert f"under agreement {agreement} (principal {PRINCIPAL})" in result.release.requester_basis
    assert provider.budgets.get("income", requester="hrss").epsilon_spent == 0.5
    provider.agreements.suspend(agreement, reason="数据核查期间暂停")
    with pytest.raises(AgreementInactive):
        provider.dp(frame, privacy_unit="pid", dataset="income", token=token, purpose=PURPOSE)
