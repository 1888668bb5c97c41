"""The tokens capability's tables: per-token state (uses, revocation) and trusted foreign keys."""

from __future__ import annotations

from sqlalchemy import Column, Integer, LargeBinary, String, Table

from govshare.storage import metadata

__all__ = ["token_state", "token_trusted_keys"]

# One row per token this store has used, revoked or exchanged from. ``uses`` only ever grows, by
# one conditional UPDATE/UPSERT, so ``max_uses`` holds across processes.
token_state = Table(
    "token_state",
    metadata,
    Column("jti", String(32), primary_key=True),
    Column("uses", Integer, nullable=False),
    Column("max_uses", Integer, nullable=True),
    Column("revoked_at", String(40), nullable=True),
)

# Other departments' public keys, imported with Tokens.trust(): ``use`` says whether a key verifies
# tokens or signed exchange documents (column added by migration 0006).
token_trusted_keys = Table(
    "token_trusted_keys",
    metadata,
    Column("kid", String(100), primary_key=True),
    Column("department", String(63), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("status", String(10), nullable=False),
    Column("use", String(16), nullable=False, server_default="tokens"),
    Column("created", String(40), nullable=False),
    Column("trusted_at", String(40), nullable=False),
)
