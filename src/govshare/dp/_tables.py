"""The budget ledger's table (created by migration 0004).

Epsilon and delta are stored as exact integers: epsilon in micro-units (1e-6) and delta in
femto-units (1e-15), so that no amount of charging accumulates floating-point error.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, String, Table

from govshare.storage import metadata

__all__ = ["ALL_REQUESTERS", "dp_budgets"]

ALL_REQUESTERS = "*"
"""The ``requester`` value of a dataset-wide cap (every analyst and department together)."""

dp_budgets = Table(
    "dp_budgets",
    metadata,
    Column("dataset", String(200), nullable=False),
    Column("requester", String(200), nullable=False),
    Column("epsilon_cap", BigInteger, nullable=False),
    Column("epsilon_spent", BigInteger, nullable=False),
    Column("delta_cap", BigInteger, nullable=False),
    Column("delta_spent", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
    PrimaryKeyConstraint("dataset", "requester", name="pk_dp_budgets"),
)
