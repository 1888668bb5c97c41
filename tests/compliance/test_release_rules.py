"""Release rules: a passing store and a violating one for each (token, lawful basis, retention).

Stores are built with ``ws.share()`` / ``ws.receive()``; where the API rightly forbids the
violation (a release while suspended, past a limit, after a withdrawal …) the database is edited
directly behind it, and the rule must find the release from the log and the read APIs alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from govshare import Workspace
from govshare.compliance import Evidence, Report, check
from govshare.exceptions import InputError, RecordNotFound
from govshare.exchange import read_deletions, read_release_subjects
from govshare.storage import Store
from govshare.testing import FrozenClock, temporary_workspace
from tests.compliance._helpers import reverify
from tests.exchange.conftest import PURPOSE, Pair
from tests.exchange.share_helpers import Residents, residents, token

TOKEN = "release-token-valid"
BASIS = "release-lawful-basis"
RETENTION = "release-retention"


def _pair(tmp_path: Path, clock: FrozenClock, url: str | None, schema: str | None) -> Pair:
    requester = temporary_workspace(tmp_path / "hrss", department="hrss", clock=clock)
    provider = temporary_workspace(
        tmp_path / "civil", department="civil-affairs", url=url, schema=schema, clock=clock
    )
    provider.tokens.trust(requester.keys.export_public())
    requester.tokens.trust(provider.keys.export_public())
    return Pair(provider, requester, clock)


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 2026-03-02, 10:00 Beijing time."""
    return FrozenClock(datetime(2026, 3, 2, 2, tzinfo=UTC))


@pytest.fixture
def pair(tmp_path: Path, clock: FrozenClock, target: Any) -> Iterator[Pair]:
    """civil-affairs (on each backend) and hrss (SQLite)."""
    found = _pair(tmp_path, clock, target.url, target.schema)
    yield found
    found.provider.close()
    found.requester.close()


@pytest.fixture
def sqlite_pair(tmp_path: Path, clock: FrozenClock) -> Iterator[Pair]:
    """Both departments on SQLite (for tests that edit the database behind the API)."""
    found = _pair(tmp_path, clock, None, None)
    yield found
    found.provider.close()
    found.requester.close()


def _share(pair: Pair, agreement: str, people: Residents, **overrides: Any) -> str:
    release = pair.provider.share(
        people.frame,
        agreement=agreement,
        token=token(pair, agreement, **overrides),
        subject_column="id_number",
    )
    pair.requester.receive(release)
    return release.manifest_unverified.release_id


def _checked(ws: Workspace, **kwargs: Any) -> Report:
    ws.audit.checkpoint()
    return check(ws, **kwargs)


def _notes(report: Report, rule: str) -> set[str]:
    return {e.note.en for e in report.finding(rule).evidence}


def _release_of(evidence: Evidence) -> str:
    """The release id in an evidence entry (every release event names its release)."""
    found = re.search(r"rl-[0-9a-f]{32}", evidence.entry)
    assert found is not None
    return found.group()


def _sql(ws: Workspace, statement: str, **params: Any) -> None:
    with ws.store.transaction() as conn:
        conn.execute(text(statement), params)


# -- release-token-valid and release-lawful-basis: passing stores --------------------------------


def test_releases_within_their_agreement_and_consent_pass(pair: Pair) -> None:
    """Two lawful releases: the token, agreement and every subject's basis check out."""
    agreement = pair.agreement()
    people = residents(pair)
    first = _share(pair, agreement, people)
    pair.clock.advance(hours=1)
    _share(pair, agreement, people)
    subjects = read_release_subjects(pair.provider.store, first)
    assert subjects is not None
    assert len(subjects) == len(people.consented) + len(people.minors)
    assert set(subjects["basis"]) == {"allowed"}
    assert not subjects["subject"].isin(people.frame["id_number"].dropna()).any()
    kept = pair.provider.audit.checkpoint().text
    ws = pair.provider
    store = Store.open(ws.store.url, schema=ws.store.schema, read_only=True)  # as an auditor
    try:
        report = check(store, key=ws.public_key(), checkpoints=[kept])
    finally:
        store.close()
    for rule in (TOKEN, BASIS):
        finding = report.finding(rule)
        assert (finding.status, finding.checked, finding.violations) == ("pass", 2, 0), rule
    assert report.finding(RETENTION).status == "not-applicable"  # the provider holds none


