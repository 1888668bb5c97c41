"""Passphrase sealing for data at rest: scrypt (RFC 7914) derives an AES-256-GCM key."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govshare.exceptions import InputError, KeyFileCorrupted, WrongPassphrase

__all__ = ["ScryptParams", "new_salt", "open_sealed", "seal"]

_SALT_SIZE = 16
_NONCE_SIZE = 12
_KEY_SIZE = 32


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; the default (n=2**15, r=8, p=1) follows RFC 7914's interactive use."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        """Derive a 32-byte key from *passphrase* and *salt*."""
        if not passphrase:
            raise InputError("the passphrase is empty")
        kdf = Scrypt(salt=salt, length=_KEY_SIZE, n=self.n, r=self.r, p=self.p)
        return kdf.derive(passphrase.encode("utf-8"))


def new_salt() -> bytes:
    """A fresh 16-byte salt from the operating system's CSPRNG."""
    return os.urandom(_SALT_SIZE)


def seal(
    plaintext: bytes, passphrase: str, aad: bytes, params: ScryptParams, salt: bytes
) -> tuple[bytes, bytes]:
    """Encrypt *plaintext* under a key derived from *passphrase* and *salt*.

    Returns ``(nonce, ciphertext)``; the nonce is fresh from the CSPRNG, so sealing twice never
    reuses one under the same key.
    """
    nonce = os.urandom(_NONCE_SIZE)
    key = params.derive(passphrase, salt)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(
    salt: bytes, nonce: bytes, ciphertext: bytes, passphrase: str, aad: bytes, params: ScryptParams
) -> bytes:
    """Decrypt what :func:`seal` produced.

    Raises:
        WrongPassphrase: the tag does not verify (wrong passphrase, or the file was altered).
        KeyFileCorrupted: salt or nonce have the wrong size.
    """
    if len(salt) != _SALT_SIZE or len(nonce) != _NONCE_SIZE:
        raise KeyFileCorrupted("the key file's salt or nonce has the wrong size")
    key = params.derive(passphrase, salt)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise WrongPassphrase(
            "the key file does not open with this passphrase (or it was altered)"
        ) from None
