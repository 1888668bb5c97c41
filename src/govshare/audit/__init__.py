"""The tamper-evident audit log.

Events are appended to an RFC 6962 / RFC 9162 Merkle tree; the department signs checkpoints in the
C2SP tlog-checkpoint format and other departments can witness (cosign) them. The pure functions
here (:func:`merkle_root`, :func:`verify_inclusion`, :func:`verify_consistency`, …) need no store,
so any auditor can check proofs with them alone.
"""

from __future__ import annotations

from govshare.audit._canonical import canonical_json
from govshare.audit._events import AuditEvent, AuditRecord
from govshare.audit._log import AuditLog
from govshare.audit._merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from govshare.audit._note import (
    Checkpoint,
    SignedNote,
    parse_verifier_key,
    verifier_key_string,
    verify_cosignature,
)
from govshare.audit._proofs import ConsistencyProof, InclusionProof, SignedCheckpoint, VerifyReport
from govshare.audit._witness import check_consistent

__all__ = [
    "EMPTY_ROOT",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "Checkpoint",
    "ConsistencyProof",
    "InclusionProof",
    "SignedCheckpoint",
    "SignedNote",
    "VerifyReport",
    "canonical_json",
    "check_consistent",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "parse_verifier_key",
    "verifier_key_string",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
]
