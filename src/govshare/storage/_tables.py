"""The store's shared table metadata and the workspace's own table.

Each package declares its tables in its own ``_tables.py`` on :data:`metadata`; the Alembic
migrations in ``storage/migrations`` create them all.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, Text

__all__ = ["metadata", "workspace_meta"]

metadata = MetaData()

workspace_meta = Table(
    "workspace_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
