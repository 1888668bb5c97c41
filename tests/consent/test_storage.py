"""Storage: migration 0002 matches the table definitions, and the database itself refuses a second withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from govshare import Workspace
from govshare.consent._store import insert_event, load_record
from govshare.consent._tables import (
    consent_events,
    consent_records,
    consent_statutory_bases,
    consent_statutory_events,
    consent_vocabulary,
)
from govshare.exceptions import InputError
from tests.consent.conftest import resident_id

TABLES = (
    consent_records,
    consent_events,
    consent_statutory_bases,
    consent_statutory_events,
    consent_vocabulary,
)


def test_migration_creates_the_declared_tables(workspace: Workspace) -> None:
    """Every consent table exists with exactly the columns its SQLAlchemy definition declares."""
    with workspace.store.read() as conn:
        inspector = inspect(conn)
        for table in TABLES:
            columns = {
                c["name"] for c in inspector.get_columns(table.name, schema=workspace.store.schema)
            }
            assert columns == {c.name for c in table.columns}, table.name


def test_second_withdrawal_event_is_refused_by_the_database(workspace: Workspace) -> None:
    """The partial unique index stops a racing second withdrawal even if the code check is bypassed."""
    record = workspace.consents.grant(
        resident_id(950), recipient="hrss", purposes=["research"], categories=["income"]
    )
    workspace.consents.withdraw(record.record_id)
    with (
        pytest.raises(InputError, match="already withdrawn"),
        workspace.store.transaction() as conn,
    ):
        insert_event(
            conn, load_record(conn, record.record_id), "withdrawn", 1, None, "2026-01-01T00:00:00Z"
        )
    assert [e.kind for e in workspace.consents.history(resident_id(950))] == [
        "granted",
        "withdrawn",
    ]
