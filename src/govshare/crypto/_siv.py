"""Deterministic authenticated encryption with AES-SIV (RFC 5297), for reversible pseudonyms."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from govshare.crypto._secret_key import SecretKey
from govshare.exceptions import InputError, IntegrityError

__all__ = ["siv_decrypt_many", "siv_encrypt_many"]

_SIV_KEY_SIZES = (32, 48, 64)


def _siv(key: SecretKey) -> AESSIV:
    material = key._material()
    if len(material) not in _SIV_KEY_SIZES:
        raise InputError(f"an AES-SIV key is 32, 48 or 64 bytes, not {len(material)}")
    return AESSIV(material)


def siv_encrypt_many(
    key: SecretKey, messages: Iterable[bytes], associated: bytes | None = None
) -> list[bytes]:
    """AES-SIV encrypt each message (output: 16-byte SIV || ciphertext), deterministically.

    *associated* (if given) is the single associated-data string of every message.

    Raises:
        InputError: wrong key length, or an empty message (AES-SIV in ``cryptography`` refuses it).
    """
    siv = _siv(key)
    ad = None if associated is None else [associated]
    try:
        return [siv.encrypt(message, ad) for message in messages]
    except ValueError:
        raise InputError("AES-SIV cannot encrypt an empty value") from None


def siv_decrypt_many(
    key: SecretKey, ciphertexts: Iterable[bytes], associated: bytes | None = None
) -> list[bytes]:
    """Invert :func:`siv_encrypt_many`.

    Raises:
        InputError: wrong key length.
        IntegrityError: a ciphertext does not authenticate under this key (wrong key, domain or
            scheme, or it was altered).
    """
    siv = _siv(key)
    ad = None if associated is None else [associated]
    try:
        return [siv.decrypt(ciphertext, ad) for ciphertext in ciphertexts]
    except InvalidTag:
        raise IntegrityError(
            "a pseudonym does not authenticate under this key (wrong domain, version or scheme, "
            "or it was altered)"
        ) from None
