"""Bad names are refused before anything is created, and a failed first open can be retried
(issue 11, section 3)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from govshare import GovShareError, IdentifierInText, InputError, Workspace
from govshare.storage import Store
from govshare.testing import TEST_PASSPHRASE, TEST_SCRYPT, temporary_workspace

CONTROL = [
    "civil\n",
    "civil\r",
    "ci\x00vil",
    "civil\t",
    "\x1bcivil",
    "civil\x7f",
    "ｃivil",
    "civil\u200b",
]


def _open(folder: Path, department: str, **kw: object) -> Workspace:
    return Workspace.open(
        f"sqlite:///{folder / 'govshare.db'}",
        department=department,
        passphrase=TEST_PASSPHRASE,
        key_file=folder / "govshare.keys",
        scrypt=TEST_SCRYPT,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("department", [*CONTROL, "13800138000", "110101199003071233"])
def test_bad_department_ids_create_nothing(tmp_path: Path, department: str) -> None:
    """A department id with control or look-alike characters, or shaped like an identifier, is
    refused before a database or key file exists; the message does not repeat it."""
    with pytest.raises(InputError) as info:
        _open(tmp_path, department)
    assert list(tmp_path.iterdir()) == []
    assert department.strip() not in str(info.value)


def test_identifier_shaped_department_is_a_typed_error(tmp_path: Path) -> None:
    """An identifier-shaped department id is IdentifierInText."""
    with pytest.raises(IdentifierInText):
        _open(tmp_path, "13800138000")


@pytest.mark.parametrize("domain", [*CONTROL, "13800138000"])
def test_bad_domains_are_refused(tmp_path: Path, domain: str) -> None:
    """A pseudonym domain with control characters or shaped like an identifier is refused."""
    ws = temporary_workspace(tmp_path)
    try:
        with pytest.raises(InputError):
            ws.pseudonymiser(domain=domain)
    finally:
        ws.close()


def test_a_failed_first_open_leaves_no_key_file_in_the_way(tmp_path: Path) -> None:
    """When creating the workspace fails after its keys were made, the key file goes too, so a
    retry (even with another passphrase) succeeds."""
    db = tmp_path / "govshare.db"
    Store.open(f"sqlite:///{db}").close()  # an empty store whose first write will fail
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TRIGGER no_meta BEFORE INSERT ON workspace_meta "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    con.commit()
    con.close()
    with pytest.raises(Exception, match="disk full"):
        _open(tmp_path, "civil-affairs")
    assert not (tmp_path / "govshare.keys").exists()
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER no_meta")
    con.commit()
    con.close()
    ws = Workspace.open(
        f"sqlite:///{db}",
        department="civil-affairs",
        passphrase="another passphrase",
        key_file=tmp_path / "govshare.keys",
        scrypt=TEST_SCRYPT,
    )
    try:
        assert ws.department == "civil-affairs"
        assert ws.audit.size() == 1
    finally:
        ws.close()


def _postgres_url() -> str:
    url = os.environ.get("GOVSHARE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GOVSHARE_TEST_POSTGRES_URL is not set")
    return url


def _schemas(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT schema_name FROM information_schema.schemata"))
            return {r[0] for r in rows}
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("suffix", ["\n", "\x00", "\t", "\x1b", " ", "-x", "Ä"])
def test_bad_postgres_schema_names_create_nothing(tmp_path: Path, suffix: str) -> None:
    """A schema name with control or non-identifier characters is refused before any schema,
    table or key file is created."""
    url = _postgres_url()
    before = _schemas(url)
    schema = f"gs_bad_{uuid.uuid4().hex[:8]}{suffix}"
    with pytest.raises(GovShareError):
        Workspace.open(
            url,
            department="civil-affairs",
            schema=schema,
            passphrase=TEST_PASSPHRASE,
            key_file=tmp_path / "govshare.keys",
            scrypt=TEST_SCRYPT,
        )
    assert _schemas(url) == before
    assert list(tmp_path.iterdir()) == []
