"""`govshare audit verify` exits 1 when the store's origin or log key was altered, 2 only for a
mistake in the command (issue 11, section 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from govshare.testing import temporary_workspace
from tests.conftest import Run

DB = "sqlite:///govshare.db"


def _alter(folder: Path, key: str, value: str) -> None:
    con = sqlite3.connect(folder / "govshare.db")
    con.execute("UPDATE workspace_meta SET value = ? WHERE key = ?", (value, key))
    con.commit()
    con.close()


@pytest.fixture
def logged(cli_workspace: Run) -> Run:
    """A CLI workspace with a few events and a signed checkpoint."""
    assert cli_workspace("demo")[0] == 0
    assert cli_workspace("audit", "checkpoint")[0] == 0
    return cli_workspace


def _key(run: Run) -> str:
    code, out, _ = run("audit", "public-key")
    assert code == 0
    return out.strip().splitlines()[-1]


def _other_key(tmp_path: Path) -> str:
    other = temporary_workspace(tmp_path / "elsewhere", department="civil-affairs")
    try:
        return other.public_key()
    finally:
        other.close()


@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("origin", "govshare/civil-affairs/audit/0000000000000000"),
        ("origin", ""),
        ("origin", "govshare/civil-affairs/audit/\n"),
        ("log_key", "garbage"),
        ("log_key", ""),
        ("log_key", "OTHER"),
    ],
)
def test_an_altered_origin_or_log_key_exits_1(
    logged: Run, tmp_path: Path, field: str, value: str, with_key: bool
) -> None:
    """Whatever the alteration, verify says the log is not what it should be: exit 1, one line."""
    key = _key(logged)
    if value == "OTHER":
        value = _other_key(tmp_path)
    _alter(tmp_path, field, value)
    args = ["audit", "verify", "--db", DB] + (["--key", key] if with_key else [])
    code, out, err = logged(*args)
    assert code == 1, (out, err)
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_an_unaltered_store_verifies(logged: Run) -> None:
    """The same store before any alteration verifies with and without the auditor's key."""
    key = _key(logged)
    assert logged("audit", "verify", "--db", DB)[0] == 0
    assert logged("audit", "verify", "--db", DB, "--key", key)[0] == 0


@pytest.mark.parametrize("bad_key", ["not-a-key", "x+00000000+AAAA", ""])
def test_a_malformed_key_argument_is_still_a_usage_error(logged: Run, bad_key: str) -> None:
    """A --key that is not a verifier key string is the command's mistake: exit 2."""
    code, _, err = logged("audit", "verify", "--db", DB, "--key", bad_key)
    assert code == 2
    assert "Traceback" not in err
