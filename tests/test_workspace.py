"""Workspace: first open creates everything; later opens check keys and department."""

from __future__ import annotations

from pathlib import Path

import pytest

import govshare as gs
from govshare.testing import TEST_PASSPHRASE, TEST_SCRYPT, temporary_workspace
from tests.conftest import Target


def _open(target: Target, tmp_path: Path, **kw: object) -> gs.Workspace:
    options: dict[str, object] = {
        "passphrase": TEST_PASSPHRASE,
        "key_file": tmp_path / "ws.keys",
        "schema": target.schema,
        "scrypt": TEST_SCRYPT,
    }
    options.update(kw)
    return gs.Workspace.open(target.url, **options)  # type: ignore[arg-type]


def test_first_open_creates_and_records(target: Target, tmp_path: Path) -> None:
    """A new workspace has keys, meta, and a workspace.created event; reopening finds them."""
    with _open(target, tmp_path, department="civil-affairs") as ws:
        assert ws.department == "civil-affairs"
        assert ws.audit.get(0).event.type == "workspace.created"
        key = ws.public_key()
        origin = ws.origin
    with _open(target, tmp_path) as again:
        assert again.department == "civil-affairs"
        assert again.public_key() == key
        assert again.origin == origin
        assert again.audit.size() == 1


def test_new_workspace_needs_department(target: Target, tmp_path: Path) -> None:
    """Creating a workspace without a department says so."""
    with pytest.raises(gs.InputError, match="department"):
        _open(target, tmp_path)


@pytest.mark.parametrize("bad", ["Civil", "civil affairs", "-x", "x" * 64, ""])
def test_malformed_department(target: Target, tmp_path: Path, bad: str) -> None:
    """Department ids are lower-case letters, digits and hyphens."""
    with pytest.raises(gs.InputError):
        _open(target, tmp_path, department=bad)


def test_other_department_is_refused(target: Target, tmp_path: Path) -> None:
    """Opening a store as another department fails."""
    _open(target, tmp_path, department="civil-affairs").close()
    with pytest.raises(gs.InputError, match="belongs to department"):
        _open(target, tmp_path, department="hrss")


def test_missing_key_file(target: Target, tmp_path: Path) -> None:
    """An existing store whose key file is gone fails clearly and creates no new keys."""
    _open(target, tmp_path, department="civil-affairs").close()
    (tmp_path / "ws.keys").unlink()
    with pytest.raises(gs.KeyStoreError, match="missing"):
        _open(target, tmp_path)
    assert not (tmp_path / "ws.keys").exists()


def test_key_file_of_another_workspace(target: Target, tmp_path: Path) -> None:
    """A key file that did not create this store is refused."""
    _open(target, tmp_path, department="civil-affairs").close()
    other = tmp_path / "other"
    temporary_workspace(other, department="civil-affairs").close()
    with pytest.raises(gs.KeyStoreError, match="another workspace"):
        _open(target, tmp_path, key_file=other / "govshare.keys")


def test_wrong_passphrase_leaves_store_unchanged(target: Target, tmp_path: Path) -> None:
    """A wrong passphrase raises WrongPassphrase and the log does not change."""
    with _open(target, tmp_path, department="civil-affairs") as ws:
        ws.audit.record("test.x")
        size = ws.audit.size()
    with pytest.raises(gs.WrongPassphrase):
        _open(target, tmp_path, passphrase="wrong")
    with gs.open_audit_log(target.url, schema=target.schema) as log:
        assert log.size() == size
        log.verify()


def test_open_audit_log_without_keys(target: Target, tmp_path: Path) -> None:
    """An auditor opens the log with only the public key and verifies it."""
    with _open(target, tmp_path, department="civil-affairs") as ws:
        ws.audit.checkpoint()
        key = ws.public_key()
    with gs.open_audit_log(target.url, key=key, schema=target.schema) as log:
        assert log.verify().size == 1
        with pytest.raises(gs.InputError, match="without a signing key"):
            log.checkpoint()


def test_open_audit_log_with_wrong_key(target: Target, tmp_path: Path) -> None:
    """Opening a log to verify with a key that did not sign it fails (before any verification)."""
    with _open(target, tmp_path, department="civil-affairs") as ws:
        ws.audit.checkpoint()
    with temporary_workspace(tmp_path / "x", department="other") as other:
        wrong = other.audit.verify_key
    with pytest.raises(gs.SignatureError):
        gs.open_audit_log(target.url, key=wrong, schema=target.schema)


def test_open_audit_log_on_empty_store(tmp_path: Path) -> None:
    """An empty store has no audit log to open."""
    with pytest.raises(gs.StoreUnavailable, match="no SQLite store"):
        gs.open_audit_log(f"sqlite:///{tmp_path / 'e.db'}")
    assert not (tmp_path / "e.db").exists()
    gs.Store.open(f"sqlite:///{tmp_path / 'e.db'}").close()
    with pytest.raises(gs.StorageError, match="no govshare workspace"):
        gs.open_audit_log(f"sqlite:///{tmp_path / 'e.db'}")


def test_default_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without arguments the store is ./govshare.db and its keys ./govshare.db.keys."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVSHARE_URL", raising=False)
    monkeypatch.delenv("GOVSHARE_KEY_FILE", raising=False)
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", TEST_PASSPHRASE)
    with gs.Workspace.open(department="civil-affairs", scrypt=TEST_SCRYPT) as ws:
        assert ws.keys.path.resolve() == (tmp_path / "govshare.db.keys").resolve()
    assert (tmp_path / "govshare.db").exists()


def test_repr_shows_no_secrets(tmp_path: Path) -> None:
    """Workspace and log reprs name the department and store only."""
    with temporary_workspace(tmp_path) as ws:
        text = repr(ws) + repr(ws.audit) + repr(ws.keys)
    assert TEST_PASSPHRASE not in text
    assert "test-department" in text


def test_rotating_signing_key_keeps_log_verifiable(tmp_path: Path) -> None:
    """After the signing key is rotated the log still signs and verifies with its published key."""
    with temporary_workspace(tmp_path) as ws:
        published = ws.public_key()
        ws.audit.checkpoint()
        ws.keys.rotate("signing")
    with temporary_workspace(tmp_path) as ws:
        assert ws.public_key() == published
        ws.audit.checkpoint()
        ws.audit.verify()
