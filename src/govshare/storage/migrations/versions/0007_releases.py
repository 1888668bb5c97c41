"""Releases (issue 14): one row per release sent or received, for auditors.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``exchange_releases``."""
    op.create_table(
        "exchange_releases",
        sa.Column("release_id", sa.String(35), primary_key=True),
        sa.Column("side", sa.String(9), nullable=False),
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("requester", sa.String(63), nullable=False),
        sa.Column("agreement_id", sa.String(35), nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
        sa.Column("token_jti", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("case_ref", sa.String(200), nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("excluded", sa.Text, nullable=False),
        sa.Column("released_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("provider_audit_index", sa.BigInteger, nullable=False),
        sa.Column("audit_index", sa.BigInteger, nullable=False),
        sa.Column("document_id", sa.String(32), nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_exchange_releases_agreement", "exchange_releases", ["agreement_id", "released_at"]
    )


def downgrade() -> None:
    """Drop ``exchange_releases``."""
    op.drop_index("ix_exchange_releases_agreement", table_name="exchange_releases")
    op.drop_table("exchange_releases")
