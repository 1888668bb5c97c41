"""Prepared: a Core statement compiled once per dialect, run straight on the DBAPI connection.

For the hottest writes (a token's use count, an audit append) SQLAlchemy's per-execution
machinery costs several times what the database does. A :class:`Prepared` statement is compiled
once per dialect and executed on the DBAPI connection *underneath* a SQLAlchemy
:class:`~sqlalchemy.Connection`, so it runs inside that connection's transaction: the caller's
``begin()`` / commit / rollback still govern it. Only plain statements qualify: no expanding
``IN`` parameters and no type processing of results (every column comes back as the driver
returns it: ``int``, ``str``, ``bytes`` or ``None``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Executable

from govshare.exceptions import InputError, StorageError, StoreUnavailable

__all__ = ["Prepared"]

# (SQL text, positional parameter names or None for named parameters, base values, processors)
_Plan = tuple[str, tuple[str, ...] | None, dict[str, Any], dict[str, Callable[[Any], Any]]]


class Prepared:
    """One statement, compiled lazily for each dialect it meets and then reused.

    Args:
        statement: a SQLAlchemy Core statement whose parameters are ``bindparam`` names.
    """

    __slots__ = ("_plans", "_statement")

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, conn: Connection) -> _Plan:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled: Any = self._statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            if any(b.expanding for b in compiled.binds.values()):
                raise InputError("a prepared statement cannot have expanding parameters")
            base = dict(compiled.construct_params({}, _check=False) or {})
            order = getattr(compiled, "positiontup", None)
            processors = dict(getattr(compiled, "_bind_processors", {}) or {})
            plan = (compiled.string, tuple(order) if order is not None else None, base, processors)
            self._plans[dialect.name] = plan
        return plan

    def _args(self, plan: _Plan, params: Mapping[str, Any]) -> Any:
        _, order, base, processors = plan
        values = {**base, **params} if base else params
        if processors:
            values = dict(values)
            for name, process in processors.items():
                if values.get(name) is not None:
                    values[name] = process(values[name])
        if order is None:
            return values
        return [values[n] for n in order]

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run the statement in *conn*'s transaction; returns every row (tuples).

        Raises:
            StoreUnavailable: the database is locked or stopped answering.
            StorageError: the database refused the statement.
        """
        plan = self._plans.get(conn.dialect.name) or self._plan(conn)
        driver: Any = conn.connection.driver_connection
        try:
            cursor = driver.execute(plan[0], self._args(plan, params or {}))
            found: list[Any] = cursor.fetchall() if cursor.description is not None else []
            return found
        except Exception as exc:
            raise _translated(exc) from None

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first row the statement returns, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def run_many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per mapping in *params* (``executemany``), returning nothing.

        Raises:
            StoreUnavailable: the database is locked or stopped answering.
            StorageError: the database refused the statement.
        """
        if not params:
            return
        plan = self._plans.get(conn.dialect.name) or self._plan(conn)
        driver: Any = conn.connection.driver_connection
        try:
            cursor = driver.cursor()
            try:
                cursor.executemany(plan[0], [self._args(plan, p) for p in params])
            finally:
                cursor.close()
        except Exception as exc:
            raise _translated(exc) from None


def _translated(exc: Exception) -> Exception:
    """A raw driver error as govshare's storage error (no SQL or values in it); others as is."""
    if not _is_driver_error(exc):
        return exc
    if isinstance(exc, sqlite3.OperationalError) or type(exc).__name__ in _UNAVAILABLE:
        return StoreUnavailable("the store is locked or does not answer")
    return StorageError(f"the store refused a write ({type(exc).__name__})")


_UNAVAILABLE = frozenset({"OperationalError", "ConnectionTimeout", "InterfaceError"})


def _is_driver_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__
    return module.startswith("psycopg")