def test_statutory_basis_release_passes(pair: Pair) -> None:
    """Rows released on a declared statutory basis need no consent."""
    agreement = pair.agreement()
    people = residents(pair)
    pair.provider.consents.declare_statutory_basis(
        recipient="hrss",
        purpose=PURPOSE,
        categories=["identity", "income"],
        legal_basis="legal-obligation",
        law="《社会救助暂行办法》第十一条",
    )
    release_id = _share(pair, agreement, people)
    subjects = read_release_subjects(pair.provider.store, release_id)
    assert subjects is not None
    assert set(subjects["basis"]) == {"statutory-basis"}
    assert len(subjects) > len(people.consented)  # withdrawn and unrecorded subjects too
    finding = _checked(pair.provider).finding(BASIS)
    assert (finding.status, finding.checked) == ("pass", 1)


# -- release-token-valid: violations --------------------------------------------------------------


def test_release_while_suspended_and_past_its_limit_fails(sqlite_pair: Pair) -> None:
    """A release the token check let through because the status column was edited back to
    active while the log says suspended, and one past max_releases after the counter was reset."""
    pair = sqlite_pair
    agreement = pair.agreement(limits={"max_releases": 1})
    people = residents(pair)
    _share(pair, agreement, people)
    _sql(pair.provider, "UPDATE exchange_agreements SET releases = 0")  # behind the limit
    pair.clock.advance(hours=1)
    over = _share(pair, agreement, people)
    pair.provider.agreements.suspend(agreement, reason="审计期间暂停")
    _sql(pair.provider, "UPDATE exchange_agreements SET status = 'active', releases = 0")
    pair.clock.advance(hours=1)
    suspended = _share(pair, agreement, people)
    report = _checked(pair.provider)
    finding = report.finding(TOKEN)
    assert (finding.status, finding.checked) == ("fail", 3)
    by_release = {(_release_of(e), e.note.en) for e in finding.evidence}
    assert (over, "release 2 exceeds the agreement's 1") in by_release
    assert (suspended, "release 3 exceeds the agreement's 1") in by_release
    assert (suspended, "released while the agreement was suspended") in by_release
    assert finding.violations == 3
    indexes = reverify(report, TOKEN)
    shared = {r.release_id: r.audit_index for r in pair.provider.releases.list()}
    assert set(indexes) == {shared[over], shared[suspended]}
    assert report.finding(BASIS).status == "pass"  # every subject still had consent


def test_release_outside_columns_and_principals_fails(sqlite_pair: Pair) -> None:
    """A principal slipped into the token check's copy of the principals, and a release record
    naming a column the agreement does not grant, are both found against the signed terms."""
    pair = sqlite_pair
    agreement = pair.agreement()
    people = residents(pair)
    for ws in (pair.provider, pair.requester):  # both sides' token checks read this copy
        _sql(ws, "UPDATE exchange_agreements SET principals = '|zhang.wei@hrss|intern.wang@hrss|'")
    release_id = _share(pair, agreement, people, principal="intern.wang@hrss")
    _sql(
        pair.provider,
        "UPDATE exchange_releases SET columns = replace(columns, '\"income\"', '\"notes\"') "
        "WHERE side = 'provider'",
    )
    report = _checked(pair.provider)
    finding = report.finding(TOKEN)
    assert finding.status == "fail"
    assert _notes(report, TOKEN) == {
        "principal intern.wang@hrss is not among the agreement's principals",
        "the release record and its entry disagree",
        "columns the agreement does not grant: ['notes']",
    }
    assert {_release_of(e) for e in finding.evidence} == {release_id}
    assert len(reverify(report, TOKEN)) == 3


# -- release-lawful-basis: violations -------------------------------------------------------------


def test_release_after_withdrawal_or_without_separate_consent_fails(sqlite_pair: Pair) -> None:
    """The registry's state edited behind the log: a withdrawal erased from consent_events (the
    log still has it) and a non-separate consent marked separate in the filter's column."""
    pair = sqlite_pair
    agreement = pair.agreement()
    people = residents(pair)
    ws = pair.provider
    written = ws.consents.grant(
        people.without[0],
        recipient="hrss",
        purposes=[PURPOSE],
        categories=["identity", "income"],
        consent_type=["written"],
    )
    _sql(ws, "UPDATE consent_records SET separate = 1 WHERE record_id = :r", r=written.record_id)
    _sql(ws, "DELETE FROM consent_events WHERE kind = 'withdrawn'")
    pair.clock.advance(minutes=5)
    release_id = _share(pair, agreement, people)
    subjects = read_release_subjects(ws.store, release_id)
    assert subjects is not None
    assert len(subjects) == len(people.consented) + len(people.minors) + 3
    report = _checked(ws)
    finding = report.finding(BASIS)
    assert (finding.status, finding.checked) == ("fail", 1)
    assert _notes(report, BASIS) == {
        "2 subject(s): released after the consent was withdrawn",
        "1 subject(s): sensitive data or provision without separate consent",
    }
    assert {_release_of(e) for e in finding.evidence} == {release_id}
    (index,) = set(reverify(report, BASIS))
    assert ws.audit.get(index).event.type == "release.shared"


