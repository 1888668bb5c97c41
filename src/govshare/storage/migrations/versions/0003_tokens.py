"""Access-token revocation and use counters (issue 5).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tokens tables: per-token state and trusted foreign token-signing keys."""
    op.create_table(
        "token_state",
        sa.Column("jti", sa.String(32), primary_key=True),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("max_uses", sa.Integer, nullable=True),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "token_trusted_keys",
        sa.Column("kid", sa.String(100), primary_key=True),
        sa.Column("department", sa.String(63), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("trusted_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_token_trusted_keys_department", "token_trusted_keys", ["department"])


def downgrade() -> None:
    """Drop the tokens tables."""
    op.drop_index("ix_token_trusted_keys_department", "token_trusted_keys")
    op.drop_table("token_trusted_keys")
    op.drop_table("token_state")
