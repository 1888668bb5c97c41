"""Registry scenarios: one test per PIPL rule and per refusal reason, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from govshare import Workspace
from govshare.consent import ConsentRegistry, Notice, Reason
from govshare.consent._tables import consent_events, consent_records, consent_statutory_bases
from govshare.exceptions import ConsentError, InputError, NaiveDatetimeError
from govshare.testing import FrozenClock
from tests.consent.conftest import minor_id, resident_id

ALICE = resident_id(1)
BOB = resident_id(2)
GUARDIAN = resident_id(3)
CHILD = minor_id(4)
SUBSIDY = {"recipient": "hrss", "purpose": "subsidy-eligibility", "categories": ["income"]}


def grant(registry: ConsentRegistry, subject: str = ALICE, **kw: object):
    """Grant the usual subsidy consent, with overrides."""
    args: dict[str, object] = {
        "recipient": "hrss",
        "purposes": ["subsidy-eligibility"],
        "categories": ["identity", "income"],
    }
    args.update(kw)
    return registry.grant(subject, **args)  # type: ignore[arg-type]


def counts(ws: Workspace) -> tuple[int, int, int, int]:
    """Rows in the consent tables and audit entries: to prove a refused call changed nothing."""
    with ws.store.read() as conn:
        tables = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (consent_records, consent_events, consent_statutory_bases)
        ]
    return (*tables, ws.audit.size())


def test_grant_then_check_allows_with_the_record(registry: ConsentRegistry) -> None:
    """A granted consent allows exactly its recipient, purpose and categories, naming the record."""
    record = grant(registry)
    decision = registry.check(ALICE, **SUBSIDY)
    assert decision.allowed
    assert decision.reason is Reason.ALLOWED
    assert decision.basis == "consent"
    assert decision.record_id == record.record_id


def test_record_holds_a_pseudonym_not_the_raw_id(registry: ConsentRegistry) -> None:
    """The stored record names its subject by a registry pseudonym, never the resident ID."""
    record = grant(registry)
    assert record.subject.startswith("ap")
    assert ALICE not in record.model_dump_json()
    assert registry.get(record.record_id) == record


def test_no_record(registry: ConsentRegistry) -> None:
    """A subject without any record is refused with no-record."""
    assert registry.check(BOB, **SUBSIDY).reason is Reason.NO_RECORD


def test_wrong_recipient(registry: ConsentRegistry) -> None:
    """Consent to one department does not cover another (PIPL Art. 23)."""
    grant(registry)
    decision = registry.check(ALICE, **{**SUBSIDY, "recipient": "health"})
    assert not decision.allowed
    assert decision.reason is Reason.WRONG_RECIPIENT


def test_purpose_not_covered(registry: ConsentRegistry) -> None:
    """Consent for one purpose does not cover another."""
    grant(registry)
    decision = registry.check(ALICE, **{**SUBSIDY, "purpose": "research"})
    assert decision.reason is Reason.PURPOSE_NOT_COVERED


def test_category_not_covered(registry: ConsentRegistry) -> None:
    """Asking for a category outside the consent is refused."""
    grant(registry)
    decision = registry.check(ALICE, **{**SUBSIDY, "categories": ["income", "address"]})
    assert decision.reason is Reason.CATEGORY_NOT_COVERED


def test_expired(registry: ConsentRegistry, clock: FrozenClock) -> None:
    """A consent stops at its expiry, and allowed before it."""
    grant(registry, expires_at=clock.now() + timedelta(days=10))
    before = clock.now() + timedelta(days=9)
    assert registry.check(ALICE, **SUBSIDY, at=before).allowed
    clock.advance(days=10)
    assert registry.check(ALICE, **SUBSIDY).reason is Reason.EXPIRED


def test_withdrawal_is_immediate_but_not_retroactive(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """After withdraw() checks fail at once, while checks at earlier instants still pass (Art. 15)."""
    record = grant(registry)
    clock.advance(days=3)
    status = registry.withdraw(record.record_id)
    assert status.state == "withdrawn"
    assert status.withdrawn_at == clock.now()
    assert registry.check(ALICE, **SUBSIDY).reason is Reason.WITHDRAWN
    assert registry.check(ALICE, **SUBSIDY, at=clock.now() - timedelta(seconds=1)).allowed


def test_renewal_extends_from_now_only(registry: ConsentRegistry, clock: FrozenClock) -> None:
    """Renewing after expiry allows again from the renewal on, but the gap stays expired."""
    start = clock.now()
    record = grant(registry, expires_at=start + timedelta(days=10))
    clock.advance(days=20)
    status = registry.renew(record.record_id, expires_at=start + timedelta(days=100))
    assert status.state == "active"
    assert registry.check(ALICE, **SUBSIDY).allowed
    assert registry.check(ALICE, **SUBSIDY, at=start + timedelta(days=15)).reason is Reason.EXPIRED
    assert registry.check(ALICE, **SUBSIDY, at=start + timedelta(days=5)).allowed


def test_not_separate_consent_is_refused_for_provision(registry: ConsentRegistry) -> None:
    """A general (non-separate) consent does not allow providing to a recipient (Art. 23)."""
    grant(registry, consent_type=["written"])
    assert registry.check(ALICE, **SUBSIDY).reason is Reason.SEPARATE_CONSENT_REQUIRED


def test_minor_with_guardian_is_allowed(registry: ConsentRegistry) -> None:
    """A minor's information may be provided under a guardian's consent (Art. 31)."""
    record = grant(
        registry, CHILD, minor=True, guardian=GUARDIAN, categories=["income", "minor-information"]
    )
    assert record.minor
    assert record.guardian is not None
    assert GUARDIAN not in record.model_dump_json()
    assert registry.export_subject(GUARDIAN).as_guardian == (record,)
    cats = {**SUBSIDY, "categories": ["minor-information"]}
    assert registry.check(CHILD, **cats).allowed


def test_child_without_guardian_is_refused_at_grant(workspace: Workspace) -> None:
    """A subject under 14 by the birth date in their ID needs a guardian, even without minor=True."""
    before = counts(workspace)
    with pytest.raises(ConsentError, match=r"Art\. 31"):
        grant(workspace.consents, CHILD)
    assert counts(workspace) == before


def test_minor_information_needs_a_guardian_record(registry: ConsentRegistry) -> None:
    """Asking for a minor's information under a consent without a guardian gives guardian-required."""
    grant(registry)
    decision = registry.check(ALICE, **{**SUBSIDY, "categories": ["income", "minor-information"]})
    assert decision.reason is Reason.GUARDIAN_REQUIRED


