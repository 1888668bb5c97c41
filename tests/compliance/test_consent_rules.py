"""Consent rules: each passes on a compliant store and names the violation on a violating one."""

from __future__ import annotations

import json

from sqlalchemy import text

from govshare import Workspace
from govshare.compliance import check
from tests.compliance._helpers import grant, resident_id, reverify


def _edit_record(ws: Workspace, record_id: str, **changes: object) -> None:
    """Rewrite a stored consent record's JSON (what the registry API rightly refuses to do)."""
    with ws.store.transaction() as conn:
        raw = conn.execute(
            text("SELECT record FROM consent_records WHERE record_id = :r"), {"r": record_id}
        ).scalar_one()
        doc = json.loads(raw)
        doc.update(changes)
        conn.execute(
            text("UPDATE consent_records SET record = :d WHERE record_id = :r"),
            {"d": json.dumps(doc), "r": record_id},
        )


def test_compliant_consents_pass_every_consent_rule(workspace: Workspace) -> None:
    """Separate, assessed consents, a minor's with a guardian: every consent rule passes."""
    grant(workspace, 1)
    grant(workspace, 2, categories=["identity", "medical-health"])
    grant(
        workspace,
        3,
        categories=["identity", "minor-information"],
        minor=True,
        guardian=resident_id(4),
    )
    workspace.audit.checkpoint()
    report = check(workspace)
    for rule in (
        "consent-logged",
        "consent-separate",
        "consent-minor-guardian",
        "consent-impact-assessment",
    ):
        assert report.finding(rule).status == "pass", report.finding(rule)
    assert report.finding("consent-separate").checked == 3


def test_provision_without_separate_consent_fails(workspace: Workspace) -> None:
    """A written (not separate) consent to provide to another department is named, with evidence."""
    good = grant(workspace, 1)
    bad = grant(workspace, 2, consent_type=("written",))
    workspace.audit.checkpoint()
    finding = check(workspace).finding("consent-separate")
    assert finding.status == "fail"
    assert finding.violations == 1
    assert bad in finding.items
    assert good not in finding.items
    assert "separate" in finding.evidence[0].note.en
    assert reverify(check(workspace), "consent-separate") == [finding.evidence[0].index]


def test_sensitive_without_separate_consent_fails(sqlite_workspace: Workspace) -> None:
    """A sensitive record edited to a written consent in the database is found."""
    ws = sqlite_workspace
    bad = grant(ws, 1, categories=["identity", "medical-health"])
    _edit_record(ws, bad, consent_type=["written"])
    ws.audit.checkpoint()
    report = check(ws)
    finding = report.finding("consent-separate")
    assert finding.status == "fail"
    assert finding.items == (bad,)
    assert "sensitive" in finding.evidence[0].note.en
    assert reverify(report, "consent-separate")


def test_minor_without_guardian_fails(sqlite_workspace: Workspace) -> None:
    """A minor's record whose guardian was removed in the database is found."""
    ws = sqlite_workspace
    bad = grant(
        ws, 1, categories=["identity", "minor-information"], minor=True, guardian=resident_id(2)
    )
    _edit_record(ws, bad, guardian=None)
    ws.audit.checkpoint()
    report = check(ws)
    finding = report.finding("consent-minor-guardian")
    assert finding.status == "fail"
    assert finding.items == (bad,)
    assert reverify(report, "consent-minor-guardian")


def test_missing_impact_assessment_fails(workspace: Workspace) -> None:
    """A record provided to another department without an impact-assessment reference is named."""
    grant(workspace, 1)
    bad = grant(workspace, 2, impact_assessment=None)
    workspace.audit.checkpoint()
    report = check(workspace)
    finding = report.finding("consent-impact-assessment")
    assert finding.status == "fail"
    assert finding.items == (bad,)
    assert reverify(report, "consent-impact-assessment")


def test_record_written_outside_the_log_fails(sqlite_workspace: Workspace) -> None:
    """A consent record inserted straight into the table, with no consent.granted entry, is found."""
    ws = sqlite_workspace
    original = grant(ws, 1)
    forged = "cr-" + "ab" * 16
    with ws.store.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO consent_records SELECT :new, subject, recipient, legal_basis, purposes, "
                "categories, separate, minor, has_guardian, granted_us, "
                "replace(record, :old, :new) FROM consent_records WHERE record_id = :old"
            ),
            {"new": forged, "old": original},
        )
    ws.audit.checkpoint()
    finding = check(ws).finding("consent-logged")
    assert finding.status == "fail"
    assert finding.items == (forged,)
    assert finding.evidence == ()  # the point: the log has no entry for it


def test_record_deleted_from_the_registry_fails(sqlite_workspace: Workspace) -> None:
    """A logged grant whose record was deleted from the registry is found, with the log entry."""
    ws = sqlite_workspace
    kept, gone = grant(ws, 1), grant(ws, 2)
    with ws.store.transaction() as conn:
        conn.execute(text("DELETE FROM consent_records WHERE record_id = :r"), {"r": gone})
    ws.audit.checkpoint()
    report = check(ws)
    finding = report.finding("consent-logged")
    assert finding.status == "fail"
    assert finding.items == (gone,)
    assert kept not in finding.items
    assert reverify(report, "consent-logged") == [finding.evidence[0].index]
