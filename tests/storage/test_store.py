"""Store: engines, pragmas, migrations and the errors a user can hit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from govshare import InputError, SchemaTooNew, StorageError, Store, StoreUnavailable
from govshare.storage import default_url
from tests.conftest import Target


def _head() -> str:
    """The newest migration shipped with the library."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "govshare.storage:migrations")
    (head,) = ScriptDirectory.from_config(cfg).get_heads()
    return head


HEAD = _head()


def test_open_creates_schema_at_head(target: Target) -> None:
    """A new store is migrated to the library's schema revision on open."""
    with Store.open(target.url, schema=target.schema) as store:
        assert store.schema_revision() == HEAD
        store.check_schema()


def test_migrate_is_idempotent(target: Target) -> None:
    """Opening an existing store again neither fails nor changes its revision."""
    Store.open(target.url, schema=target.schema).close()
    with Store.open(target.url, schema=target.schema) as store:
        store.migrate()
        assert store.schema_revision() == HEAD


def test_schema_newer_than_library_is_refused(target: Target) -> None:
    """A store stamped with an unknown (newer) revision raises SchemaTooNew and is left alone."""
    with Store.open(target.url, schema=target.schema) as store, store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer than this govshare"):
        Store.open(target.url, schema=target.schema)
    with pytest.raises(SchemaTooNew):
        Store.open(target.url, schema=target.schema, migrate=False)


def test_check_schema_on_empty_database_asks_for_migrate(tmp_path: Path) -> None:
    """Opening an empty database without migrating says how to fix it, and creates nothing."""
    with pytest.raises(StoreUnavailable, match="no SQLite store"):
        Store.open(f"sqlite:///{tmp_path / 'empty.db'}", migrate=False)
    assert not (tmp_path / "empty.db").exists()
    sqlite3.connect(tmp_path / "empty.db").close()
    with pytest.raises(StorageError, match="migrate=True"):
        Store.open(f"sqlite:///{tmp_path / 'empty.db'}", migrate=False)


def test_transaction_rolls_back_on_error(target: Target) -> None:
    """A failing write transaction leaves no trace."""
    with Store.open(target.url, schema=target.schema) as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            conn.execute(text("INSERT INTO workspace_meta (key, value) VALUES ('k', 'v')"))
            raise RuntimeError("boom")
        with store.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM workspace_meta")).scalar_one() == 0


def test_sqlite_pragmas(tmp_path: Path) -> None:
    """SQLite stores run in WAL mode with foreign keys on and a long busy timeout."""
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store, store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 30_000


def test_in_memory_sqlite_works() -> None:
    """``sqlite://`` gives a working in-memory store."""
    with Store.open("sqlite://") as store:
        assert store.schema_revision() == HEAD


def test_default_url_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """GOVSHARE_URL overrides the ./govshare.db default."""
    monkeypatch.delenv("GOVSHARE_URL", raising=False)
    assert default_url() == "sqlite:///govshare.db"
    monkeypatch.setenv("GOVSHARE_URL", "sqlite:///other.db")
    assert default_url() == "sqlite:///other.db"


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://root@localhost/test", "postgresql+asyncpg://x@localhost/db"]
)
def test_bad_urls_are_input_errors(url: str) -> None:
    """Malformed or unsupported URLs raise InputError."""
    with pytest.raises(InputError):
        Store.open(url)


def test_missing_sqlite_folder_is_unavailable(tmp_path: Path) -> None:
    """A SQLite path in a folder that does not exist raises StoreUnavailable."""
    with pytest.raises(StoreUnavailable, match="does not exist"):
        Store.open(f"sqlite:///{tmp_path / 'nope' / 's.db'}")


def test_unreachable_postgres_is_unavailable() -> None:
    """A PostgreSQL server that does not answer raises StoreUnavailable without the password."""
    with pytest.raises(StoreUnavailable) as info:
        Store.open("postgresql+psycopg://u:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(info.value)


def test_schema_only_on_postgres(tmp_path: Path) -> None:
    """schema= is refused for SQLite and for names that are not plain identifiers."""
    with pytest.raises(InputError):
        Store.open(f"sqlite:///{tmp_path / 's.db'}", schema="x")
    with pytest.raises(InputError):
        Store.open("postgresql+psycopg://u@127.0.0.1:1/db", schema='x"; drop')


def test_repr_hides_password() -> None:
    """The store's URL never shows a password."""
    with Store.open("sqlite://") as store:
        assert repr(store) == "Store('sqlite://')"
    store = Store.__new__(Store)
    from sqlalchemy import make_url

    store._url = make_url("postgresql+psycopg://u:pw@h/db")
    assert "pw" not in store.url


def test_single_statement_query(target: Target) -> None:
    """Store.query runs one read statement and sees committed rows, on both backends."""
    with Store.open(target.url, schema=target.schema) as store:
        with store.transaction() as conn:
            conn.execute(text("INSERT INTO workspace_meta (key, value) VALUES ('k', 'v')"))
        rows = store.query(text("SELECT value FROM workspace_meta WHERE key = :k"), {"k": "k"})
        assert [tuple(r) for r in rows] == [("v",)]
        with store.transaction() as conn:  # no transaction was left open by query()
            conn.execute(text("DELETE FROM workspace_meta"))
        assert store.query(text("SELECT count(*) FROM workspace_meta"))[0][0] == 0


def test_fast_sqlite_reads_match_sqlalchemy(tmp_path: Path) -> None:
    """On SQLite, Store.query's DBAPI path returns what SQLAlchemy returns, by index and name."""
    from sqlalchemy import bindparam, literal, select, union_all

    from govshare.storage import workspace_meta as meta

    with Store.open(f"sqlite:///{tmp_path / 'q.db'}") as store:
        with store.transaction() as conn:
            conn.execute(meta.insert(), [{"key": f"k{i}", "value": f"v{i}"} for i in range(5)])
        statement = union_all(
            select(meta.c.key, meta.c.value, literal(1).label("n")).where(
                meta.c.key >= bindparam("low")
            ),
            select(meta.c.key, meta.c.value, literal(2)).where(meta.c.value == bindparam("v")),
        )
        params = {"low": "k3", "v": "v0"}
        with store.read() as conn:
            expected = [tuple(r) for r in conn.execute(statement, params)]
        fast = store.query(statement, params)
        assert [tuple(r) for r in fast] == expected
        assert sorted(r.key for r in fast) == ["k0", "k3", "k4"]
        assert store._fast is not None
        assert store._fast._plan(statement) is not None  # the DBAPI path was the one used
