"""Proof and checkpoint records that cross a boundary (to an auditor, another department, a file)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from govshare._html import Table, b64, card
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


class _HashRecord(Record):
    """A record whose hashes show as base64 in its repr, as in JSON (never as raw bytes)."""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if isinstance(value, bytes):
                yield name, b64(value)
            elif isinstance(value, tuple) and all(isinstance(v, bytes) for v in value):
                yield name, tuple(b64(v) for v in value)
            else:
                yield name, value


def _path(proof: tuple[bytes, ...]) -> Table:
    rows = [(i, b64(h)) for i, h in enumerate(proof)]
    return Table("proof hashes (base64)", ("#", "hash"), rows, empty="none (a one-leaf tree)")


class InclusionProof(_HashRecord):
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

    def _repr_html_(self) -> str:
        """A card for Jupyter (hashes in base64); it does not verify the proof."""
        return card(
            f"Inclusion proof of entry {self.index} in a tree of {self.size}",
            [("leaf hash", b64(self.leaf_hash)), ("root", b64(self.root))],
            tables=[_path(self.proof)],
            note="unverified: call verify(), and compare the root with a trusted checkpoint",
        )


class ConsistencyProof(_HashRecord):
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

    def _repr_html_(self) -> str:
        """A card for Jupyter (hashes in base64); it does not verify the proof."""
        return card(
            f"Consistency proof: tree of {self.size1} is a prefix of tree of {self.size2}",
            [
                ("root of the smaller tree", b64(self.root1)),
                ("root of the larger tree", b64(self.root2)),
            ],
            tables=[_path(self.proof)],
            note="unverified: call verify(), and compare both roots with trusted checkpoints",
        )


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

    def __repr__(self) -> str:
        return f"SignedCheckpoint(origin={self.origin!r}, size={self.size}, root={b64(self.root_hash)!r})"

    def _repr_html_(self) -> str:
        """A card for Jupyter: origin, size, root (base64) and who signed (not verified here)."""
        return card(
            f"Checkpoint of {self.origin} at size {self.size}",
            [
                ("root (base64)", b64(self.root_hash)),
                ("signed by", [s.name for s in self.note.signatures]),
            ],
            note="signatures not checked: call verify(key)",
        )


class VerifyReport(_HashRecord):
    """What :meth:`AuditLog.verify` checked and found consistent."""

    size: int
    root: Hash
    entries_checked: int
    nodes_checked: int
    checkpoints_checked: int
    since_size: int | None = None

    def _repr_html_(self) -> str:
        """A card for Jupyter: what was checked, and the root it found (base64)."""
        scope = "the whole log" if self.since_size is None else f"from size {self.since_size}"
        return card(
            f"Audit log verified: {self.size} entries",
            [
                ("root (base64)", b64(self.root)),
                ("scope", scope),
                ("entries checked", self.entries_checked),
                ("tree nodes checked", self.nodes_checked),
                ("checkpoints checked", self.checkpoints_checked),
            ],
            ok=True,
            status="verified",
        )