def test_release_after_expiry_or_without_any_record_fails(sqlite_pair: Pair) -> None:
    """An expiry erased from the registry's events (the log's grant still has it), and a
    consent record deleted after the release, are named as expired and missing."""
    pair = sqlite_pair
    agreement = pair.agreement()
    people = residents(pair)
    ws = pair.provider
    fields: dict[str, Any] = {
        "recipient": "hrss",
        "purposes": [PURPOSE],
        "categories": ["identity", "income"],
    }
    expiring = ws.consents.grant(
        people.without[0], expires_at=pair.clock.now() + timedelta(days=1), **fields
    )
    erased = ws.consents.grant(people.without[1], **fields)
    _sql(
        ws, "UPDATE consent_events SET expires_us = NULL WHERE record_id = :r", r=expiring.record_id
    )
    pair.clock.advance(days=2)
    release_id = _share(pair, agreement, people)
    _sql(ws, "DELETE FROM consent_records WHERE record_id = :r", r=erased.record_id)
    report = _checked(ws)
    finding = report.finding(BASIS)
    assert finding.status == "fail"
    assert _notes(report, BASIS) == {
        "1 subject(s): released after the consent expired",
        "1 subject(s): no consent record at release time",
    }
    assert {_release_of(e) for e in finding.evidence} == {release_id}
    assert len(reverify(report, BASIS)) == 2


def test_release_without_recorded_subjects_or_consent_fails(sqlite_pair: Pair) -> None:
    """A release whose subjects row was deleted, and one whose subjects have no consent record
    (a minor's record without a guardian, written behind the registry), are named."""
    pair = sqlite_pair
    agreement = pair.agreement()
    people = residents(pair)
    first = _share(pair, agreement, people)
    _sql(pair.provider, "DELETE FROM exchange_release_subjects WHERE release_id = :r", r=first)
    pair.clock.advance(hours=1)
    second = _share(pair, agreement, people)
    _drop_guardians(pair.provider)  # the minor's record, as stored, names no guardian now
    report = _checked(pair.provider)
    finding = report.finding(BASIS)
    assert {(_release_of(e), e.note.en) for e in finding.evidence} == {
        (first, "the release does not record its subjects"),
        (second, "1 subject(s): a minor without a guardian's consent"),
    }
    assert len(reverify(report, BASIS)) == 2


def _drop_guardians(ws: Workspace) -> None:
    with ws.store.transaction() as conn:
        rows = conn.execute(text("SELECT record_id, record FROM consent_records WHERE minor = 1"))
        for record_id, stored in rows.all():
            record = json.loads(stored)
            record["guardian"] = None
            conn.execute(
                text("UPDATE consent_records SET record = :r WHERE record_id = :i"),
                {"r": json.dumps(record), "i": record_id},
            )


# -- release-retention ----------------------------------------------------------------------------


def test_deleted_in_time_or_still_within_retention_passes(pair: Pair) -> None:
    """One release deleted before its retention ended, one still within it: the rule passes."""
    agreement = pair.agreement(retention_days=30)
    people = residents(pair)
    old = _share(pair, agreement, people)
    pair.clock.advance(days=20)
    attestation = pair.requester.releases.attest_deletion(
        old, attested_by="li.na@hrss", method="数据文件已安全擦除"
    )
    assert read_deletions(pair.requester.store) == [attestation]
    pair.clock.advance(days=5)
    _share(pair, agreement, people)
    until = pair.clock.now() + timedelta(days=45)  # old is past retention + grace, new is not
    report = _checked(pair.requester, until=until)
    finding = report.finding(RETENTION)
    assert (finding.status, finding.checked) == ("pass", 2)
    assert "1 are past their retention" in finding.explanation.en
    last = pair.requester.audit.get(attestation.audit_index).event
    assert (last.type, last.data["release_id"]) == ("release.deleted", old)


