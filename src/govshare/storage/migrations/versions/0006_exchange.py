"""Data-sharing agreements (issue 13): signed documents, catalogue, requests, agreements; key uses.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the exchange tables and say which use (tokens or documents) a trusted key has."""
    with op.batch_alter_table("token_trusted_keys") as batch:
        batch.add_column(sa.Column("use", sa.String(16), nullable=False, server_default="tokens"))
    op.create_table(
        "exchange_documents",
        sa.Column("document_id", sa.String(32), primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(63), nullable=False),
        sa.Column("audience", sa.String(63), nullable=True),
        sa.Column("issued_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_table(
        "exchange_catalogue",
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("document_id", sa.String(32), nullable=True),
        sa.Column("item", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("provider", "item_id", "version", name="pk_exchange_catalogue"),
    )
    op.create_table(
        "exchange_requests",
        sa.Column("request_id", sa.String(35), primary_key=True),
        sa.Column("side", sa.String(9), nullable=False),
        sa.Column("requester", sa.String(63), nullable=False),
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=True),
        sa.Column("decide_by", sa.String(40), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("agreement_id", sa.String(35), nullable=True),
        sa.Column("decision_document", sa.String(32), nullable=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=True),
    )
    op.create_index("ix_exchange_requests_status", "exchange_requests", ["status", "decide_by"])
    op.create_table(
        "exchange_agreements",
        sa.Column("agreement_id", sa.String(35), primary_key=True),
        sa.Column("side", sa.String(9), nullable=False),
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("requester", sa.String(63), nullable=False),
        sa.Column("request_id", sa.String(35), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("effective_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("principals", sa.Text, nullable=False),
        sa.Column("countersigned_at", sa.String(40), nullable=True),
        sa.Column("releases", sa.Integer, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("epsilon_micro", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the exchange tables and the trusted keys' use."""
    op.drop_table("exchange_agreements")
    op.drop_index("ix_exchange_requests_status", "exchange_requests")
    op.drop_table("exchange_requests")
    op.drop_table("exchange_catalogue")
    op.drop_table("exchange_documents")
    with op.batch_alter_table("token_trusted_keys") as batch:
        batch.drop_column("use")
