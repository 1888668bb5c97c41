"""Consent registry tables (issue 4): records, their append-only events, statutory bases, vocabulary.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WITHDRAWN = sa.text("kind = 'withdrawn'")
_REVOKED = sa.text("kind = 'revoked'")


def upgrade() -> None:
    """Create the consent tables."""
    op.create_table(
        "consent_records",
        sa.Column("record_id", sa.String(35), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("legal_basis", sa.String(64), nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("separate", sa.Boolean, nullable=False),
        sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("has_guardian", sa.Boolean, nullable=False),
        sa.Column("granted_us", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_index("ix_consent_records_subject", "consent_records", ["subject"])
    op.create_index("ix_consent_records_recipient", "consent_records", ["recipient"])
    op.create_table(
        "consent_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(35), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=True),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_consent_events_record_id", "consent_events", ["record_id"])
    op.create_index("ix_consent_events_subject", "consent_events", ["subject"])
    op.create_index(
        "ux_consent_events_withdrawn",
        "consent_events",
        ["record_id"],
        unique=True,
        sqlite_where=_WITHDRAWN,
        postgresql_where=_WITHDRAWN,
    )
    op.create_table(
        "consent_statutory_bases",
        sa.Column("basis_id", sa.String(35), primary_key=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.String(64), nullable=False),
        sa.Column("from_us", sa.BigInteger, nullable=False),
        sa.Column("until_us", sa.BigInteger, nullable=True),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_consent_statutory_bases_recipient", "consent_statutory_bases", ["recipient"]
    )
    op.create_table(
        "consent_statutory_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("basis_id", sa.String(35), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index(
        "ux_consent_statutory_revoked",
        "consent_statutory_events",
        ["basis_id"],
        unique=True,
        sqlite_where=_REVOKED,
        postgresql_where=_REVOKED,
    )
    op.create_table(
        "consent_vocabulary",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop the consent tables."""
    for name in (
        "consent_vocabulary",
        "consent_statutory_events",
        "consent_statutory_bases",
        "consent_events",
        "consent_records",
    ):
        op.drop_table(name)
