"""Persistence: SQLAlchemy 2 Core over the embedded SQLite default or PostgreSQL.

The schema is created and upgraded by Alembic migrations shipped inside the package; opening a store
whose schema is newer than the library raises :class:`~govshare.SchemaTooNew`.
"""

from __future__ import annotations

from govshare.storage._group import DEFAULT_MAX_BATCH, GroupCommit, Work
from govshare.storage._prepared import Prepared
from govshare.storage._store import DEFAULT_URL, Store, default_url
from govshare.storage._tables import metadata, workspace_meta

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_URL",
    "GroupCommit",
    "Prepared",
    "Store",
    "Work",
    "default_url",
    "metadata",
    "workspace_meta",
]