def test_most_specific_reason_wins(registry: ConsentRegistry, clock: FrozenClock) -> None:
    """With several records, the one matching the request furthest decides (withdrawn, not wrong-recipient)."""
    grant(registry, recipient="health")
    record = grant(registry)
    clock.advance(hours=1)
    registry.withdraw(record.record_id)
    decision = registry.check(ALICE, **SUBSIDY)
    assert decision.reason is Reason.WITHDRAWN
    assert decision.record_id == record.record_id


def test_statutory_basis_allows_without_consent(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """A declared statutory basis for the recipient and purpose allows without consent (Art. 13(3))."""
    basis = registry.declare_statutory_basis(
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["identity", "income"],
        legal_basis="legal-obligation",
        law="社会救助暂行办法 第 44 条",
    )
    decision = registry.check(BOB, **SUBSIDY)
    assert decision.allowed
    assert decision.reason is Reason.STATUTORY
    assert decision.basis == "legal-obligation"
    assert decision.statutory_basis_id == basis.basis_id
    assert registry.check(BOB, **{**SUBSIDY, "categories": ["address"]}).reason is Reason.NO_RECORD
    clock.advance(days=1)
    registry.revoke_statutory_basis(basis.basis_id)
    assert registry.check(BOB, **SUBSIDY).reason is Reason.NO_RECORD
    assert registry.check(BOB, **SUBSIDY, at=clock.now() - timedelta(hours=1)).allowed
    with pytest.raises(InputError, match="already revoked"):
        registry.revoke_statutory_basis(basis.basis_id)


def test_statutory_basis_cannot_be_consent(registry: ConsentRegistry) -> None:
    """Declaring consent as a statutory basis is refused."""
    with pytest.raises(InputError, match="cannot be consent"):
        registry.declare_statutory_basis(
            recipient="hrss",
            purpose="subsidy-eligibility",
            categories=["income"],
            legal_basis="consent",
            law="none",
        )


def test_history_is_append_only_and_complete(registry: ConsentRegistry, clock: FrozenClock) -> None:
    """history() lists grant, renewal and withdrawal as separate events, oldest first."""
    record = grant(registry, expires_at=clock.now() + timedelta(days=5))
    clock.advance(days=1)
    registry.renew(record.record_id, expires_at=clock.now() + timedelta(days=50))
    clock.advance(days=1)
    registry.withdraw(record.record_id)
    kinds = [e.kind for e in registry.history(ALICE)]
    assert kinds == ["granted", "renewed", "withdrawn"]
    assert registry.get(record.record_id) == record  # the record itself never changes


def test_status_at_past_instants(registry: ConsentRegistry, clock: FrozenClock) -> None:
    """status(at=) derives not-yet-granted, active and withdrawn from the events."""
    start = clock.now()
    record = grant(registry)
    clock.advance(days=2)
    registry.withdraw(record.record_id)
    assert (
        registry.status(record.record_id, at=start - timedelta(days=1)).state == "not-yet-granted"
    )
    assert registry.status(record.record_id, at=start + timedelta(days=1)).state == "active"
    assert registry.status(record.record_id).state == "withdrawn"


def test_export_subject_has_everything_and_is_audited(workspace: Workspace) -> None:
    """export_subject() returns all records and events of one person and logs the export."""
    registry = workspace.consents
    first = grant(registry)
    grant(registry, recipient="health", purposes=["public-health"])
    grant(registry, BOB)
    registry.withdraw(first.record_id)
    export = registry.export_subject(ALICE)
    assert len(export.records) == 2
    assert len(export.events) == 3
    assert workspace.audit.tail(1)[0].event.type == "consent.subject_exported"


def test_every_change_is_audited_with_pseudonyms(workspace: Workspace, clock: FrozenClock) -> None:
    """grant, renew and withdraw each append one audit event naming the pseudonym, not the ID."""
    registry = workspace.consents
    size = workspace.audit.size()
    record = grant(registry)
    registry.renew(record.record_id, expires_at=clock.now() + timedelta(days=9))
    registry.withdraw(record.record_id)
    events = [r.event for r in workspace.audit.tail(3)]
    assert workspace.audit.size() == size + 3
    assert [e.type for e in events] == ["consent.granted", "consent.renewed", "consent.withdrawn"]
    assert all(e.data["subject"] == record.subject for e in events)
    workspace.audit.verify()


def test_notice_and_iso_fields_are_kept(registry: ConsentRegistry) -> None:
    """The notice shown (Art. 17), retention period and PIA reference are stored on the record."""
    notice = Notice(uri="https://civil.example/notice", version="3", sha256="ab" * 32)
    record = grant(
        registry,
        notice=notice,
        retention_period="P5Y",
        impact_assessment="PIA-2026-007",
        recipient_name="人社局",
        recipient_contact="hrss@example.cn",
    )
    stored = registry.get(record.record_id)
    assert stored.notice == notice
    assert stored.retention_period == "P5Y"
    assert stored.recipients[0].name == "人社局"
    assert stored.sensitive_categories == ()


# -- bad input: typed errors and an unchanged store -------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"expires_at": datetime(2027, 1, 1)}, NaiveDatetimeError, "timezone"),
        ({"granted_at": datetime(2025, 1, 1)}, NaiveDatetimeError, "timezone"),
        ({"expires_at": datetime(2025, 12, 31, tzinfo=UTC)}, InputError, "after the grant"),
        ({"granted_at": datetime(2026, 6, 1, tzinfo=UTC)}, InputError, "future"),
        ({"purposes": ["world-domination"]}, InputError, "unknown purpose code"),
        ({"categories": ["shoe-size"]}, InputError, "unknown category code"),
        ({"legal_basis": "because"}, InputError, "unknown legal-basis code"),
        ({"recipient": "HRSS!"}, InputError, "Recipient"),
        ({"categories": ["medical-health"], "consent_type": ["written"]}, ConsentError, "Art. 29"),
        ({"minor": True}, ConsentError, "Art. 31"),
        ({"categories": ["minor-information"]}, ConsentError, "guardian"),
        ({"guardian": ALICE, "minor": True}, InputError, "cannot be the subject"),
        ({"retention_period": "five years"}, InputError, "retention_period"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(
    workspace: Workspace, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    """Each invalid grant raises its typed error and leaves tables and audit log unchanged."""
    before = counts(workspace)
    with pytest.raises(error, match=match):
        grant(workspace.consents, **kwargs)
    assert counts(workspace) == before


def test_invalid_subject_is_refused_without_echo(workspace: Workspace) -> None:
    """A malformed resident ID is refused, and the message does not repeat it."""
    bad = ALICE[:-1] + ("0" if ALICE[-1] != "0" else "1")
    before = counts(workspace)
    with pytest.raises(InputError) as info:
        grant(workspace.consents, bad)
    assert bad not in str(info.value)
    assert counts(workspace) == before
    with pytest.raises(InputError):
        workspace.consents.check(bad, **SUBSIDY)


def test_withdrawing_twice_is_refused(workspace: Workspace) -> None:
    """A second withdrawal raises InputError and appends nothing."""
    record = grant(workspace.consents)
    workspace.consents.withdraw(record.record_id)
    before = counts(workspace)
    with pytest.raises(InputError, match="already withdrawn"):
        workspace.consents.withdraw(record.record_id)
    assert counts(workspace) == before


def test_renewing_withdrawn_or_into_the_past_is_refused(
    workspace: Workspace, clock: FrozenClock
) -> None:
    """Renewal of a withdrawn record, or to an expiry not in the future, is refused."""
    record = grant(workspace.consents)
    with pytest.raises(InputError, match="future"):
        workspace.consents.renew(record.record_id, expires_at=clock.now())
    with pytest.raises(NaiveDatetimeError):
        workspace.consents.renew(record.record_id, expires_at=datetime(2030, 1, 1))
    workspace.consents.withdraw(record.record_id)
    before = counts(workspace)
    with pytest.raises(InputError, match="withdrawn"):
        workspace.consents.renew(record.record_id, expires_at=clock.now() + timedelta(days=1))
    assert counts(workspace) == before


def test_unknown_record_id(registry: ConsentRegistry) -> None:
    """Operations on an unknown record id raise InputError."""
    for call in (registry.get, registry.withdraw, registry.status):
        with pytest.raises(InputError, match="no consent record"):
            call("cr-" + "0" * 32)


def test_check_refuses_naive_instant_and_unknown_codes(registry: ConsentRegistry) -> None:
    """check() refuses a naive at= and unknown purpose or category codes."""
    with pytest.raises(NaiveDatetimeError):
        registry.check(ALICE, **SUBSIDY, at=datetime(2026, 1, 1))
    with pytest.raises(InputError, match="unknown purpose"):
        registry.check(ALICE, **{**SUBSIDY, "purpose": "nope"})
    with pytest.raises(InputError, match="unknown category"):
        registry.check(ALICE, **{**SUBSIDY, "categories": ["nope"]})
