"""Dangerous knobs. **WARNING:** everything here can leak secrets or break privacy if misused.

Nothing in this module is re-exported from :mod:`govshare`; importing it is a visible decision at
the call site. Each function documents what it exposes and why you might need it.
"""

from __future__ import annotations

from typing import Final

from govshare.crypto import SecretAccess, SigningKey
from govshare.keys import KeyRing

__all__ = ["SECRET_ACCESS", "SecretAccess", "export_pseudonym_root_key", "export_signing_key"]

SECRET_ACCESS: Final = SecretAccess()
"""The capability that export functions require (the one instance of :class:`SecretAccess`)."""


def export_signing_key(ring: KeyRing, access: SecretAccess) -> bytes:
    """The raw 32-byte Ed25519 seed of *ring*'s active signing key.

    Needs :data:`SECRET_ACCESS`. Anyone holding these bytes can sign checkpoints as the department.

    Raises:
        PermissionError: *access* is not ``SECRET_ACCESS``.
        KeyNotFound: the ring has no active signing key.
    """
    key: SigningKey = ring.signing_key()
    return key.private_bytes(access)


def export_pseudonym_root_key(
    ring: KeyRing, access: SecretAccess, *, version: int | None = None
) -> bytes:
    """The raw 32-byte ``pseudonym-root`` secret of *ring* (default: its primary version).

    Needs :data:`SECRET_ACCESS`. Anyone holding these bytes can compute and reverse every
    domain's pseudonyms made under that version; export it only to move it into an HSM or a
    second system that must produce identical pseudonyms (see docs/spec/pseudonyms.md).

    Raises:
        PermissionError: *access* is not ``SECRET_ACCESS``.
        KeyNotFound: no such (active) version of the root key.
    """
    return ring.secret_key("pseudonym-root", version).export(access)
