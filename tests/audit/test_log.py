"""AuditLog on both backends: appends, events, checkpoints, proofs served from stored nodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govshare import AuditEvent, InputError, NaiveDatetimeError, ProofError, Workspace
from govshare.audit import (
    SignedCheckpoint,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from govshare.testing import FrozenClock


def _fill(ws: Workspace, n: int) -> None:
    now = ws.clock.now()
    events = [AuditEvent(type="test.event", actor="t", time=now, data={"i": i}) for i in range(n)]
    ws.audit.append_many(events)


def _leaves(ws: Workspace) -> list[bytes]:
    return [r.leaf_hash for r in ws.audit.entries()]


def test_record_appends_in_order(workspace: Workspace, clock: FrozenClock) -> None:
    """Recorded events get consecutive sequence numbers and read back unchanged."""
    start = workspace.audit.size()  # workspace.created is entry 0
    seqs = [workspace.audit.record("test.step", {"n": n}) for n in range(3)]
    assert seqs == [start, start + 1, start + 2]
    rec = workspace.audit.get(seqs[1])
    assert rec.event.type == "test.step"
    assert rec.event.data == {"n": 1}
    assert rec.event.actor == "test-department"
    assert rec.event.time == clock.now()
    assert workspace.audit.get(0).event.type == "workspace.created"


def test_leaf_hash_is_rfc6962_of_canonical_entry(workspace: Workspace) -> None:
    """The stored leaf hash is SHA-256(0x00 || canonical JSON of {event, seq})."""
    seq = workspace.audit.record("test.step", {"b": [1, 2], "a": "x"})
    rec = workspace.audit.get(seq)
    expected = (
        b'{"event":{"actor":"test-department","data":{"a":"x","b":[1,2]},'
        b'"time":"2026-01-01T00:00:00Z","type":"test.step"},"seq":%d}' % seq
    )
    assert rec.leaf_hash == leaf_hash(expected)


def test_root_matches_reference_merkle_root(workspace: Workspace) -> None:
    """The log's root at every size equals the reference MTH over its leaves."""
    _fill(workspace, 37)
    leaves = _leaves(workspace)
    for size in (0, 1, 2, 3, 17, 32, len(leaves)):
        assert workspace.audit.root(size) == merkle_root(leaves[:size])