def test_kept_past_retention_without_or_with_a_late_attestation_fails(pair: Pair) -> None:
    """A release never deleted and one deleted after its retention ended are both named."""
    agreement = pair.agreement(retention_days=30)
    people = residents(pair)
    kept = _share(pair, agreement, people)
    late = _share(pair, agreement, people)
    pair.clock.advance(days=90)
    pair.requester.releases.attest_deletion(late, attested_by="li.na@hrss", method="已删除")
    report = _checked(pair.requester)
    finding = report.finding(RETENTION)
    assert (finding.status, finding.checked, finding.violations) == ("fail", 2, 2)
    assert {(_release_of(e), e.note.en) for e in finding.evidence} == {
        (kept, "retention ended 2026-05-01; no deletion attested"),
        (late, "retention ended 2026-05-01; deleted 30 day(s) later"),
    }
    indexes = reverify(report, RETENTION)
    types = {pair.requester.audit.get(i).event.type for i in indexes}
    assert types == {"release.received", "release.deleted"}


def test_attest_deletion_refuses_bad_input(pair: Pair) -> None:
    """Only a received release, once, by a principal, with a method free of identifiers."""
    agreement = pair.agreement()
    release_id = _share(pair, agreement, residents(pair))
    before = pair.requester.audit.size()
    with pytest.raises(RecordNotFound):
        pair.provider.releases.attest_deletion(release_id, attested_by="li.na@hrss", method="x")
    with pytest.raises(InputError):
        pair.requester.releases.attest_deletion(release_id, attested_by="Li Na", method="x")
    with pytest.raises(InputError):
        pair.requester.releases.attest_deletion(
            release_id, attested_by="li.na@hrss", method="deleted 110101198001010016"
        )
    with pytest.raises(InputError):
        pair.requester.releases.attest_deletion(
            release_id, attested_by="li.na@hrss", method="x",
            deleted_at=pair.clock.now() + timedelta(days=1),
        )  # fmt: skip
    assert pair.requester.audit.size() == before
    pair.requester.releases.attest_deletion(release_id, attested_by="li.na@hrss", method="x")
    with pytest.raises(InputError, match="already"):
        pair.requester.releases.attest_deletion(release_id, attested_by="li.na@hrss", method="x")
    assert len(read_deletions(pair.requester.store)) == 1


def test_release_on_a_revoked_token_fails(sqlite_pair: Pair) -> None:
    """A token revoked here (logged) whose revocation was then erased from token_state is let
    through by the token check; the rule finds the revocation before the release in the log."""
    pair = sqlite_pair
    agreement = pair.agreement()
    people = residents(pair)
    presented = token(pair, agreement)
    (issued,) = pair.requester.audit.tail(1)
    jti = issued.event.data["jti"]
    assert pair.provider.tokens.revoke(presented)
    _sql(pair.provider, "UPDATE token_state SET revoked_at = NULL")
    pair.clock.advance(minutes=1)
    release = pair.provider.share(
        people.frame, agreement=agreement, token=presented, subject_column="id_number"
    )
    report = _checked(pair.provider)
    assert report.finding(TOKEN).status == "fail"
    assert _notes(report, TOKEN) == {f"token {jti} was revoked before the release"}
    assert reverify(report, TOKEN) == [release.manifest_unverified.audit.index]


AGGREGATES = [
    {"statistic": "mean", "column": "income", "bounds": [0, 20000], "epsilon": 0.25},
]


def test_aggregate_releases_pass_and_an_overspent_epsilon_fails(sqlite_pair: Pair) -> None:
    """DP statistics over an aggregate-only column pass both rules; a third release after the
    agreement's epsilon counter was reset behind the log exceeds its epsilon total."""
    pair = sqlite_pair
    agreement = pair.agreement(treatments={"income": "aggregate-only"}, limits={"epsilon": 0.5})
    people = residents(pair)

    def release() -> str:
        made = pair.provider.share_aggregates(
            people.frame, agreement=agreement, token=token(pair, agreement),
            subject_column="id_number", queries=AGGREGATES,
        )  # fmt: skip
        pair.clock.advance(minutes=1)
        return made.manifest_unverified.release_id

    first = release()
    release()
    report = _checked(pair.provider)
    for rule in (TOKEN, BASIS):
        assert (report.finding(rule).status, report.finding(rule).checked) == ("pass", 2), rule
    subjects = read_release_subjects(pair.provider.store, first)
    assert subjects is not None
    assert len(subjects) == len(people.consented) + len(people.minors)
    _sql(pair.provider, "UPDATE exchange_agreements SET epsilon_micro = 0")
    third = release()
    report = _checked(pair.provider)
    finding = report.finding(TOKEN)
    assert finding.status == "fail"
    assert {(_release_of(e), e.note.en) for e in finding.evidence} == {
        (third, "epsilon 0.75 in total exceeds the agreement's 0.5")
    }
    assert len(reverify(report, TOKEN)) == 1
