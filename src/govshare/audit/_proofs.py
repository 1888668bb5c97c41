"""Proof and checkpoint records that cross a boundary (to an auditor, another department, a file)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from govshare._models import Record
from govshare.audit._note import Checkpoint, SignedNote, verify_note
from govshare.crypto import VerifyKey
from govshare.exceptions import InputError

__all__ = ["ConsistencyProof", "InclusionProof", "SignedCheckpoint", "VerifyReport"]


def _from_base64(value: object) -> object:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("not standard base64") from None
    return value


Hash = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(
        lambda b: base64.b64encode(b).decode("ascii"), return_type=str, when_used="json"
    ),
]
"""Bytes that travel in JSON as standard base64 (the alphabet checkpoints use)."""


class InclusionProof(Record):
    """Proof that the leaf at ``index`` is in the tree of ``size`` leaves with root ``root``."""

    index: int
    size: int
    leaf_hash: Hash
    proof: tuple[Hash, ...]
    root: Hash

    def verify(self) -> None:
        """Check the proof against its own root (compare ``root`` with a trusted checkpoint too).

        Raises:
            ProofError: the proof does not verify.
        """
        from govshare.audit._merkle import verify_inclusion

        verify_inclusion(self.leaf_hash, self.index, self.size, self.proof, self.root)


class ConsistencyProof(Record):
    """Proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2`` leaves."""

    size1: int
    size2: int
    root1: Hash
    root2: Hash
    proof: tuple[Hash, ...]

    def verify(self) -> None:
        """Check the proof against its own roots.

        Raises:
            ProofError: the proof does not verify.
        """
        from govshare.audit._merkle import verify_consistency

        verify_consistency(self.size1, self.size2, self.proof, self.root1, self.root2)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint (origin, tree size, root hash) with its signatures, as a C2SP signed note."""

    checkpoint: Checkpoint
    note: SignedNote

    @property
    def origin(self) -> str:
        """The log's origin line."""
        return self.checkpoint.origin

    @property
    def size(self) -> int:
        """The tree size the checkpoint commits to."""
        return self.checkpoint.size

    @property
    def root_hash(self) -> bytes:
        """The Merkle root at that size."""
        return self.checkpoint.root_hash

    @property
    def text(self) -> str:
        """The signed note text (body, blank line, signature lines)."""
        return self.note.to_text()

    @classmethod
    def from_text_unverified(cls, text: str) -> SignedCheckpoint:
        """Parse a checkpoint note *without* checking any signature (call :meth:`verify` next).

        Raises:
            InputError: the text is not a well-formed checkpoint note.
        """
        if not isinstance(text, str):
            raise InputError("a checkpoint is text")
        note = SignedNote.parse(text)
        return cls(Checkpoint.parse(note.text), note)

    def verify(self, key: VerifyKey, *, name: str | None = None) -> None:
        """Check that *key*, under the note key name *name* (default: the origin), signed it.

        Raises:
            SignatureError: no valid signature by that key.
        """
        verify_note(self.note, {name or self.origin: key})

    def __str__(self) -> str:
        return self.text


class VerifyReport(Record):
    """What :meth:`AuditLog.verify` checked and found consistent."""

    size: int
    root: Hash
    entries_checked: int
    nodes_checked: int
    checkpoints_checked: int
    since_size: int | None = None
