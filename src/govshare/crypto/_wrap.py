"""Key wrapping for a trip to remote workers: AES-256-GCM under a fresh, single-use key.

A :class:`WrappingKey` exists so that a derived key can travel to the executors of a distributed
engine in two halves that are each useless alone: the wrapped (sealed) key goes one way, the
wrapping key another. Unlike :class:`SecretKey`, a wrapping key *can* be pickled — that is its
purpose — but it protects nothing except the keys wrapped under it, and a new one is made for every
job.
"""

from __future__ import annotations

import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govshare.crypto._secret_key import SecretKey
from govshare.exceptions import InputError, IntegrityError

__all__ = ["WrappingKey"]

_KEY_SIZE: Final = 32
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16


class WrappingKey:
    """A fresh AES-256-GCM key that seals other keys for one job on remote workers.

    Build one with :meth:`generate` (256 bits from the operating system's CSPRNG) for each job and
    never reuse it. :meth:`wrap` seals a :class:`SecretKey` bound to *aad* (what the key is for);
    :meth:`unwrap` opens it on the worker. The repr never shows the key; pickling it is allowed on
    purpose, because it must reach the workers by a different channel from the sealed key.
    """

    __slots__ = ("_key",)

    def __init__(self, _key: bytes) -> None:
        if not isinstance(_key, bytes) or len(_key) != _KEY_SIZE:
            raise InputError(f"a wrapping key is {_KEY_SIZE} bytes")
        self._key = _key

    @classmethod
    def generate(cls) -> WrappingKey:
        """A new 256-bit wrapping key from the operating system's CSPRNG."""
        return cls(os.urandom(_KEY_SIZE))

    def wrap(self, key: SecretKey, *, aad: bytes) -> bytes:
        """*key* sealed under this key: a fresh 96-bit nonce, the ciphertext and the GCM tag.

        *aad* binds the sealed key to its purpose; :meth:`unwrap` needs the same bytes.

        Raises:
            InputError: *key* is not a :class:`SecretKey` or *aad* is not bytes.
        """
        if not isinstance(key, SecretKey) or not isinstance(aad, bytes):
            raise InputError("wrap() takes a SecretKey and aad bytes")
        nonce = os.urandom(_NONCE_SIZE)
        return nonce + AESGCM(self._key).encrypt(nonce, key._material(), aad)

    def unwrap(self, sealed: bytes, *, aad: bytes) -> SecretKey:
        """The key that :meth:`wrap` sealed with the same *aad*.

        Raises:
            IntegrityError: *sealed* was made under another wrapping key or *aad*, or was altered.
        """
        if not isinstance(sealed, bytes) or len(sealed) < _NONCE_SIZE + _TAG_SIZE + 16:
            raise IntegrityError("the sealed key is malformed")
        nonce, body = sealed[:_NONCE_SIZE], sealed[_NONCE_SIZE:]
        try:
            return SecretKey(AESGCM(self._key).decrypt(nonce, body, aad))
        except InvalidTag:
            raise IntegrityError(
                "the sealed key does not open under this wrapping key and purpose (or was altered)"
            ) from None

    def __repr__(self) -> str:
        return f"WrappingKey({_KEY_SIZE * 8} bits)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[WrappingKey], tuple[bytes]]:
        return (WrappingKey, (self._key,))
