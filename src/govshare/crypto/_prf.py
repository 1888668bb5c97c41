"""Keyed primitives for pseudonyms: single-block PRPs (AES-256, SM4) and HMAC (SHA-256, SM3).

The block ciphers run in ECB mode over a buffer of *independent* 16-byte blocks: each block is one
identifier, so ECB is exactly "apply the keyed permutation to every block" in one call (one C loop,
no Python per row). Never use these for messages longer than one block.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from govshare.crypto._secret_key import SecretKey
from govshare.exceptions import InputError

__all__ = [
    "BLOCK_SIZE",
    "BlockCipher",
    "HmacDigest",
    "hmac_many",
    "prp_decrypt_blocks",
    "prp_encrypt_blocks",
]

BLOCK_SIZE = 16
BlockCipher = Literal["aes", "sm4"]
HmacDigest = Literal["sha256", "sm3"]

_HMAC_BLOCK = 64  # SHA-256 and SM3 both hash 64-byte blocks
_KEY_SIZES: dict[str, tuple[int, ...]] = {"aes": (16, 24, 32), "sm4": (16,)}


def _fast_sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 (``_sha2`` from 3.12, ``_sha256`` before) where OpenSSL is not in
    FIPS mode, else OpenSSL's.

    For HMAC of many short messages, where each message costs two hash-state copies and two
    finalisations, the built-in one skips OpenSSL's EVP overhead: about 1.15x per value end to
    end (``benchmarks/bench_pseudonymise.py``, ``hmac-sha256_*_states_median_rows_per_s``). Both give
    identical digests (RFC 4231 vectors and a property test in ``tests/crypto``); a FIPS
    deployment keeps its validated OpenSSL module.
    """
    try:
        import _hashlib

        if _hashlib.get_fips_mode():
            return hashlib.sha256
    except (ImportError, AttributeError):
        pass
    for name in ("_sha2", "_sha256"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        constructor = getattr(module, "sha256", None)
        if callable(constructor):
            return constructor  # type: ignore[no-any-return]
    return hashlib.sha256


_SHA256: Final = _fast_sha256()


def _cipher(cipher: BlockCipher, key: SecretKey) -> Cipher[modes.ECB]:
    material = key._material()
    if cipher not in _KEY_SIZES:
        raise InputError(f"unknown block cipher {cipher!r} (use 'aes' or 'sm4')")
    if len(material) not in _KEY_SIZES[cipher]:
        raise InputError(
            f"a {cipher.upper()} key is {_KEY_SIZES[cipher]} bytes, not {len(material)}"
        )
    algorithm = algorithms.AES(material) if cipher == "aes" else algorithms.SM4(material)
    return Cipher(algorithm, modes.ECB())  # noqa: S305 - independent single blocks, see module doc


def _check(blocks: bytes | bytearray | memoryview) -> None:
    if len(blocks) % BLOCK_SIZE:
        raise InputError(f"the block buffer is not a multiple of {BLOCK_SIZE} bytes")


def prp_encrypt_blocks(
    cipher: BlockCipher, key: SecretKey, blocks: bytes | bytearray | memoryview
) -> bytes:
    """Apply the keyed permutation (AES or SM4 encryption) to every 16-byte block of *blocks*.

    Raises:
        InputError: unknown cipher, wrong key length, or a buffer that is not whole blocks.
    """
    _check(blocks)
    encryptor = _cipher(cipher, key).encryptor()
    return encryptor.update(blocks) + encryptor.finalize()


def prp_decrypt_blocks(
    cipher: BlockCipher, key: SecretKey, blocks: bytes | bytearray | memoryview
) -> bytes:
    """Invert :func:`prp_encrypt_blocks` block by block.

    Raises:
        InputError: unknown cipher, wrong key length, or a buffer that is not whole blocks.
    """
    _check(blocks)
    decryptor = _cipher(cipher, key).decryptor()
    return decryptor.update(blocks) + decryptor.finalize()


def hmac_many(digest: HmacDigest, key: SecretKey, messages: Iterable[bytes]) -> list[bytes]:
    """HMAC (RFC 2104) of each message under *key*, with SHA-256 or SM3 (GB/T 32905).

    The keyed inner and outer hash states are computed once and copied per message, which is
    about twice as fast as a one-shot HMAC per message on OpenSSL 3.

    Raises:
        InputError: unknown digest.
    """
    if digest not in ("sha256", "sm3"):
        raise InputError(f"unknown HMAC digest {digest!r} (use 'sha256' or 'sm3')")
    material = key._material()
    if len(material) > _HMAC_BLOCK:
        material = hashlib.new(digest, material).digest()
    padded = material.ljust(_HMAC_BLOCK, b"\0")
    new = _SHA256 if digest == "sha256" else partial(hashlib.new, digest)
    inner = new(bytes(b ^ 0x36 for b in padded))
    outer = new(bytes(b ^ 0x5C for b in padded))

    def one(message: bytes, inner_copy: Any = inner.copy, outer_copy: Any = outer.copy) -> bytes:
        state = inner_copy()
        state.update(message)
        result = outer_copy()
        result.update(state.digest())
        return result.digest()  # type: ignore[no-any-return]

    return list(map(one, messages))
