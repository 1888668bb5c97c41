"""Log rules: integrity against the auditor's checkpoints, a rewritten history, coverage."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from govshare import Workspace
from govshare.audit import AuditLog
from govshare.compliance import check
from govshare.storage import Store
from tests.compliance._helpers import grant, reverify


def _rewrite_history(ws: Workspace, tmp_store_url: str, changed: int) -> None:
    """Rewrite the whole log consistently, as a department holding its own key could.

    Entry *changed* gets different data; every later entry is re-appended, and the entries,
    leaf hashes, tree nodes and head are all replaced by the rebuilt ones; the stored
    checkpoints are deleted and a fresh one signed with the department's key.
    """
    events = [r.event for r in ws.audit.entries()]
    forged = events[changed].model_copy(
        update={"data": {**events[changed].data, "purposes": ["other"]}}
    )
    events[changed] = forged
    scratch = Store.open(tmp_store_url)
    AuditLog(scratch, origin=ws.origin).append_many(events)
    with scratch.read() as src:
        entries = src.execute(text("SELECT seq, entry, leaf_hash FROM audit_entries")).all()
        nodes = src.execute(text("SELECT level, idx, hash FROM audit_nodes")).all()
        head = src.execute(text("SELECT size, root_hash, frontier FROM audit_head")).one()
    scratch.close()
    with ws.store.transaction() as conn:
        for table in ("audit_entries", "audit_nodes", "audit_checkpoints"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text("INSERT INTO audit_entries (seq, entry, leaf_hash) VALUES (:s, :e, :h)"),
            [{"s": s, "e": e, "h": h} for s, e, h in entries],
        )
        conn.execute(
            text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
            [{"l": lv, "i": i, "h": h} for lv, i, h in nodes],
        )
        conn.execute(
            text("UPDATE audit_head SET size = :s, root_hash = :r, frontier = :f"),
            {"s": head[0], "r": head[1], "f": head[2]},
        )
    ws.audit.checkpoint()  # re-signed with the department's own key


def test_log_with_auditor_checkpoint_passes(workspace: Workspace) -> None:
    """An untouched log is consistent with the auditor's earlier checkpoint and the current one."""
    grant(workspace, 1)
    kept = workspace.audit.checkpoint().text
    grant(workspace, 2)
    latest = workspace.audit.checkpoint().text
    report = check(workspace, checkpoints=[kept, latest])
    assert report.finding("audit-log-integrity").status == "pass"
    assert report.finding("audit-checkpoint-coverage").status == "pass"
    assert report.anchor is not None
    assert report.anchor.source == "auditor"
    assert report.log_verified


def test_rewritten_history_fails_against_the_auditors_checkpoint(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    """Entries, leaf hashes, nodes and head rewritten together verify alone, but not against the
    auditor's earlier checkpoint."""
    ws = sqlite_workspace
    for n in range(5):
        grant(ws, n)
    kept = ws.audit.checkpoint().text
    grant(ws, 9)
    _rewrite_history(ws, f"sqlite:///{tmp_path / 'scratch.db'}", changed=2)
    ws.audit.verify()  # the rewrite is internally consistent: the log alone does not tell
    assert check(ws).finding("audit-log-integrity").status == "pass"
    finding = check(ws, checkpoints=[kept]).finding("audit-log-integrity")
    assert finding.status == "fail"
    assert "rewritten" in finding.explanation.en
    assert finding.items == ("checkpoint size 6",)


def test_tampered_entry_fails_and_names_it(sqlite_workspace: Workspace) -> None:
    """An entry edited in the database makes the log fail verification, naming the entry."""
    ws = sqlite_workspace
    for n in range(3):
        grant(ws, n)
    with ws.store.transaction() as conn:
        conn.execute(
            text("UPDATE audit_entries SET entry = replace(entry, 'hrss', 'hrsx') WHERE seq = 2")
        )
    report = check(ws)
    finding = report.finding("audit-log-integrity")
    assert finding.status == "fail"
    assert not report.log_verified
    assert finding.items == ("entry 2",)
    assert report.anchor is None


def test_checkpoint_of_another_key_fails(workspace: Workspace, tmp_path: Path) -> None:
    """A supplied checkpoint not signed by this log's key fails the rule."""
    from govshare.testing import temporary_workspace

    other = temporary_workspace(tmp_path / "other", department="other-dept")
    forged = other.audit.checkpoint().text.replace(other.origin, workspace.origin)
    other.close()
    report = check(workspace, checkpoints=[forged])
    finding = report.finding("audit-log-integrity")
    assert finding.status == "fail"
    assert finding.violations == 1
    assert report.anchor is None or report.anchor.source == "store"


def test_entries_after_the_last_checkpoint_fail_coverage(workspace: Workspace) -> None:
    """Entries logged after the newest signed checkpoint fail coverage; evidence is on the head."""
    grant(workspace, 1)
    workspace.audit.checkpoint()
    grant(workspace, 2)
    report = check(workspace)
    finding = report.finding("audit-checkpoint-coverage")
    assert finding.status == "fail"
    assert [e.anchor for e in finding.evidence] == ["head"]
    assert reverify(report, "audit-checkpoint-coverage") == [2]
