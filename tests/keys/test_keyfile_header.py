"""A tampered key-file header is KeyFileCorrupted before any key derivation; files are private
(issue 11, section 3)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import InputError, KeyFileCorrupted, KeyRing
from govshare.crypto import ScryptParams
from govshare.keys import MAX_KEY_FILE_BYTES, MAX_SCRYPT_MEMORY, InsecureKeyFileWarning
from govshare.testing import TEST_SCRYPT, temporary_workspace

PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of one valid key file (cheap KDF)."""
    path = tmp_path_factory.mktemp("kf") / "k.keys"
    KeyRing.create(path, department="civil", passphrase=PASS, scrypt=TEST_SCRYPT)
    return path.read_bytes()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _tampered(original: bytes, field: str, value: object) -> bytes:
    doc = json.loads(original)
    if field in ("n", "r", "p", "salt", "name"):
        doc["kdf"][field] = value
    else:
        doc[field] = value
    return json.dumps(doc).encode()


COSTS = [
    0,
    -1,
    1,
    2**10 + 1,  # not a power of two
    2**21,
    2**40,
    2**64,
    -(2**64),
    10**400,
    1.5,
    1024.0,
    "1024",
    True,
    None,
    [1024],
    {"n": 1024},
]


@pytest.mark.parametrize("field", ["n", "r", "p"])
@pytest.mark.parametrize("value", COSTS, ids=repr)
def test_tampered_scrypt_costs_are_corrupted(
    tmp_path: Path, original: bytes, field: str, value: object
) -> None:
    """Zero, negative, huge, fractional or non-integer costs raise KeyFileCorrupted, never
    ValueError, OverflowError or MemoryError (checked before any derivation)."""
    if field != "n" and value in (1, 2**10 + 1, 1024.0) and type(value) is int:
        value = 10**6  # 1 and 1025 are fine values of r and p; make them implausible
    path = _write(tmp_path / "k.keys", _tampered(original, field, value))
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


@pytest.mark.parametrize(("n", "r"), [(2**20, 16), (2**19, 32), (2**14, 2**10)])
def test_costs_needing_too_much_memory_are_corrupted(
    tmp_path: Path, original: bytes, n: int, r: int
) -> None:
    """A header whose scrypt would need more than MAX_SCRYPT_MEMORY is refused unopened."""
    assert 128 * n * r > MAX_SCRYPT_MEMORY
    doc = json.loads(original)
    doc["kdf"].update(n=n, r=r)
    path = _write(tmp_path / "k.keys", json.dumps(doc).encode())
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", True),
        ("version", 1.0),
        ("version", "1"),
        ("format", None),
        ("name", "argon2"),
        ("salt", 123),
        ("nonce", ["x"]),
        ("ciphertext", None),
        ("kdf", "scrypt"),
    ],
)
def test_header_types_are_strict(
    tmp_path: Path, original: bytes, field: str, value: object
) -> None:
    """Every header field has one JSON type; anything else is KeyFileCorrupted."""
    path = _write(tmp_path / "k.keys", _tampered(original, field, value))
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5), lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3), max_leaves=6))  # fmt: skip
def test_any_kdf_value_gives_a_typed_error(tmp_path: Path, original: bytes, junk: object) -> None:
    """Whatever JSON replaces the kdf object, opening fails with KeyFileCorrupted only."""
    path = _write(tmp_path / "k.keys", _tampered(original, "kdf", junk))
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


def test_deeply_nested_json_is_corrupted(tmp_path: Path) -> None:
    """JSON nested beyond the parser's recursion limit is KeyFileCorrupted, not RecursionError."""
    path = _write(tmp_path / "k.keys", b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    """A file larger than MAX_KEY_FILE_BYTES is refused without being read into memory."""
    path = tmp_path / "k.keys"
    with path.open("wb") as fh:
        fh.truncate(MAX_KEY_FILE_BYTES + 1)  # sparse: no real disk or memory used
    path.chmod(0o600)
    with pytest.raises(KeyFileCorrupted):
        KeyRing.open(path, passphrase=PASS)


@pytest.mark.parametrize("params", [ScryptParams(n=2**21), ScryptParams(r=64), ScryptParams(p=0)])
def test_unopenable_costs_are_refused_when_writing(tmp_path: Path, params: ScryptParams) -> None:
    """KeyRing.create refuses costs it could not open again (InputError, no file written)."""
    path = tmp_path / "k.keys"
    with pytest.raises(InputError):
        KeyRing.create(path, department="civil", passphrase=PASS, scrypt=params)
    assert not path.exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_and_sqlite_store_are_owner_only(tmp_path: Path) -> None:
    """A new workspace's key file, database and its -wal/-shm files are mode 0600."""
    ws = temporary_workspace(tmp_path)
    try:
        ws.audit.record("test.event", {"i": 1})
        files = [p for p in tmp_path.iterdir() if p.is_file()]
        assert {p.name for p in files} >= {"govshare.db", "govshare.keys"}
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    finally:
        ws.close()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o666])
def test_opening_a_shared_key_file_warns(tmp_path: Path, original: bytes, mode: int) -> None:
    """A key file readable or writable by group or others opens, with InsecureKeyFileWarning."""
    path = _write(tmp_path / "k.keys", original)
    path.chmod(mode)
    with pytest.warns(InsecureKeyFileWarning, match="chmod 600"):
        ring = KeyRing.open(path, passphrase=PASS)
    assert ring.department == "civil"
