"""Keep the Merkle tree's right edge (frontier) in the log head, so appends read no nodes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add audit_head.frontier (NULL until the next append fills it)."""
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("frontier", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    """Drop audit_head.frontier."""
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("frontier")
