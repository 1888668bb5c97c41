"""Migrations 0006 and 0007 create exactly the exchange tables the code declares, and the keys' use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from govshare import Workspace
from govshare.exchange._tables import (
    exchange_agreements,
    exchange_catalogue,
    exchange_documents,
    exchange_releases,
    exchange_requests,
)
from govshare.testing import TEST_PASSPHRASE, temporary_workspace
from govshare.tokens._tables import token_trusted_keys
from tests.exchange.conftest import item_fields


def test_migration_creates_the_declared_tables(workspace: Workspace) -> None:
    """Every exchange table, and token_trusted_keys with its new use column, match their definitions."""
    tables = (
        exchange_documents,
        exchange_catalogue,
        exchange_requests,
        exchange_agreements,
        exchange_releases,
    )
    with workspace.store.read() as conn:
        inspector = inspect(conn)
        for table in (*tables, token_trusted_keys):
            columns = {
                c["name"] for c in inspector.get_columns(table.name, schema=workspace.store.schema)
            }
            assert columns == {c.name for c in table.columns}, table.name
    assert int(workspace.store.schema_revision()) >= 7  # later migrations may follow


def test_older_key_files_get_the_document_key_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file made before the document-signing key existed gets it when a document is signed."""
    from govshare.keys import _keyring

    old = tuple(k for k in _keyring._STANDARD_KEYS if k[0] != "document-signing")
    monkeypatch.setattr(_keyring, "_STANDARD_KEYS", old)
    ws = temporary_workspace(tmp_path / "old", department="civil-affairs")
    assert "document-signing" not in {i.name for i in ws.keys.key_infos()}
    monkeypatch.undo()
    ws.catalogue.publish(item_fields())
    doc = ws.catalogue.export()
    assert doc.kid == ws.keys.info("document-signing").kid
    reopened = Workspace.open(
        ws.store.url, passphrase=TEST_PASSPHRASE, key_file=tmp_path / "old" / "govshare.keys"
    )
    assert reopened.keys.info("document-signing").kid == doc.kid
    reopened.close()
    ws.close()
