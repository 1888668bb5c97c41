"""Crypto handles: published vectors, and no key material in repr, str, pickle or copies."""

from __future__ import annotations

import copy
import pickle

import pytest

from govshare.crypto import (
    ScryptParams,
    SigningKey,
    VerifyKey,
    new_salt,
    open_sealed,
    seal,
)
from govshare.exceptions import InputError, KeyFileCorrupted, WrongPassphrase
from govshare.hazmat import SECRET_ACCESS

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
# RFC 7914 section 12, third vector: P="pleaseletmein", S="SodiumChloride", N=16384, r=8, p=1.
RFC7914_DK = bytes.fromhex(
    "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
    "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"
)


def test_ed25519_rfc8032_vector() -> None:
    """Signing the RFC 8032 test 1 message gives the published signature, which verifies."""
    key = SigningKey.from_private_bytes(RFC8032_SECRET)
    assert key.verify_key.raw == RFC8032_PUBLIC
    assert key.sign(b"") == RFC8032_SIG
    assert VerifyKey(RFC8032_PUBLIC).verify(RFC8032_SIG, b"")
    assert not VerifyKey(RFC8032_PUBLIC).verify(RFC8032_SIG, b"x")
    assert not VerifyKey(RFC8032_PUBLIC).verify(RFC8032_SIG[:-1], b"")


def test_scrypt_rfc7914_vector() -> None:
    """scrypt derives the RFC 7914 test vector (its first 32 bytes)."""
    params = ScryptParams(n=16384, r=8, p=1)
    assert params.derive("pleaseletmein", b"SodiumChloride") == RFC7914_DK[:32]


def test_signing_key_never_shows_its_secret() -> None:
    """repr and str of a signing key show only the public fingerprint."""
    key = SigningKey.from_private_bytes(RFC8032_SECRET)
    for text in (repr(key), str(key)):
        assert RFC8032_SECRET.hex() not in text
        assert "9d61b19d" not in text
        assert key.verify_key.fingerprint() in text


def test_signing_key_refuses_pickle_and_copy() -> None:
    """A signing key cannot be pickled or copied out of its handle."""
    key = SigningKey.generate()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


def test_export_needs_secret_access() -> None:
    """Raw key bytes come out only with SECRET_ACCESS."""
    key = SigningKey.from_private_bytes(RFC8032_SECRET)
    with pytest.raises(PermissionError, match="SECRET_ACCESS"):
        key.private_bytes(object())
    assert key.private_bytes(SECRET_ACCESS) == RFC8032_SECRET


@pytest.mark.parametrize("raw", [b"", b"\x00" * 31, b"\x00" * 33])
def test_wrong_length_keys_are_refused(raw: bytes) -> None:
    """Keys that are not 32 bytes raise InputError."""
    with pytest.raises(InputError):
        SigningKey.from_private_bytes(raw)
    with pytest.raises(InputError):
        VerifyKey(raw)


def test_seal_round_trip_and_failures() -> None:
    """Sealed data opens with the right passphrase and AAD only."""
    params = ScryptParams(n=2**10)
    salt = new_salt()
    nonce, ct = seal(b"secret", "pw", b"aad", params, salt)
    assert open_sealed(salt, nonce, ct, "pw", b"aad", params) == b"secret"
    with pytest.raises(WrongPassphrase):
        open_sealed(salt, nonce, ct, "wrong", b"aad", params)
    with pytest.raises(WrongPassphrase):
        open_sealed(salt, nonce, ct, "pw", b"other", params)
    with pytest.raises(KeyFileCorrupted):
        open_sealed(salt[:3], nonce, ct, "pw", b"aad", params)
    with pytest.raises(InputError):
        params.derive("", salt)


@pytest.mark.parametrize("n", [0, 1, 16, 1 << 16, (1 << 16) + 1, 1 << 20])
def test_random_bytes_lengths_and_freshness(n: int) -> None:
    """random_bytes returns n bytes, different on every call, on both the OS and AES-CTR paths."""
    from govshare.crypto import random_bytes

    a, b = random_bytes(n), random_bytes(n)
    assert len(a) == len(b) == n
    if n >= 16:
        assert a != b


def test_random_bytes_bulk_path_is_uniform() -> None:
    """The AES-CTR path's byte values are uniform (chi-square, 255 degrees of freedom)."""
    import numpy as np

    from govshare.crypto import random_bytes

    data = np.frombuffer(random_bytes(1 << 22), dtype=np.uint8)
    counts = np.bincount(data, minlength=256)
    expected = len(data) / 256
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert 150 < chi2 < 380  # p > 1e-6 on both sides for 255 degrees of freedom


def test_random_bytes_rejects_bad_sizes() -> None:
    """Negative or absurd sizes raise InputError."""
    from govshare.crypto import random_bytes

    with pytest.raises(InputError):
        random_bytes(-1)
    with pytest.raises(InputError):
        random_bytes(1 << 40)
