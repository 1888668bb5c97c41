"""Engine set-up, transactions and migrations for the embedded SQLite default and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event, make_url, text
from sqlalchemy.engine import URL, Compiled
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from govshare.exceptions import InputError, SchemaTooNew, StorageError, StoreUnavailable
from govshare.identifiers import shown
from govshare.types import SCHEMA_PATTERN, matches

__all__ = ["DEFAULT_URL", "Store", "default_url"]

DEFAULT_URL: Final = "sqlite:///govshare.db"
_READONLY = "govshare_readonly"
_SINGLE = "govshare_single_statement"
# An arbitrary constant: the PostgreSQL advisory lock that serialises concurrent migrations.
_MIGRATION_LOCK = 0x67_6F_76_73_68_61_72_65


def default_url() -> str:
    """The store URL used when none is given: ``GOVSHARE_URL``, else ``sqlite:///govshare.db``."""
    return os.environ.get("GOVSHARE_URL") or DEFAULT_URL


class Store:
    """A govshare database: SQLite (the embedded default) or PostgreSQL, through SQLAlchemy Core.

    Build one with :meth:`open`. Writes go through :meth:`transaction`, which on SQLite takes the
    write lock up front (``BEGIN IMMEDIATE``) so that concurrent writers queue instead of failing,
    and on PostgreSQL is an ordinary READ COMMITTED transaction whose counters are updated with
    row locks. Reads that may take long (verifying a large log) use :meth:`read`.
    """

    def __init__(self, engine: Engine, url: URL, schema: str | None) -> None:
        self._engine = engine
        self._url = url
        self.schema = schema
        self._fast = _FastReads(engine) if url.get_backend_name() == "sqlite" else None
        self._held: list[_HeldConnection] = []

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        schema: str | None = None,
        migrate: bool = True,
        read_only: bool = False,
    ) -> Store:
        """Open (and by default create or upgrade) the store at *url*.

        Args:
            url: ``sqlite:///path.db`` (default: :func:`default_url`), ``sqlite://`` for an in-memory
                database, or ``postgresql+psycopg://user@host:port/db``.
            schema: PostgreSQL only: keep every table in this schema (created if missing).
            migrate: create or upgrade the schema to this library's version.
            read_only: open for reading only, as an auditor does: SQLite opens the file
                read-only (``mode=ro``), PostgreSQL sessions default to read-only transactions,
                the schema is neither created nor migrated, and any write raises.

        Raises:
            InputError: the URL or schema name is malformed, or names an unsupported database.
            StoreUnavailable: the database cannot be reached or opened.
            SchemaTooNew: the store was written by a newer govshare.
        """
        parsed = _parse_url(url or default_url())
        backend = parsed.get_backend_name()
        if schema is not None and (backend != "postgresql" or not matches(SCHEMA_PATTERN, schema)):
            raise InputError("schema= takes a lower-case SQL identifier, and only on PostgreSQL")
        migrate = migrate and not read_only
        if backend == "sqlite":
            engine = _sqlite_engine(parsed, create=migrate, read_only=read_only)
        elif backend == "postgresql":
            engine = _postgres_engine(parsed, schema, read_only=read_only)
        else:
            raise InputError(
                f"unsupported database {shown(backend)}: use sqlite:/// or postgresql+psycopg://"
            )
        store = cls(engine, parsed, schema)
        try:
            store.ping()
            if migrate:
                store.migrate()
            else:
                store.check_schema()
        except BaseException:
            engine.dispose()
            raise
        return store

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._url.get_backend_name()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for adapters and tests; prefer :meth:`transaction`)."""
        return self._engine

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Release every pooled connection."""
        if self._fast is not None:
            self._fast.close()
        for held in self._held:
            held.close()
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: committed when the block exits normally, rolled back otherwise.

        Raises:
            StoreUnavailable: the database stopped answering.
        """
        with _translate_db_errors(self.url), self._engine.begin() as conn:
            yield conn

    def held_transactions(self) -> Callable[[], AbstractContextManager[Connection]]:
        """A :meth:`transaction` factory that keeps one connection checked out between uses.

        For one serial user at a time (a group committer's leader): it saves the pool checkout
        and connection set-up of every transaction. :meth:`close` releases the connection; a
        process forked from this one opens its own.
        """
        held = _HeldConnection(self._engine, self.url)
        self._held.append(held)
        return held.transaction

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot transaction that does not block writers."""
        with (
            _translate_db_errors(self.url),
            self._engine.connect() as conn,
        ):
            options: dict[str, Any] = {_READONLY: True}
            if self.backend == "postgresql":
                # One snapshot for every statement of the block, as SQLite's read transaction gives.
                options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            conn = conn.execution_options(**options)
            with conn.begin():
                yield conn

    def query(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """Run ONE read-only statement and return its rows.

        A single statement is atomic on its own, so on SQLite no explicit transaction is opened
        (no BEGIN/COMMIT round trips): about twice as fast as :meth:`read` for hot point
        lookups such as consent checks. Use :meth:`read` when several statements must see one
        snapshot.

        Raises:
            StoreUnavailable: the database stopped answering.
        """
        if self._fast is not None:
            rows = self._fast.query(statement, params or {})
            if rows is not None:
                return rows
        with _translate_db_errors(self.url), self._engine.connect() as conn:
            if self.backend == "sqlite":
                conn = conn.execution_options(**{_SINGLE: True})
            return conn.execute(statement, dict(params or {})).all()

    def ping(self) -> None:
        """Check that the database answers.

        Raises:
            StoreUnavailable: it does not.
        """
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    # -- schema ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create the schema, or upgrade it to this library's version; safe to race.

        Raises:
            SchemaTooNew: the store's schema is newer than this library.
        """
        with self.transaction() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            cfg = _alembic_config(conn)
            _check_revision(conn, cfg)
            command.upgrade(cfg, "head")

    def check_schema(self) -> None:
        """Raise unless the store's schema is exactly this library's version.

        Raises:
            SchemaTooNew: the schema is newer than this library.
            StorageError: the schema is missing or older (open with ``migrate=True``).
        """
        with self.read() as conn:
            cfg = _alembic_config(conn)
            current = _check_revision(conn, cfg)
            heads = set(ScriptDirectory.from_config(cfg).get_heads())
            if current != heads:
                raise StorageError(
                    "the store's schema is missing or old: open it with migrate=True"
                )

    def schema_revision(self) -> str | None:
        """The store's schema revision, or None for an empty database."""
        with self.read() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
        return heads[0] if heads else None


class _HeldConnection:
    """One connection kept for serial transactions (see :meth:`Store.held_transactions`)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where
        self._conn: Connection | None = None
        self._pid = 0

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with _translate_db_errors(self._where):
            conn = self._conn
            if conn is None or conn.closed or conn.invalidated or self._pid != os.getpid():
                conn = self._conn = self._engine.connect()
                self._pid = os.getpid()
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                if conn.invalidated:
                    self.close()
                raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            conn.close()


class _FastReads:
    """One-statement reads on SQLite straight through the DBAPI connection.

    For hot point lookups (a consent check) SQLAlchemy's per-execution machinery costs more than
    SQLite's work. Each statement is compiled once with the engine's dialect; each thread keeps
    one pooled connection in autocommit mode, where a lone SELECT is its own transaction.
    Statements this path cannot run faithfully (expanding parameters, result-type processing)
    return None and go through SQLAlchemy instead.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._compiled: dict[int, tuple[Executable, Compiled | None]] = {}
        self._held: list[Any] = []
        self._lock = threading.Lock()

    def query(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]] | None:
        compiled = self._plan(statement)
        if compiled is None:
            return None
        values: dict[str, Any] = dict(compiled.construct_params(dict(params)) or {})
        processors: Mapping[str, Any] = getattr(compiled, "_bind_processors", {})
        order: Sequence[str] = getattr(compiled, "positiontup", None) or ()
        args = [processors[n](values[n]) if n in processors else values[n] for n in order]
        try:
            cursor = self._connection().execute(compiled.string, args)
            row_type = _row_type(tuple(d[0] for d in cursor.description))
            rows: list[Row[Any]] = [row_type._make(r) for r in cursor.fetchall()]
        except sqlite3.OperationalError:
            raise StoreUnavailable("the SQLite store cannot be read") from None
        return rows

    def _plan(self, statement: Executable) -> Compiled | None:
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            compiled = statement.compile(dialect=self._engine.dialect)  # type: ignore[attr-defined]
            simple = getattr(compiled, "positiontup", None) is not None and not any(
                b.expanding for b in compiled.binds.values()
            )
            found = (statement, compiled if simple else None)
            self._compiled[id(statement)] = found
        return found[1]

    def _connection(self) -> sqlite3.Connection:
        raw = getattr(self._local, "raw", None)
        if raw is None:
            raw = self._engine.raw_connection()
            with self._lock:
                self._held.append(raw)
            self._local.raw = raw
        driver: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        return driver

    def close(self) -> None:
        with self._lock:
            for raw in self._held:
                raw.close()
            self._held.clear()
        self._local = threading.local()


@lru_cache(maxsize=256)
def _row_type(fields: tuple[str, ...]) -> Any:
    """A named-tuple type for a result's columns: indexable and readable by column name."""
    return namedtuple("Row", fields, rename=True)


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise InputError(
            "the store URL is malformed (expected e.g. sqlite:///govshare.db)"
        ) from None


def _sqlite_engine(url: URL, *, create: bool, read_only: bool = False) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:")
    connect_args: dict[str, Any] = {"check_same_thread": False}
    if not in_memory:
        path = Path(database).expanduser().resolve()
        if not path.parent.is_dir():
            raise StoreUnavailable(
                f"cannot open the SQLite store: folder {path.parent} does not exist"
            )
        if not create and not path.exists():
            raise StoreUnavailable(f"there is no SQLite store at {path}")
        if create and not read_only:
            _create_private(path)
        if read_only:
            # SQLite itself refuses every write on a connection opened with mode=ro.
            url = url.set(database=f"file:{path}", query={"mode": "ro", "uri": "true"})
    kwargs: dict[str, Any] = {"connect_args": connect_args}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's own handling defers the lock).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not in_memory and not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_SINGLE, False):
            return  # one statement in SQLite's autocommit mode: its own implicit transaction
        # Straight on the driver: through SQLAlchemy's execution path it costs more than SQLite.
        begin = "BEGIN" if options.get(_READONLY, False) else "BEGIN IMMEDIATE"
        try:
            conn.connection.driver_connection.execute(begin)  # type: ignore[union-attr]
        except sqlite3.OperationalError:
            raise StoreUnavailable("the SQLite store is locked or cannot be opened") from None

    return engine


def _create_private(path: Path) -> None:
    """Create an empty database file readable by its owner only (SQLite gives its -wal and -shm
    files the same mode); an existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreUnavailable(f"cannot create the SQLite store: {exc.strerror}") from None


def _postgres_engine(url: URL, schema: str | None, *, read_only: bool = False) -> Engine:
    if url.drivername not in ("postgresql+psycopg", "postgresql"):
        raise InputError("PostgreSQL stores use the psycopg 3 driver: postgresql+psycopg://…")
    url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    options = []
    if schema is not None:
        options.append(f"-csearch_path={schema}")
    if read_only:
        options.append("-cdefault_transaction_read_only=on")
    if options:
        connect_args["options"] = " ".join(options)
    try:
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError):
        raise StorageError(
            "PostgreSQL support needs psycopg 3: pip install 'govshare[postgres]'"
        ) from None
    if schema is not None and not read_only:
        _create_schema(url, schema)
    return engine


def _create_schema(url: URL, schema: str) -> None:
    bootstrap = create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with _translate_db_errors(url.render_as_string(hide_password=True)), bootstrap.begin() as c:
            c.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        bootstrap.dispose()


@contextmanager
def _translate_db_errors(where: str) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if exc.connection_invalidated or _is_connect_error(exc):
            raise StoreUnavailable(f"the store at {where} does not answer") from None
        raise


def _is_connect_error(exc: DBAPIError) -> bool:
    name = type(exc.orig).__name__
    return (name in ("OperationalError",) and "connect" in str(exc.orig).lower()) or (
        "unable to open database file" in str(exc.orig)
    )


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "govshare.storage:migrations")
    cfg.attributes["connection"] = conn
    return cfg


def _check_revision(conn: Connection, cfg: Config) -> set[str]:
    current = set(MigrationContext.configure(conn).get_current_heads())
    script = ScriptDirectory.from_config(cfg)
    for rev in current:
        try:
            known = script.get_revision(rev)
        except CommandError:
            known = None
        if known is None:
            raise SchemaTooNew(
                f"the store's schema (revision {rev}) is newer than this govshare: upgrade govshare"
            )
    return current
