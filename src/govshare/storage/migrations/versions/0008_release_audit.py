"""Release subjects and deletion attestations (issue 17): what auditors re-check.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``exchange_release_subjects`` and ``exchange_release_deletions``."""
    op.create_table(
        "exchange_release_subjects",
        sa.Column("release_id", sa.String(35), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("subjects", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "exchange_release_deletions",
        sa.Column("release_id", sa.String(35), primary_key=True),
        sa.Column("deleted_at", sa.String(40), nullable=False),
        sa.Column("attested_by", sa.String(200), nullable=False),
        sa.Column("method", sa.String(500), nullable=False),
        sa.Column("audit_index", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("exchange_release_deletions")
    op.drop_table("exchange_release_subjects")
