"""Alembic environment: runs on the connection govshare hands in (never reads alembic.ini)."""

from __future__ import annotations

from alembic import context

from govshare.storage._tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
