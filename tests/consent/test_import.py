"""Bulk import: validation report by (row, field, problem); all-or-nothing unless valid rows are asked for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from govshare import Workspace
from govshare.exceptions import InputError
from tests.consent.conftest import minor_id, resident_id

GOOD = {
    "subject": resident_id(701),
    "recipient": "hrss",
    "purposes": "subsidy-eligibility",
    "categories": "income;identity",
    "granted_at": "2025-06-01T09:00:00+08:00",
    "expires_at": "2027-06-01T00:00:00+08:00",
}


def _rows(*overrides: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{**GOOD, "subject": resident_id(710 + i), **o} for i, o in enumerate(overrides)]
    )


def test_clean_csv_imports_every_row(workspace: Workspace, tmp_path: Path) -> None:
    """A file without problems imports every row, each as a checkable record."""
    path = tmp_path / "forms.csv"
    _rows(
        {},
        {
            "consent_type": "separate;written",
            "notice_uri": "https://x.example/n",
            "notice_version": "2",
            "notice_sha256": "0" * 64,
        },
    ).to_csv(path, index=False)
    report = workspace.consents.import_file(path)
    assert report.ok
    assert report.imported == 2
    assert len(report.record_ids) == 2
    decision = workspace.consents.check(
        resident_id(710), recipient="hrss", purpose="subsidy-eligibility", categories=["income"]
    )
    assert decision.allowed
    assert decision.record_id == report.record_ids[0]
    assert workspace.consents.get(report.record_ids[1]).notice is not None


def test_file_with_errors_imports_nothing_and_reports_each(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Every problem is reported by row and field without quoting the value, and nothing is imported."""
    bad_id = resident_id(799)[:-1] + "0"
    path = tmp_path / "forms.csv"
    _rows(
        {},
        {"subject": bad_id},
        {"purposes": "mind-reading"},
        {"granted_at": "2025-06-01T09:00:00"},
        {"expires_at": "2020-01-01T00:00:00+00:00"},
        {"categories": "medical-health", "consent_type": "written"},
        {"subject": minor_id(720)},
        {"minor": "perhaps"},
    ).to_csv(path, index=False)
    report = workspace.consents.import_file(path)
    assert report.imported == 0
    assert report.record_ids == ()
    found = {(p.row, p.field) for p in report.problems}
    assert found == {
        (2, "subject"),
        (3, "purposes"),
        (4, "granted_at"),
        (5, "expires_at"),
        (6, "consent_type"),
        (7, "guardian"),
        (8, "minor"),
    }
    assert all(bad_id not in p.problem for p in report.problems)
    assert workspace.consents.history(resident_id(710)) == ()


def test_import_valid_rows_on_request(workspace: Workspace, tmp_path: Path) -> None:
    """With import_valid_rows=True the valid rows are imported and the bad ones still reported."""
    path = tmp_path / "forms.parquet"
    _rows({}, {"categories": "nonsense"}, {}).to_parquet(path)
    report = workspace.consents.import_file(path, import_valid_rows=True)
    assert report.imported == 2
    assert [(p.row, p.field) for p in report.problems] == [(2, "categories")]


def test_unreadable_or_misshapen_files_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    """Unknown formats, missing and unknown columns raise InputError before anything is read in."""
    with pytest.raises(InputError, match=r"\.csv, \.parquet or \.xlsx"):
        workspace.consents.import_file(tmp_path / "forms.json")
    path = tmp_path / "forms.csv"
    pd.DataFrame([{"subject": GOOD["subject"], "colour": "blue"}]).to_csv(path, index=False)
    with pytest.raises(InputError, match="missing columns"):
        workspace.consents.import_file(path)
