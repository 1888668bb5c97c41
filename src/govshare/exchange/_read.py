"""Read-only views of agreements and catalogue items, for auditors (:mod:`govshare.compliance`).

They need only read access to the store: no key ring, no audit log, no department.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from govshare._clock import SystemClock, ensure_aware
from govshare.exchange._agreements import _record as _agreement
from govshare.exchange._common import from_json, reading
from govshare.exchange._models import CatalogueItem, DataSharingAgreement
from govshare.exchange._tables import exchange_agreements, exchange_catalogue
from govshare.storage import Store

__all__ = ["read_agreements", "read_catalogue"]


def read_agreements(
    store: Store, *, at: datetime | None = None, conn: Connection | None = None
) -> list[DataSharingAgreement]:
    """Every agreement recorded in *store*, with its status at *at* (default: now), read-only.

    The status is the stored one; an auditor who needs the status at an earlier instant
    replays the ``agreement.*`` events of the audit log.

    Raises:
        NaiveDatetimeError: *at* has no timezone.
    """
    when = SystemClock().now() if at is None else ensure_aware(at, "at")
    a = exchange_agreements
    with reading(store, conn) as tx:
        rows = tx.execute(select(a).order_by(a.c.agreement_id)).all()
    return [_agreement(row, when) for row in rows]


def read_catalogue(store: Store, *, conn: Connection | None = None) -> list[CatalogueItem]:
    """Every version of every catalogue item in *store* (own and imported), read-only, by
    provider, item id and version."""
    c = exchange_catalogue
    with reading(store, conn) as tx:
        rows = tx.execute(select(c.c.item).order_by(c.c.provider, c.c.item_id, c.c.version)).all()
    return [from_json(CatalogueItem, r[0]) for r in rows]