def test_proofs_equal_reference_and_verify(workspace: Workspace) -> None:
    """Proofs served from stored nodes equal the reference proofs and verify."""
    _fill(workspace, 41)
    leaves = _leaves(workspace)
    n = len(leaves)
    for size in (1, 5, 16, 33, n):
        root = merkle_root(leaves[:size])
        for index in {0, size // 2, size - 1}:
            p = workspace.audit.inclusion_proof(index, size)
            assert list(p.proof) == inclusion_proof(leaves, index, size)
            assert p.root == root
            verify_inclusion(p.leaf_hash, index, size, p.proof, root)
        for size1 in {0, 1, size // 3, size}:
            c = workspace.audit.consistency_proof(size1, size)
            assert list(c.proof) == consistency_proof(leaves, size1, size)
            verify_consistency(size1, size, c.proof, merkle_root(leaves[:size1]), root)


def test_proof_json_round_trip(workspace: Workspace) -> None:
    """A proof survives JSON and still verifies; a tampered copy does not."""
    _fill(workspace, 9)
    p = workspace.audit.inclusion_proof(3)
    again = type(p).model_validate_json(p.model_dump_json())
    again.verify()
    bad = again.model_copy(update={"index": 4})
    with pytest.raises(ProofError):
        bad.verify()


@pytest.mark.parametrize(("index", "size"), [(-1, None), (5, 5), (0, 99), (0, -1)])
def test_proof_arguments_out_of_range(workspace: Workspace, index: int, size: int | None) -> None:
    """Inclusion proofs for missing entries or sizes raise InputError."""
    _fill(workspace, 4)
    with pytest.raises(InputError):
        workspace.audit.inclusion_proof(index, size)


def test_consistency_arguments_out_of_range(workspace: Workspace) -> None:
    """Consistency proofs with sizes out of order or beyond the log raise InputError."""
    _fill(workspace, 4)
    with pytest.raises(InputError):
        workspace.audit.consistency_proof(4, 2)
    with pytest.raises(InputError):
        workspace.audit.consistency_proof(0, 50)


def test_checkpoint_is_signed_and_stored(workspace: Workspace) -> None:
    """A checkpoint commits to the current size and root, verifies, and is kept in the store."""
    _fill(workspace, 5)
    cp = workspace.audit.checkpoint()
    assert cp.size == workspace.audit.size()
    assert cp.root_hash == workspace.audit.root()
    assert cp.origin == workspace.origin
    parsed = SignedCheckpoint.from_text_unverified(cp.text)
    parsed.verify(workspace.audit.verify_key)
    assert [c.text for c in workspace.audit.checkpoints()] == [cp.text]
    lines = cp.text.split("\n")
    assert lines[0] == workspace.origin
    assert lines[1] == str(cp.size)
    assert lines[4].startswith("\u2014 " + workspace.origin + " ")


def test_verify_passes_and_reports(workspace: Workspace) -> None:
    """verify() on an untouched log reports its size, root and checkpoints."""
    _fill(workspace, 20)
    cp = workspace.audit.checkpoint()
    _fill(workspace, 7)
    report = workspace.audit.verify(since=cp)
    assert report.size == workspace.audit.size()
    assert report.root == workspace.audit.root()
    assert report.checkpoints_checked == 2
    assert report.since_size == cp.size
    assert report.nodes_checked == report.size - bin(report.size).count("1")


def test_raw_identifiers_are_refused(workspace: Workspace) -> None:
    """Events holding something shaped like a resident ID or phone number are refused unstored."""
    size = workspace.audit.size()
    for bad in ("11010119900307123X", "110101900307123", "13812345678", "+86 13812345678"):
        with pytest.raises(InputError, match="shaped like a personal identifier") as info:
            workspace.audit.record("test.leak", {"note": f"subject {bad}"})
        assert bad not in str(info.value)
        with pytest.raises(InputError):
            workspace.audit.record("test.leak", {bad: 1})
    assert workspace.audit.size() == size


def test_pseudonyms_and_hashes_are_accepted(workspace: Workspace) -> None:
    """Hex digests and record ids are not mistaken for identifiers."""
    workspace.audit.record("test.ok", {"pseudonym": "a1b2" * 16, "record": "rec-2026-000123"})


@pytest.mark.parametrize("bad_type", ["", "Upper.case", "has space", "a..b", "x" * 101])
def test_bad_event_types(workspace: Workspace, bad_type: str) -> None:
    """Event types must be dotted lower-case names."""
    with pytest.raises(InputError):
        workspace.audit.record(bad_type)


def test_naive_time_is_refused(workspace: Workspace) -> None:
    """An event time without a timezone raises NaiveDatetimeError."""
    with pytest.raises(NaiveDatetimeError):
        workspace.audit.record("test.naive", time=datetime(2026, 1, 1))


def test_event_time_is_normalised_to_utc(workspace: Workspace) -> None:
    """An aware time in another zone is stored as the same instant in UTC."""
    from datetime import timezone

    beijing = timezone(timedelta(hours=8))
    seq = workspace.audit.record("test.tz", time=datetime(2026, 1, 1, 8, tzinfo=beijing))
    assert workspace.audit.get(seq).event.time == datetime(2026, 1, 1, tzinfo=UTC)


def test_append_inside_callers_transaction_rolls_back(workspace: Workspace) -> None:
    """An event appended in a transaction that fails is not in the log."""
    size = workspace.audit.size()
    with pytest.raises(RuntimeError), workspace.store.transaction() as conn:
        workspace.audit.record("test.rolled-back", conn=conn)
        raise RuntimeError("state change failed")
    assert workspace.audit.size() == size
    workspace.audit.verify()


def test_append_rejects_non_events(workspace: Workspace) -> None:
    """append_many takes AuditEvent objects only."""
    with pytest.raises(InputError):
        workspace.audit.append_many([{"type": "x"}])  # type: ignore[list-item]
    assert workspace.audit.append_many([]) == range(0)


def test_tail_returns_last_entries(workspace: Workspace) -> None:
    """tail(n) gives the last n entries, oldest first."""
    _fill(workspace, 12)
    tail = workspace.audit.tail(3)
    size = workspace.audit.size()
    assert [r.seq for r in tail] == [size - 3, size - 2, size - 1]
    with pytest.raises(InputError):
        workspace.audit.get(size)
