"""The audit log's tables, declared on the store's shared metadata (migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

from govshare.storage import metadata

__all__ = ["audit_checkpoints", "audit_entries", "audit_head", "audit_nodes", "audit_witnessed"]

# One row (id = 1): the log's size and root. Every append updates it first, which serialises writers
# (PostgreSQL row lock; SQLite's write lock is already taken by BEGIN IMMEDIATE).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    # The hashes of frontier(size) concatenated: all an append needs to extend the tree.
    # NULL on stores migrated from before revision 0005 until their next append.
    Column("frontier", LargeBinary, nullable=True),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

# Perfect, aligned Merkle subtrees of level >= 1: node (level, idx) covers leaves
# [idx * 2**level, (idx + 1) * 2**level). Leaves (level 0) are audit_entries.leaf_hash.
audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "idx", name="pk_audit_nodes"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# Checkpoints of *other* departments' logs that this department has witnessed (cosigned).
audit_witnessed = Table(
    "audit_witnessed",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(255), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
