"""The report: JSON schema, generated docs, every Guide item, text; read-only checking; the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import uuid
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import create_engine, text

from govshare import Workspace
from govshare.compliance import GUIDE, RULES, check, report_schema
from govshare.compliance._catalogue import render
from govshare.storage import Store
from tests.compliance._helpers import grant
from tests.conftest import Run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reference"


def test_rule_catalogue_is_current() -> None:
    """docs/reference/compliance-rules.md is exactly what the rules render now."""
    assert (DOCS / "compliance-rules.md").read_text(encoding="utf-8") == render(), (
        "regenerate: python -m govshare.compliance._catalogue > docs/reference/compliance-rules.md"
    )


def test_report_schema_is_current_and_reports_validate(workspace: Workspace) -> None:
    """The committed schema is the model's, and a real report's JSON validates against it."""
    committed = json.loads((DOCS / "compliance-report.schema.json").read_text(encoding="utf-8"))
    assert committed == report_schema()
    grant(workspace, 1, impact_assessment=None)
    workspace.audit.checkpoint()
    doc = json.loads(check(workspace).to_json())
    jsonschema.Draft202012Validator(committed).validate(doc)
    assert doc["findings"][0]["rule"] == "audit-log-integrity"


def test_every_rule_and_guide_item_appears(workspace: Workspace) -> None:
    """Every registered rule has a finding and every Guide item an entry, each with coverage."""
    report = check(workspace)
    assert {f.rule for f in report.findings} == set(RULES)
    assert [g.item for g in report.guide] == list(range(1, 28)) == [g.item for g in GUIDE]
    assert {g.coverage for g in report.guide} <= {"mechanical", "partial", "documentary"}
    assert all(g.collect is not None for g in report.guide if g.coverage != "mechanical")
    pending = [f for f in report.findings if RULES[f.rule].check is None]
    assert all(f.status == "not-applicable" for f in pending)
    assert all("feature not present" in f.explanation.en for f in pending)
    released = [f for f in report.findings if f.rule.startswith("release-")]
    assert [f.status for f in released] == ["not-applicable"] * 3  # nothing shared here
    assert all("feature not present" not in f.explanation.en for f in released)


def test_text_report_names_failures(workspace: Workspace) -> None:
    """to_text lists each finding, and the violating record under a failed one."""
    record = grant(workspace, 1, impact_assessment=None)
    workspace.audit.checkpoint()
    out = check(workspace).to_text()
    assert "FAIL" in out
    assert "consent-impact-assessment" in out
    assert record in out


def test_check_changes_nothing_in_a_sqlite_store(tmp_path: Path, cli_run: Run) -> None:
    """check over a read-only SQLite store leaves the file's bytes and mode unchanged."""
    from govshare.testing import temporary_workspace

    ws = temporary_workspace(tmp_path / "s")
    grant(ws, 1)
    cp = tmp_path / "kept.checkpoint"
    cp.write_text(ws.audit.checkpoint().text, encoding="utf-8")
    key = ws.public_key()
    ws.close()
    db = tmp_path / "s" / "govshare.db"
    os.chmod(db, 0o444)
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), stat.S_IMODE(db.stat().st_mode))
    code, out, err = cli_run(
        "check",
        "--db",
        f"sqlite:///{db}",
        "--key",
        key,
        "--checkpoint",
        str(cp),
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["key_source"] == "auditor"
    store = Store.open(f"sqlite:///{db}", read_only=True)
    check(store)
    with pytest.raises(Exception, match="readonly"), store.transaction() as conn:
        conn.execute(text("DELETE FROM audit_entries"))
    store.close()
    after = (hashlib.sha256(db.read_bytes()).hexdigest(), stat.S_IMODE(db.stat().st_mode))
    assert after == before


@pytest.mark.postgres
def test_check_runs_as_a_select_only_postgres_role(tmp_path: Path) -> None:
    """On PostgreSQL, check runs as a role that may only SELECT, and the data is unchanged."""
    url = os.environ.get("GOVSHARE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GOVSHARE_TEST_POSTGRES_URL is not set")
    from govshare.testing import temporary_workspace

    schema, role = f"gs_ro_{uuid.uuid4().hex[:8]}", f"auditor_{uuid.uuid4().hex[:8]}"
    ws = temporary_workspace(tmp_path, url=url, schema=schema)
    grant(ws, 1)
    kept = ws.audit.checkpoint().text
    size = ws.audit.size()
    key = ws.public_key()
    ws.close()
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    try:
        auditor_url = (
            create_engine(url).url.set(username=role).render_as_string(hide_password=False)
        )
        store = Store.open(auditor_url, schema=schema, read_only=True)
        report = check(store, key=key, checkpoints=[kept])
        assert report.finding("audit-log-integrity").status == "pass"
        assert report.log_size == size
        store.close()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_cli_exit_codes(cli_workspace: Run, tmp_path: Path) -> None:
    """check exits 1 when a rule fails, 2 on a bad policy file or checkpoint."""
    code, out, _ = cli_workspace("check", "--format", "text", "--lang", "en")
    assert code == 1
    assert "audit-checkpoint-coverage" in out
    policy = tmp_path / "policy.yaml"
    policy.write_text("require_checkpoint_coverage: false\n", encoding="utf-8")
    code, out, err = cli_workspace(
        "check", "--policy", str(policy), "-o", str(tmp_path / "r.html"), "--format", "html"
    )
    assert code == 0, out + err
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    policy.write_text("max_token_lifetime: soon\n", encoding="utf-8")
    code, _, err = cli_workspace("check", "--policy", str(policy))
    assert code == 2
    assert "max_token_lifetime" in err
    bad = tmp_path / "bad.checkpoint"
    bad.write_text("not a checkpoint\n", encoding="utf-8")
    code, _, err = cli_workspace("check", "--checkpoint", str(bad))
    assert code == 2
    assert err.startswith("error:")
