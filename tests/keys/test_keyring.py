"""KeyRing and the encrypted key file: round trips, wrong passphrases, corruption, no leaks."""

from __future__ import annotations

import base64
import json
import pickle
import stat
from pathlib import Path

import pytest

from govshare import (
    InputError,
    KeyFileCorrupted,
    KeyNotFound,
    KeyRing,
    KeyStoreError,
    WrongPassphrase,
)
from govshare.hazmat import SECRET_ACCESS, export_signing_key
from govshare.testing import TEST_SCRYPT

PASS = "correct horse battery staple"


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    """A new key ring in a temporary folder."""
    return KeyRing.create(
        tmp_path / "k.keys", department="civil", passphrase=PASS, scrypt=TEST_SCRYPT
    )


def test_round_trip(ring: KeyRing) -> None:
    """A key file reopens with the same signing key and key infos."""
    again = KeyRing.open(ring.path, passphrase=PASS)
    assert again.department == "civil"
    assert again.key_infos() == ring.key_infos()
    assert again.signing_key().verify_key == ring.signing_key().verify_key
    assert ring.verify_key(ring.key_infos()[0].kid) == ring.signing_key().verify_key


def test_file_is_private_and_has_no_plaintext_key(ring: KeyRing) -> None:
    """The key file is mode 0600 and does not contain the key bytes in any encoding."""
    mode = stat.S_IMODE(ring.path.stat().st_mode)
    assert mode == 0o600
    secret = export_signing_key(ring, SECRET_ACCESS)
    raw = ring.path.read_bytes()
    for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
        assert form not in raw


def test_passphrase_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GOVSHARE_PASSPHRASE is used when no passphrase is passed."""
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", PASS)
    KeyRing.create(tmp_path / "e.keys", department="civil", scrypt=TEST_SCRYPT)
    assert KeyRing.open(tmp_path / "e.keys").department == "civil"


def test_no_passphrase_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a passphrase or GOVSHARE_PASSPHRASE the error says how to give one."""
    monkeypatch.delenv("GOVSHARE_PASSPHRASE", raising=False)
    with pytest.raises(KeyStoreError, match="GOVSHARE_PASSPHRASE"):
        KeyRing.create(tmp_path / "n.keys", department="civil")


def test_wrong_passphrase(ring: KeyRing) -> None:
    """A wrong passphrase raises WrongPassphrase and does not change the file."""
    before = ring.path.read_bytes()
    with pytest.raises(WrongPassphrase):
        KeyRing.open(ring.path, passphrase="wrong")
    assert ring.path.read_bytes() == before


def test_missing_file(tmp_path: Path) -> None:
    """A missing key file raises KeyStoreError naming the path."""
    with pytest.raises(KeyStoreError, match="does not exist"):
        KeyRing.open(tmp_path / "absent.keys", passphrase=PASS)


def test_create_refuses_to_overwrite(ring: KeyRing) -> None:
    """Creating a key file where one exists is refused, keeping the old keys."""
    before = ring.path.read_bytes()
    with pytest.raises(KeyStoreError, match="already exists"):
        KeyRing.create(ring.path, department="x", passphrase=PASS, scrypt=TEST_SCRYPT)
    assert ring.path.read_bytes() == before


def _edit(path: Path, **changes: object) -> None:
    doc = json.loads(path.read_text())
    for dotted, value in changes.items():
        target = doc
        *parents, leaf = dotted.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"format": "other"}, KeyFileCorrupted),
        ({"version": 2}, KeyFileCorrupted),
        ({"cipher": "none"}, KeyFileCorrupted),
        ({"nonce": "!!!"}, KeyFileCorrupted),
        ({"kdf__salt": base64.b64encode(b"\x00" * 16).decode()}, WrongPassphrase),
        ({"kdf__n": 2**11}, WrongPassphrase),
        ({"kdf__n": 2**40}, KeyFileCorrupted),
        ({"ciphertext": base64.b64encode(b"\x00" * 80).decode()}, WrongPassphrase),
    ],
)
def test_altered_file_is_refused(
    ring: KeyRing, changes: dict[str, object], error: type[Exception]
) -> None:
    """Any change to the key file's header or ciphertext makes it fail to open."""
    _edit(ring.path, **changes)
    with pytest.raises(error):
        KeyRing.open(ring.path, passphrase=PASS)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"\xff\xfe", b'{"format": 1}'])
