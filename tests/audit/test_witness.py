"""Witnessing: departments cosign each other's checkpoints; rollbacks and split views are caught."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare import IntegrityError, ProofError, SignatureError, Workspace
from govshare.audit import SignedCheckpoint, check_consistent, verify_cosignature
from govshare.testing import FrozenClock, temporary_workspace


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Workspace, Workspace]]:
    """A logging department and a witnessing department, each with its own store."""
    clock = FrozenClock()
    log = temporary_workspace(tmp_path / "log", department="civil-affairs", clock=clock)
    witness = temporary_workspace(tmp_path / "wit", department="hrss", clock=clock)
    yield log, witness
    log.close()
    witness.close()


def test_cosign_first_and_later_checkpoints(pair: tuple[Workspace, Workspace]) -> None:
    """A witness cosigns a first checkpoint, then a later one given a consistency proof."""
    log, witness = pair
    key = log.audit.verify_key
    first = log.audit.checkpoint()
    cosigned = witness.audit.cosign(first, log_key=key)
    assert verify_cosignature(cosigned.note, witness.origin, witness.audit.verify_key) == int(
        witness.clock.now().timestamp()
    )
    cosigned.verify(key)  # the log's own signature is kept
    log.audit.record("test.more")
    second = log.audit.checkpoint()
    proof = log.audit.consistency_proof(first.size, second.size)
    witness.audit.cosign(second.text, log_key=key, proof=proof)
    assert witness.audit.get(witness.audit.size() - 1).event.type == "audit.cosigned"


def test_witness_refuses_missing_proof(pair: tuple[Workspace, Workspace]) -> None:
    """A larger checkpoint without a consistency proof is not cosigned."""
    log, witness = pair
    witness.audit.cosign(log.audit.checkpoint(), log_key=log.audit.verify_key)
    log.audit.record("test.more")
    size = witness.audit.size()
    with pytest.raises(IntegrityError, match="consistency proof"):
        witness.audit.cosign(log.audit.checkpoint(), log_key=log.audit.verify_key)
    assert witness.audit.size() == size


def test_witness_catches_split_view(pair: tuple[Workspace, Workspace], tmp_path: Path) -> None:
    """Two different histories under one key and origin (a split view) are refused."""
    log, witness = pair
    log.audit.record("test.a")
    witness.audit.cosign(log.audit.checkpoint(), log_key=log.audit.verify_key)
    # The log operator forks: same key, same origin, a different entry at the same size.
    from govshare.audit._note import Checkpoint, sign_note

    signer = log.keys.signing_key()
    fake = Checkpoint(origin=log.origin, size=log.audit.size(), root_hash=b"\x07" * 32)
    forked = SignedCheckpoint(fake, sign_note(fake.body(), log.origin, signer))
    with pytest.raises(IntegrityError, match="split view"):
        witness.audit.cosign(forked, log_key=log.audit.verify_key)


def test_witness_catches_rollback(pair: tuple[Workspace, Workspace]) -> None:
    """A checkpoint smaller than one already witnessed is refused."""
    log, witness = pair
    old = log.audit.checkpoint()
    log.audit.record("test.more")
    new = log.audit.checkpoint()
    witness.audit.cosign(new, log_key=log.audit.verify_key)
    with pytest.raises(IntegrityError, match="rollback"):
        witness.audit.cosign(old, log_key=log.audit.verify_key)


def test_witness_refuses_wrong_key(pair: tuple[Workspace, Workspace]) -> None:
    """A checkpoint not signed by the stated log key is refused."""
    log, witness = pair
    with pytest.raises(SignatureError):
        witness.audit.cosign(log.audit.checkpoint(), log_key=witness.audit.verify_key)


def test_witness_refuses_wrong_proof(pair: tuple[Workspace, Workspace]) -> None:
    """A consistency proof that does not connect the two checkpoints is refused."""
    log, witness = pair
    for _ in range(3):
        log.audit.record("test.more")
    first = log.audit.checkpoint()
    witness.audit.cosign(first, log_key=log.audit.verify_key)
    for _ in range(3):
        log.audit.record("test.more")
    second = log.audit.checkpoint()
    proof = log.audit.consistency_proof(first.size - 1, second.size)
    with pytest.raises(ProofError):
        witness.audit.cosign(second, log_key=log.audit.verify_key, proof=proof.proof)


def test_check_consistent_compares_two_views(pair: tuple[Workspace, Workspace]) -> None:
    """check_consistent accepts two honest checkpoints and names a split view."""
    log, _ = pair
    a = log.audit.checkpoint()
    log.audit.record("test.more")
    b = log.audit.checkpoint()
    check_consistent(a, b, log.audit.consistency_proof(a.size, b.size))
    import base64

    forged = SignedCheckpoint.from_text_unverified(
        b.text.replace(b.text.split("\n")[2], base64.b64encode(b"\x07" * 32).decode())
    )
    with pytest.raises(IntegrityError, match="split view"):
        check_consistent(b, forged, ())
