"""Known-answer tests for the pseudonym primitives, from the published vectors in tests/vectors/pseudonym."""

from __future__ import annotations

import hashlib
import hmac as stdlib_hmac
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.crypto import (
    SecretKey,
    hmac_many,
    prp_decrypt_blocks,
    prp_encrypt_blocks,
    siv_decrypt_many,
    siv_encrypt_many,
)
from govshare.exceptions import InputError, IntegrityError

VECTORS = Path(__file__).parents[1] / "vectors" / "pseudonym" / "primitives.json"


def load(name: str) -> list[dict[str, Any]]:
    """The vectors of one primitive."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))[name]  # type: ignore[no-any-return]


def key(hex_key: str) -> SecretKey:
    """A SecretKey handle for the vector's key (short RFC 4231 keys are padded by HMAC itself)."""
    return SecretKey.from_bytes(bytes.fromhex(hex_key))


@pytest.mark.parametrize("case", load("hmac_sha256"), ids=lambda c: c["source"])
def test_hmac_sha256_rfc4231(case: dict[str, Any]) -> None:
    """HMAC-SHA256 matches RFC 4231 (keys shorter than 16 bytes go through hmac directly)."""
    raw = bytes.fromhex(case["key"])
    data = bytes.fromhex(case["data"])
    if len(raw) < 16:
        import hmac

        assert hmac.digest(raw, data, "sha256").hex() == case["mac"]
        return
    assert hmac_many("sha256", key(case["key"]), [data])[0].hex() == case["mac"]


@pytest.mark.parametrize("case", load("sm3"), ids=lambda c: c["source"])
def test_sm3_gbt32905(case: dict[str, Any]) -> None:
    """The SM3 behind HMAC-SM3 matches GB/T 32905's examples."""
    assert hashlib.new("sm3", bytes.fromhex(case["data"])).hexdigest() == case["digest"]


def test_hmac_sm3_is_rfc2104_over_sm3() -> None:
    """HMAC-SM3 equals RFC 2104's construction computed by hand over SM3 (64-byte blocks)."""
    raw = bytes(range(32))
    message = b"11010519491231002X"
    padded = raw.ljust(64, b"\0")
    inner = hashlib.new("sm3", bytes(b ^ 0x36 for b in padded) + message).digest()
    outer = hashlib.new("sm3", bytes(b ^ 0x5C for b in padded) + inner).digest()
    assert hmac_many("sm3", SecretKey.from_bytes(raw), [message]) == [outer]


@pytest.mark.parametrize("case", load("sm4"), ids=lambda c: c["source"])
def test_sm4_gbt32907(case: dict[str, Any]) -> None:
    """SM4 single-block encryption matches GB/T 32907's example, and decrypts back."""
    plain = bytes.fromhex(case["plaintext"])
    sealed = prp_encrypt_blocks("sm4", key(case["key"]), plain)
    assert sealed.hex() == case["ciphertext"]
    assert prp_decrypt_blocks("sm4", key(case["key"]), sealed) == plain


@pytest.mark.parametrize("case", load("aes_ecb"), ids=lambda c: c["source"])
def test_aes_blocks_fips197_sp800_38a(case: dict[str, Any]) -> None:
    """AES-256 over independent blocks matches FIPS-197 and SP 800-38A ECB, and decrypts back."""
    plain = bytes.fromhex(case["plaintext"])
    sealed = prp_encrypt_blocks("aes", key(case["key"]), plain)
    assert sealed.hex() == case["ciphertext"]
    assert prp_decrypt_blocks("aes", key(case["key"]), sealed) == plain


@pytest.mark.parametrize("case", load("aes_siv"), ids=lambda c: c["source"])
def test_aes_siv_rfc5297(case: dict[str, Any]) -> None:
    """AES-SIV matches RFC 5297 A.1 and refuses a flipped bit with IntegrityError."""
    k, ad = key(case["key"]), bytes.fromhex(case["ad"])
    [sealed] = siv_encrypt_many(k, [bytes.fromhex(case["plaintext"])], ad)
    assert sealed.hex() == case["output"]
    assert siv_decrypt_many(k, [sealed], ad) == [bytes.fromhex(case["plaintext"])]
    with pytest.raises(IntegrityError):
        siv_decrypt_many(k, [bytes([sealed[0] ^ 1]) + sealed[1:]], ad)


@pytest.mark.parametrize("case", load("hkdf_sha256"), ids=lambda c: c["source"])
def test_hkdf_rfc5869(case: dict[str, Any]) -> None:
    """SecretKey.derive (the per-domain key derivation) matches RFC 5869."""
    derived = key(case["ikm"]).derive(
        bytes.fromhex(case["info"]), length=case["length"], salt=bytes.fromhex(case["salt"])
    )
    from govshare.hazmat import SECRET_ACCESS

    assert derived.export(SECRET_ACCESS).hex() == case["okm"]


def test_primitives_refuse_bad_keys_and_buffers() -> None:
    """Wrong key lengths, partial blocks and unknown algorithms raise InputError."""
    aes = SecretKey.from_bytes(bytes(32))
    with pytest.raises(InputError):
        prp_encrypt_blocks("sm4", aes, bytes(16))
    with pytest.raises(InputError):
        prp_encrypt_blocks("aes", aes, bytes(15))
    with pytest.raises(InputError):
        prp_encrypt_blocks("des", aes, bytes(16))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        hmac_many("md5", aes, [b""])  # type: ignore[arg-type]
    with pytest.raises(InputError):
        siv_encrypt_many(SecretKey.from_bytes(bytes(16)), [b"x"])


@given(
    key_bytes=st.binary(min_size=16, max_size=64),
    messages=st.lists(st.binary(max_size=200), max_size=20),
)
@settings(max_examples=100, deadline=None)
def test_hmac_sha256_matches_the_standard_library(key_bytes: bytes, messages: list[bytes]) -> None:
    """The built-in SHA-256 states give exactly the standard library's (OpenSSL) HMAC."""
    want = [stdlib_hmac.new(key_bytes, m, "sha256").digest() for m in messages]
    assert hmac_many("sha256", SecretKey.from_bytes(key_bytes), messages) == want
