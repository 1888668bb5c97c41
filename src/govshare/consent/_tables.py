"""The consent registry's tables (created by migration 0002). Rows are only ever inserted.

Times are integer microseconds since the Unix epoch (UTC), so the row filter compares them as
NumPy integers. Purposes and categories of a record are kept twice: in the record's JSON, and as
``|code|code|`` text for vectorised membership tests.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, text

from govshare.storage import metadata

__all__ = [
    "consent_events",
    "consent_records",
    "consent_statutory_bases",
    "consent_statutory_events",
    "consent_vocabulary",
]

consent_records = Table(
    "consent_records",
    metadata,
    Column("record_id", String(35), primary_key=True),
    Column("subject", String(200), nullable=False, index=True),
    Column("recipient", String(64), nullable=False, index=True),
    Column("legal_basis", String(64), nullable=False),
    Column("purposes", Text, nullable=False),
    Column("categories", Text, nullable=False),
    Column("separate", Boolean, nullable=False),
    Column("minor", Boolean, nullable=False),
    Column("has_guardian", Boolean, nullable=False),
    Column("granted_us", BigInteger, nullable=False),
    Column("record", Text, nullable=False),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(35), nullable=False, index=True),
    Column("subject", String(200), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
    Column("recorded_at", String(40), nullable=False),
    # A record is withdrawn at most once, even by racing writers.
    Index(
        "ux_consent_events_withdrawn",
        "record_id",
        unique=True,
        sqlite_where=text("kind = 'withdrawn'"),
        postgresql_where=text("kind = 'withdrawn'"),
    ),
)

consent_statutory_bases = Table(
    "consent_statutory_bases",
    metadata,
    Column("basis_id", String(35), primary_key=True),
    Column("recipient", String(64), nullable=False, index=True),
    Column("purpose", String(64), nullable=False),
    Column("categories", Text, nullable=False),
    Column("legal_basis", String(64), nullable=False),
    Column("from_us", BigInteger, nullable=False),
    Column("until_us", BigInteger, nullable=True),
    Column("record", Text, nullable=False),
)

consent_statutory_events = Table(
    "consent_statutory_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("basis_id", String(35), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Index(
        "ux_consent_statutory_revoked",
        "basis_id",
        unique=True,
        sqlite_where=text("kind = 'revoked'"),
        postgresql_where=text("kind = 'revoked'"),
    ),
)

# Terms added to the built-in catalogue by configuration (see ConsentRegistry.add_terms).
consent_vocabulary = Table(
    "consent_vocabulary",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("term", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
)
