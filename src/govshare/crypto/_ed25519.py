"""Ed25519 signing and verification, behind handles that never reveal the private key."""

from __future__ import annotations

import hashlib
from typing import NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govshare.crypto._secret import refuse_pickle, require_secret_access
from govshare.exceptions import InputError

__all__ = ["SigningKey", "VerifyKey"]

_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64


class VerifyKey:
    """An Ed25519 public key. Public material: safe to print, copy and publish."""

    __slots__ = ("_key", "_raw")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != _ED25519_KEY_SIZE:
            raise InputError("an Ed25519 public key is exactly 32 bytes")
        self._raw = raw
        self._key = Ed25519PublicKey.from_public_bytes(raw)

    @property
    def raw(self) -> bytes:
        """The 32-byte public key."""
        return self._raw

    def fingerprint(self) -> str:
        """A short, stable hex fingerprint (first 8 bytes of SHA-256 of the key)."""
        return hashlib.sha256(self._raw).hexdigest()[:16]

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether *signature* is a valid Ed25519 signature of *message* by this key."""
        if len(signature) != _ED25519_SIG_SIZE:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"VerifyKey(ed25519:{self.fingerprint()})"


class SigningKey:
    """An Ed25519 private key handle: signs, but never shows its key in repr, str or pickle.

    Build one with :meth:`generate` or, from stored bytes, :meth:`from_private_bytes` (used by the key
    file). Export the raw key only with :meth:`private_bytes` and ``SECRET_ACCESS``.
    """

    __slots__ = ("_key", "_public")

    def __init__(self, _key: Ed25519PrivateKey) -> None:
        self._key = _key
        self._public = VerifyKey(_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, seed: bytes) -> SigningKey:
        """Rebuild a key from its 32-byte seed (as stored in an encrypted key file)."""
        if not isinstance(seed, bytes) or len(seed) != _ED25519_KEY_SIZE:
            raise InputError("an Ed25519 private key seed is exactly 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def private_bytes(self, access: object) -> bytes:
        """The 32-byte seed. Needs ``govshare.hazmat.SECRET_ACCESS``."""
        require_secret_access(access)
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def verify_key(self) -> VerifyKey:
        """The matching public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """Sign *message*; returns the 64-byte signature."""
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(ed25519, public={self._public.fingerprint()})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        refuse_pickle("SigningKey")

    def __copy__(self) -> NoReturn:
        refuse_pickle("SigningKey")

    def __deepcopy__(self, memo: object) -> NoReturn:
        refuse_pickle("SigningKey")
