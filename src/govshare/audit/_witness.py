"""Witnessing another department's log: check a checkpoint extends what was seen, then cosign it.

A log that shows different histories to different departments (a *split view*) is caught here: a
witness only cosigns a checkpoint that is consistent with every checkpoint of the same origin it
cosigned before, and two cosigned checkpoints can be compared with :func:`check_consistent`.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from sqlalchemy import Connection, select

from govshare.audit._merkle import verify_consistency
from govshare.audit._note import cosign
from govshare.audit._proofs import ConsistencyProof, SignedCheckpoint
from govshare.audit._tables import audit_witnessed
from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import IntegrityError, ProofError

__all__ = ["check_consistent", "witness"]


def check_consistent(
    older: SignedCheckpoint, newer: SignedCheckpoint, proof: Sequence[bytes] | ConsistencyProof
) -> None:
    """Check that two checkpoints of one log describe one history.

    Signatures are not checked here (verify each checkpoint first).

    Raises:
        IntegrityError: different origins, the same size with different roots (a split view), or
            a consistency proof that does not verify.
    """
    if older.origin != newer.origin:
        raise IntegrityError("the two checkpoints are of different logs")
    if older.size > newer.size:
        older, newer = newer, older
    hashes = proof.proof if isinstance(proof, ConsistencyProof) else tuple(proof)
    if older.size == newer.size and not hmac.compare_digest(older.root_hash, newer.root_hash):
        raise IntegrityError(
            f"split view: two checkpoints of {older.origin!r} at size {older.size} differ"
        )
    try:
        verify_consistency(older.size, newer.size, hashes, older.root_hash, newer.root_hash)
    except ProofError as exc:
        raise ProofError(
            f"checkpoints of {older.origin!r} at sizes {older.size} and {newer.size} are not "
            f"consistent: {exc}"
        ) from None


def witness(
    conn: Connection,
    checkpoint: SignedCheckpoint,
    *,
    log_key: VerifyKey,
    proof: Sequence[bytes] | ConsistencyProof | None,
    name: str,
    signer: SigningKey,
    timestamp: int,
    created_at: str,
) -> SignedCheckpoint:
    """Verify *checkpoint*, check it extends the last one witnessed for its origin, cosign, store.

    Raises:
        SignatureError: the checkpoint is not signed by *log_key*.
        IntegrityError: it contradicts an earlier witnessed checkpoint (rollback or split view),
            or a needed consistency proof is missing or wrong.
    """
    checkpoint.verify(log_key)
    last = conn.execute(
        select(audit_witnessed.c.note)
        .where(audit_witnessed.c.origin == checkpoint.origin)
        .order_by(audit_witnessed.c.size.desc(), audit_witnessed.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is not None:
        previous = SignedCheckpoint.from_text_unverified(last)
        if checkpoint.size < previous.size:
            raise IntegrityError(
                f"rollback: {checkpoint.origin!r} already showed {previous.size} entries, "
                f"this checkpoint has {checkpoint.size}"
            )
        if checkpoint.size > previous.size and proof is None:
            raise IntegrityError(
                f"a consistency proof from size {previous.size} is needed to cosign this checkpoint"
            )
        check_consistent(previous, checkpoint, proof if proof is not None else ())
    note = cosign(checkpoint.note, name, signer, timestamp)
    conn.execute(
        audit_witnessed.insert().values(
            origin=checkpoint.origin,
            size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            note=note.to_text(),
            created_at=created_at,
        )
    )
    return SignedCheckpoint(checkpoint.checkpoint, note)