def test_garbage_file_is_corrupted(tmp_path: Path, content: bytes) -> None:
    """Truncated or non-JSON key files raise KeyFileCorrupted."""
    path = tmp_path / "bad.keys"
    path.write_bytes(content)
    path.chmod(0o600)  # a key file readable by others would (rightly) warn
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


def test_truncated_file_is_corrupted(ring: KeyRing) -> None:
    """A key file cut in half is reported as corrupted."""
    raw = ring.path.read_bytes()
    ring.path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(ring.path, passphrase=PASS)


def test_no_key_material_in_repr_or_pickle(ring: KeyRing) -> None:
    """repr never shows keys or the passphrase, and the ring refuses pickling."""
    secret = export_signing_key(ring, SECRET_ACCESS)
    text = repr(ring) + repr(ring.key_infos()) + repr(ring.signing_key())
    assert secret.hex() not in text
    assert PASS not in text
    with pytest.raises(TypeError):
        pickle.dumps(ring)


def test_hazmat_export_needs_access(ring: KeyRing) -> None:
    """hazmat.export_signing_key refuses without SECRET_ACCESS."""
    with pytest.raises(PermissionError):
        export_signing_key(ring, object())  # type: ignore[arg-type]
    assert len(export_signing_key(ring, SECRET_ACCESS)) == 32


def test_change_passphrase(ring: KeyRing) -> None:
    """After changing the passphrase only the new one opens the file."""
    ring.change_passphrase("new passphrase")
    with pytest.raises(WrongPassphrase):
        KeyRing.open(ring.path, passphrase=PASS)
    assert KeyRing.open(ring.path, passphrase="new passphrase").department == "civil"


def test_rotate_keeps_old_versions_usable(ring: KeyRing) -> None:
    """rotate() adds a primary version; the old one still verifies until retired."""
    old = ring.signing_key()
    info = ring.rotate("signing")
    assert info.version == 2
    assert ring.signing_key().verify_key != old.verify_key
    assert ring.signing_key(version=1).verify_key == old.verify_key
    assert len(ring.public_keys()) == 2
    ring.retire("signing", 1)
    assert len(ring.public_keys()) == 1
    with pytest.raises(KeyNotFound, match="retired"):
        ring.signing_key(version=1)
    again = KeyRing.open(ring.path, passphrase=PASS)
    signing = [(k.version, k.status) for k in again.key_infos() if k.name == "signing"]
    assert signing == [(1, "retired"), (2, "active")]


def test_last_signing_key_cannot_be_retired(ring: KeyRing) -> None:
    """Retiring the only active signing key is refused."""
    with pytest.raises(InputError, match="rotate"):
        ring.retire("signing", 1)


def test_secret_keys_and_derivation(ring: KeyRing) -> None:
    """ensure() creates a named secret once; HKDF derivation separates by info."""
    info = ring.ensure("pseudonym-root", "secret")
    assert ring.ensure("pseudonym-root", "secret") == info
    root = ring.secret_key("pseudonym-root")
    assert KeyRing.open(ring.path, passphrase=PASS).secret_key("pseudonym-root") == root
    a, b = root.derive(b"domain=a"), root.derive(b"domain=b")
    assert a != b
    assert a == root.derive(b"domain=a")
    assert root.export(SECRET_ACCESS).hex() not in repr(root) + repr(a)
    with pytest.raises(InputError):
        ring.ensure("pseudonym-root", "ed25519")
    with pytest.raises(KeyNotFound):
        ring.signing_key("pseudonym-root")
    with pytest.raises(InputError):
        ring.ensure("Bad Name", "secret")


def test_hkdf_rfc5869_vector() -> None:
    """SecretKey.derive is HKDF-SHA256: RFC 5869 test case 1."""
    from govshare.crypto import SecretKey

    ikm = SecretKey.from_bytes(bytes.fromhex("0b" * 22))
    okm = ikm.derive(
        bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        length=42,
        salt=bytes.fromhex("000102030405060708090a0b0c"),
    )
    assert okm.export(SECRET_ACCESS) == bytes.fromhex(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
