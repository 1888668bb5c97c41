"""Symmetric secret keys as handles, and HKDF (RFC 5869) derivation of sub-keys."""

from __future__ import annotations

import hashlib
from typing import NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from govshare.crypto._secret import refuse_pickle, require_secret_access
from govshare.exceptions import InputError

__all__ = ["SecretKey"]

_MIN_SIZE = 16
_MAX_SIZE = 64


class SecretKey:
    """A symmetric key handle: derives sub-keys, never shows its bytes in repr, str or pickle.

    Build one with :meth:`generate` or :meth:`from_bytes`; derive per-purpose keys with
    :meth:`derive` (HKDF-SHA256, RFC 5869). Code inside :mod:`govshare.crypto` reads the bytes
    through :meth:`_material`; anyone else needs :meth:`export` with ``SECRET_ACCESS``.
    """

    __slots__ = ("_key",)

    def __init__(self, _key: bytes) -> None:
        if not isinstance(_key, bytes) or not _MIN_SIZE <= len(_key) <= _MAX_SIZE:
            raise InputError(f"a secret key is {_MIN_SIZE} to {_MAX_SIZE} bytes")
        self._key = _key

    @classmethod
    def generate(cls, size: int = 32) -> SecretKey:
        """A fresh key of *size* bytes from the operating system's CSPRNG."""
        import os

        return cls(os.urandom(size))

    @classmethod
    def from_bytes(cls, key: bytes) -> SecretKey:
        """Wrap existing key bytes (16 to 64 bytes).

        Raises:
            InputError: wrong type or length.
        """
        return cls(key)

    def derive(self, info: bytes, *, length: int = 32, salt: bytes | None = None) -> SecretKey:
        """HKDF-SHA256(ikm=this key, salt, info) → a new key of *length* bytes.

        *info* must bind everything that should separate keys (scheme, domain, version).

        Raises:
            InputError: *info* is not bytes or *length* is out of range.
        """
        if not isinstance(info, bytes):
            raise InputError("HKDF info must be bytes")
        if not _MIN_SIZE <= length <= _MAX_SIZE:
            raise InputError(f"derived keys are {_MIN_SIZE} to {_MAX_SIZE} bytes")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info)
        return SecretKey(hkdf.derive(self._key))

    @property
    def size(self) -> int:
        """Key length in bytes."""
        return len(self._key)

    def fingerprint(self) -> str:
        """A non-secret identifier: first 8 bytes of SHA-256("govshare-key-id" || key), hex."""
        return hashlib.sha256(b"govshare-key-id\x00" + self._key).hexdigest()[:16]

    def export(self, access: object) -> bytes:
        """The raw key bytes. Needs ``govshare.hazmat.SECRET_ACCESS``."""
        require_secret_access(access)
        return self._key

    def _material(self) -> bytes:
        """Raw bytes for primitives inside govshare.crypto only."""
        return self._key

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, SecretKey) and hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        return f"SecretKey({self.size * 8} bits, id={self.fingerprint()})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        refuse_pickle("SecretKey")

    def __copy__(self) -> NoReturn:
        refuse_pickle("SecretKey")

    def __deepcopy__(self, memo: object) -> NoReturn:
        refuse_pickle("SecretKey")
