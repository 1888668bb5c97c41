"""Differential-privacy budget ledger (issue 6).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``dp_budgets``: one row per (dataset, requester) cap, in exact integer units."""
    op.create_table(
        "dp_budgets",
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("epsilon_cap", sa.BigInteger, nullable=False),
        sa.Column("epsilon_spent", sa.BigInteger, nullable=False),
        sa.Column("delta_cap", sa.BigInteger, nullable=False),
        sa.Column("delta_spent", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("dataset", "requester", name="pk_dp_budgets"),
    )


def downgrade() -> None:
    """Drop ``dp_budgets``."""
    op.drop_table("dp_budgets")
