"""``govshare consent …`` end to end: each command, its JSON output and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import Run
from tests.consent.conftest import resident_id

ALICE = resident_id(801)
SCOPE = ["--recipient", "hrss", "--category", "income"]


@pytest.fixture
def run(cli_workspace: Run) -> Run:
    """Invoke the CLI in an initialised temporary workspace; returns (exit code, stdout, stderr)."""
    return cli_workspace


def test_grant_check_withdraw_history(run) -> None:
    """grant prints the record; check exits 0 then 1 after withdraw; history lists both events."""
    code, out, _ = run(
        "consent",
        "grant",
        ALICE,
        *SCOPE,
        "--purpose",
        "subsidy-eligibility",
        "--expires-at",
        "2030-01-01T00:00:00+08:00",
    )
    assert code == 0, out
    record = json.loads(out)
    assert ALICE not in out
    assert record["recipients"][0]["id"] == "hrss"
    code, out, _ = run(
        "consent", "check", "-", *SCOPE, "--purpose", "subsidy-eligibility", input=ALICE + "\n"
    )
    assert code == 0
    assert json.loads(out)["allowed"] is True
    code, out, _ = run("consent", "withdraw", record["record_id"])
    assert code == 0
    assert json.loads(out)["state"] == "withdrawn"
    code, out, _ = run("consent", "check", ALICE, *SCOPE, "--purpose", "subsidy-eligibility")
    assert code == 1, out
    assert json.loads(out)["reason"] == "withdrawn"
    code, out, _ = run("consent", "history", ALICE)
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["granted", "withdrawn"]
    code, out, _ = run("consent", "export-subject", ALICE)
    assert code == 0
    assert len(json.loads(out)["records"]) == 1


def test_errors_are_one_line_with_exit_2(run) -> None:
    """Unknown codes and naive datetimes give a one-line typed error and exit code 2."""
    code, _, err = run("consent", "grant", ALICE, *SCOPE, "--purpose", "alchemy")
    assert code == 2
    assert err.startswith("error: InputError: unknown purpose code")
    code, _, err = run(
        "consent",
        "grant",
        ALICE,
        *SCOPE,
        "--purpose",
        "research",
        "--expires-at",
        "2030-01-01T00:00:00",
    )
    assert code == 2
    assert "NaiveDatetimeError" in err
    code, _, err = run("consent", "withdraw", "cr-" + "0" * 32)
    assert code == 2
    assert "no consent record" in err


def test_import_reports_and_exits_1_on_problems(run, tmp_path: Path) -> None:
    """import prints the report; a file with problems imports nothing unless --import-valid-rows."""
    path = tmp_path / "forms.csv"
    pd.DataFrame(
        {
            "subject": [ALICE, "bad"],
            "recipient": ["hrss"] * 2,
            "purposes": ["research"] * 2,
            "categories": ["income"] * 2,
            "granted_at": ["2025-01-01T00:00:00+00:00"] * 2,
        }
    ).to_csv(path, index=False)
    code, out, _ = run("consent", "import", str(path))
    assert code == 1
    assert json.loads(out)["imported"] == 0
    code, out, _ = run("consent", "import", str(path), "--import-valid-rows")
    assert code == 1
    assert json.loads(out)["imported"] == 1
