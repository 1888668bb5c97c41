"""The exchange's tables (created by migrations 0006 and 0007).

Documents and catalogue versions are only ever inserted. Requests and agreements have one row each,
whose status changes only together with its audit event. Times are RFC 3339 UTC text, except an
agreement's validity window, kept as integer microseconds since the Unix epoch so the check that
runs inside every agreement-bound token verification compares integers.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from govshare.storage import metadata

__all__ = [
    "exchange_agreements",
    "exchange_catalogue",
    "exchange_documents",
    "exchange_releases",
    "exchange_requests",
]

# Every signed document this store sent ("out") or accepted ("in"), as its exact JSON text. The
# primary key is the document id, so accepting the same document twice fails even between racing
# processes: that is the replay check.
exchange_documents = Table(
    "exchange_documents",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("direction", String(3), nullable=False),
    Column("type", String(32), nullable=False),
    Column("issuer", String(63), nullable=False),
    Column("audience", String(63), nullable=True),
    Column("issued_at", String(40), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("document", Text, nullable=False),
)

# Catalogue items, one row per (provider, item, version): this department's own items and the
# ones it imported from other departments' signed catalogues. Append-only: history is kept.
exchange_catalogue = Table(
    "exchange_catalogue",
    metadata,
    Column("provider", String(63), nullable=False),
    Column("item_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("share", String(16), nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("document_id", String(32), nullable=True),
    Column("item", Text, nullable=False),
    PrimaryKeyConstraint("provider", "item_id", "version", name="pk_exchange_catalogue"),
)

exchange_requests = Table(
    "exchange_requests",
    metadata,
    Column("request_id", String(35), primary_key=True),
    Column("side", String(9), nullable=False),
    Column("requester", String(63), nullable=False),
    Column("provider", String(63), nullable=False),
    Column("status", String(8), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=True),
    Column("decide_by", String(40), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("agreement_id", String(35), nullable=True),
    Column("decision_document", String(32), nullable=True),
    Column("request", Text, nullable=False),
    Column("decision", Text, nullable=True),
    Index("ix_exchange_requests_status", "status", "decide_by"),
)

exchange_agreements = Table(
    "exchange_agreements",
    metadata,
    Column("agreement_id", String(35), primary_key=True),
    Column("side", String(9), nullable=False),
    Column("provider", String(63), nullable=False),
    Column("requester", String(63), nullable=False),
    Column("request_id", String(35), nullable=False),
    Column("version", Integer, nullable=False),
    # pending | active | suspended | terminated; "expired" is read from expires_us.
    Column("status", String(10), nullable=False),
    Column("effective_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    # Denormalised from the terms for the token check: purpose, |category|...|, |principal|...|.
    Column("purpose", String(64), nullable=False),
    Column("categories", Text, nullable=False),
    Column("principals", Text, nullable=False),
    Column("countersigned_at", String(40), nullable=True),
    # Counters charged by share() (issue 14) against the limits in the terms.
    Column("releases", Integer, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("epsilon_micro", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("terms", Text, nullable=False),
)

# One row per release this store sent (side "provider") or received (side "requester"), with
# what a compliance auditor needs without opening the data: who got which columns and how many
# rows, why, under which agreement and token, when, the content hash and the audit event that
# records it. Inserted with the release's (or receipt's) audit event; only ``duplicates`` (how
# many times the same release was received again) ever changes.
exchange_releases = Table(
    "exchange_releases",
    metadata,
    Column("release_id", String(35), primary_key=True),
    Column("side", String(9), nullable=False),
    Column("provider", String(63), nullable=False),
    Column("requester", String(63), nullable=False),
    Column("agreement_id", String(35), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("token_jti", String(64), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("case_ref", String(200), nullable=False),
    # JSON: [{"name", "category", "treatment"}, …] and {"reason": count, …}
    Column("columns", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("excluded", Text, nullable=False),
    Column("released_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=True),
    Column("content_sha256", String(64), nullable=False),
    # The provider's audit index of the release event; this store's own index of its event.
    Column("provider_audit_index", BigInteger, nullable=False),
    Column("audit_index", BigInteger, nullable=False),
    Column("document_id", String(32), nullable=False),
    Column("duplicates", Integer, nullable=False),
    Index("ix_exchange_releases_agreement", "agreement_id", "released_at"),
)
