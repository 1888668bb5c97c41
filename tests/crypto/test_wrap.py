"""Key wrapping for remote workers: a published AES-256-GCM vector, binding, tampering, pickling."""

from __future__ import annotations

import pickle

import pytest

from govshare.crypto import SecretKey, WrappingKey
from govshare.exceptions import InputError, IntegrityError
from govshare.hazmat import SECRET_ACCESS

# McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test case 16 (AES-256, 96-bit IV).
GCM_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
GCM_IV = bytes.fromhex("cafebabefacedbaddecaf888")
GCM_PLAIN = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
GCM_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM_CIPHER = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
)
GCM_TAG = bytes.fromhex("76fc6ece0f4e1768cddf8853bb2d551b")


def test_unwrap_opens_the_published_gcm_vector() -> None:
    """unwrap() of nonce || ciphertext || tag of GCM test case 16 gives its plaintext."""
    key = WrappingKey(GCM_KEY).unwrap(GCM_IV + GCM_CIPHER + GCM_TAG, aad=GCM_AAD)
    assert key.export(SECRET_ACCESS) == GCM_PLAIN


def test_wrap_round_trips_with_a_fresh_nonce_each_time() -> None:
    """A wrapped key unwraps to the same key; wrapping twice never repeats the nonce."""
    wrapping, key = WrappingKey.generate(), SecretKey.generate()
    first, second = wrapping.wrap(key, aad=b"purpose"), wrapping.wrap(key, aad=b"purpose")
    assert first[:12] != second[:12]
    assert wrapping.unwrap(first, aad=b"purpose") == key
    assert key.export(SECRET_ACCESS) not in first


@pytest.mark.parametrize("change", ["aad", "key", "bit", "short"])
def test_unwrap_refuses_another_purpose_key_or_altered_bytes(change: str) -> None:
    """Another aad, another wrapping key, a flipped bit or a truncated blob is an IntegrityError."""
    wrapping, key = WrappingKey.generate(), SecretKey.generate()
    sealed = wrapping.wrap(key, aad=b"domain-a")
    aad, opener = b"domain-a", wrapping
    if change == "aad":
        aad = b"domain-b"
    elif change == "key":
        opener = WrappingKey.generate()
    elif change == "bit":
        sealed = sealed[:20] + bytes([sealed[20] ^ 1]) + sealed[21:]
    else:
        sealed = sealed[:30]
    with pytest.raises(IntegrityError):
        opener.unwrap(sealed, aad=aad)


def test_wrapping_key_hides_its_bytes_but_pickles_on_purpose() -> None:
    """repr/str never show the key; a pickled wrapping key still opens what it sealed."""
    wrapping, key = WrappingKey.generate(), SecretKey.generate()
    raw = wrapping.__reduce__()[1][0]
    assert raw.hex() not in repr(wrapping)
    assert str(wrapping) == "WrappingKey(256 bits)"
    copy = pickle.loads(pickle.dumps(wrapping))
    assert copy.unwrap(wrapping.wrap(key, aad=b"x"), aad=b"x") == key


def test_wrapping_keys_are_exactly_32_bytes_and_wrap_only_secret_keys() -> None:
    """A wrapping key of another size, or wrapping something that is not a SecretKey, is refused."""
    with pytest.raises(InputError):
        WrappingKey(bytes(16))
    with pytest.raises(InputError):
        WrappingKey.generate().wrap(bytes(32), aad=b"x")  # type: ignore[arg-type]
