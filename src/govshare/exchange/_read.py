"""Read-only views of agreements, catalogue items and requests, for auditors
(:mod:`govshare.compliance`).

They need only read access to the store: no key ring, no audit log, no department.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import Connection, select

from govshare._clock import SystemClock, ensure_aware
from govshare.exceptions import InputError, StorageError
from govshare.exchange._agreements import _record as _agreement
from govshare.exchange._common import from_json, reading
from govshare.exchange._models import CatalogueItem, DataSharingAgreement, RequestRecord
from govshare.exchange._requests import _record as _request
from govshare.exchange._tables import exchange_agreements, exchange_catalogue, exchange_requests
from govshare.storage import Store

__all__ = ["read_agreements", "read_catalogue", "read_requests"]

_requests = exchange_requests


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


def read_requests(
    store: Store, *, side: Literal["provider", "requester"] | None = None
) -> builtins.list[RequestRecord]:
    """Every request held in *store* (of one *side* if given), oldest first, read-only: no key
    ring, no audit log, one read transaction.

    Raises:
        InputError: *side* is neither ``"provider"`` nor ``"requester"``.
        StorageError: a stored request is not a valid record (the message names it), e.g. a
            refusal without reasons written into the database by hand.
    """
    query = select(_requests).order_by(_requests.c.submitted_at, _requests.c.request_id)
    if side is not None:
        if side not in ("provider", "requester"):
            raise InputError("side is 'provider' or 'requester'")
        query = query.where(_requests.c.side == side)
    with store.read() as conn:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        try:
            found.append(_request(row))
        except (ValidationError, ValueError):
            raise StorageError(
                f"the stored request {row.request_id} is not a valid request record"
            ) from None
    return found
