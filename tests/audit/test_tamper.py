"""Tampering done directly in the database is caught by verify(), naming the first bad entry."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from govshare import AuditEvent, IntegrityError, LogTampered, SignatureError, Workspace
from govshare.audit import SignedCheckpoint


def _fill(ws: Workspace, n: int) -> None:
    now = ws.clock.now()
    ws.audit.append_many(
        [AuditEvent(type="test.event", actor="t", time=now, data={"i": i}) for i in range(n)]
    )


def _sql(ws: Workspace, statement: str, **params: object) -> None:
    with ws.store.transaction() as conn:
        conn.execute(text(statement), params)


def _entry(ws: Workspace, seq: int) -> bytes:
    with ws.store.read() as conn:
        return bytes(
            conn.execute(
                text("SELECT entry FROM audit_entries WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )


@pytest.fixture
def logged(workspace: Workspace) -> Workspace:
    """A workspace with 40 entries and a checkpoint at 40, then 10 more entries."""
    _fill(workspace, 39)
    workspace.audit.checkpoint()
    _fill(workspace, 10)
    workspace.audit.verify()
    return workspace


def _tampered(ws: Workspace) -> LogTampered:
    with pytest.raises(LogTampered) as info:
        ws.audit.verify()
    return info.value


def test_modified_entry(logged: Workspace) -> None:
    """Changing one entry's bytes is reported as 'modified' at that entry."""
    entry = _entry(logged, 17).replace(b'"i":16', b'"i":99')
    _sql(logged, "UPDATE audit_entries SET entry = :e WHERE seq = 17", e=entry)
    err = _tampered(logged)
    assert (err.kind, err.index) == ("modified", 17)


def test_modified_entry_and_leaf_hash(logged: Workspace) -> None:
    """Rewriting an entry with a matching leaf hash is caught by the stored tree nodes."""
    entry = _entry(logged, 17).replace(b'"i":16', b'"i":99')
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    _sql(
        logged,
        "UPDATE audit_entries SET entry = :e, leaf_hash = :h WHERE seq = 17",
        e=entry,
        h=leaf,
    )
    err = _tampered(logged)
    assert err.kind == "nodes"
    assert err.index == 16  # the pair 16-17 shares the lowest node that no longer matches


def test_deleted_entry(logged: Workspace) -> None:
    """Deleting a row is reported as 'deleted' at the first missing position."""
    _sql(logged, "DELETE FROM audit_entries WHERE seq = 23")
    err = _tampered(logged)
    assert (err.kind, err.index) == ("deleted", 23)


def test_deleted_and_renumbered(logged: Workspace) -> None:
    """Deleting a row and shifting the later rows down is still reported at that position."""
    _sql(logged, "DELETE FROM audit_entries WHERE seq = 23")
    _sql(logged, "UPDATE audit_entries SET seq = -(seq - 1) WHERE seq > 23")
    _sql(logged, "UPDATE audit_entries SET seq = -seq WHERE seq < 0")
    err = _tampered(logged)
    assert (err.kind, err.index) == ("deleted", 23)


def test_deleted_tail(logged: Workspace) -> None:
    """Deleting the newest entries (and fixing the head) is caught by the stored checkpoint."""
    _sql(logged, "DELETE FROM audit_entries WHERE seq >= 30")
    _sql(logged, "DELETE FROM audit_nodes")
    err = _tampered(logged)
    assert err.kind == "deleted"
    assert err.index == 30


def test_inserted_entry(logged: Workspace) -> None:
    """Inserting a copied row and shifting later rows up is reported as 'inserted'."""
    copy = _entry(logged, 9)
    _sql(logged, "UPDATE audit_entries SET seq = -(seq + 1) WHERE seq >= 12")
    _sql(logged, "UPDATE audit_entries SET seq = -seq WHERE seq < 0")
    leaf = hashlib.sha256(b"\x00" + copy).digest()
    _sql(
        logged,
        "INSERT INTO audit_entries (seq, entry, leaf_hash) VALUES (12, :e, :h)",
        e=copy,
        h=leaf,
    )
    err = _tampered(logged)
    assert (err.kind, err.index) == ("inserted", 12)


def test_appended_outside_the_log(logged: Workspace) -> None:
    """A row added past the end without going through the log is reported as 'inserted'."""
    size = logged.audit.size()
    copy = _entry(logged, 3)
    _sql(
        logged,
        "INSERT INTO audit_entries (seq, entry, leaf_hash) VALUES (:s, :e, :h)",
        s=size,
        e=copy,
        h=hashlib.sha256(b"\x00" + copy).digest(),
    )
    err = _tampered(logged)
    assert err.kind in ("inserted", "reordered")
    assert err.index == size


def test_swapped_rows(logged: Workspace) -> None:
    """Swapping two rows (with their hashes) is reported as 'reordered' at the first of them."""
    _sql(logged, "UPDATE audit_entries SET seq = -1 WHERE seq = 5")
    _sql(logged, "UPDATE audit_entries SET seq = 5 WHERE seq = 31")
    _sql(logged, "UPDATE audit_entries SET seq = 31 WHERE seq = -1")
    err = _tampered(logged)
    assert (err.kind, err.index) == ("reordered", 5)


def test_rewritten_history_is_caught_by_checkpoint(logged: Workspace) -> None:
    """Rewriting entries, leaves, nodes and head consistently still fails the signed checkpoint."""
    forged_log = _rebuild_with_change(logged, seq=11)
    assert forged_log
    err = _tampered(logged)
    assert err.kind == "checkpoint"
    assert err.index == 0


def test_since_checkpoint_catches_rewrite_without_stored_checkpoints(logged: Workspace) -> None:
    """An auditor's own checkpoint catches a full rewrite even if stored checkpoints are deleted."""
    kept = logged.audit.checkpoint()
    _rebuild_with_change(logged, seq=44)
    _sql(logged, "DELETE FROM audit_checkpoints")
    logged.audit.verify()  # internally consistent now...
    with pytest.raises(LogTampered) as info:
        logged.audit.verify(since=kept)  # ...but not with what the auditor kept
    assert info.value.kind == "checkpoint"


def test_forged_stored_checkpoint(logged: Workspace) -> None:
    """A stored checkpoint whose text was edited no longer verifies."""
    _sql(logged, "UPDATE audit_checkpoints SET note = replace(note, '\n40\n', '\n41\n')")
    with pytest.raises(SignatureError):
        logged.audit.verify()


def test_checkpoint_of_another_key(
    logged: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """verify(since=…) refuses a checkpoint the log's key did not sign."""
    from govshare.testing import temporary_workspace

    with temporary_workspace(tmp_path_factory.mktemp("other"), department="other") as other:
        foreign = other.audit.checkpoint()
    forged = SignedCheckpoint.from_text_unverified(
        foreign.text.replace(foreign.origin, logged.origin)
    )
    with pytest.raises(IntegrityError):
        logged.audit.verify(since=forged)


def test_tampering_never_changes_the_store_on_verify(logged: Workspace) -> None:
    """A failed verify leaves the tampered store exactly as it was (nothing repaired or hidden)."""
    _sql(logged, "DELETE FROM audit_entries WHERE seq = 2")
    with logged.store.read() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()
    _tampered(logged)
    with logged.store.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == before


def _rebuild_with_change(ws: Workspace, seq: int) -> bool:
    """Rewrite the whole log as a DB admin could: change one entry, recompute every hash."""
    from govshare.audit._merkle import append_nodes, root_from_frontier

    with ws.store.read() as conn:
        rows = conn.execute(text("SELECT seq, entry FROM audit_entries ORDER BY seq")).all()
    entries = [bytes(e) for _, e in rows]
    entries[seq] = entries[seq].replace(b'"i":', b'"i":1')
    leaves = [hashlib.sha256(b"\x00" + e).digest() for e in entries]
    nodes, root = append_nodes(0, [], leaves)
    with ws.store.transaction() as conn:
        conn.execute(text("DELETE FROM audit_nodes"))
        conn.execute(text("DELETE FROM audit_entries"))
        conn.execute(
            text("INSERT INTO audit_entries (seq, entry, leaf_hash) VALUES (:s, :e, :h)"),
            [
                {"s": i, "e": e, "h": h}
                for i, (e, h) in enumerate(zip(entries, leaves, strict=True))
            ],
        )
        conn.execute(
            text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:l, :i, :h)"),
            [{"l": lv, "i": ix, "h": h} for lv, ix, h in nodes],
        )
        conn.execute(text("UPDATE audit_head SET root_hash = :r, frontier = NULL"), {"r": root})
    return root_from_frontier is not None


def test_damaged_frontier_is_detected(logged: Workspace) -> None:
    """A head whose stored frontier was altered fails verify() as a node mismatch."""
    _sql(logged, "UPDATE audit_head SET frontier = :f", f=b"\x00" * 32 * 2)
    err = _tampered(logged)
    assert err.kind == "nodes"


def test_missing_frontier_is_rebuilt_from_nodes(logged: Workspace) -> None:
    """A head without a frontier (a store from before it existed) appends from stored nodes."""
    _sql(logged, "UPDATE audit_head SET frontier = NULL")
    logged.audit.record("test.after-upgrade")
    logged.audit.verify()
