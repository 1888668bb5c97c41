"""Read-only access to the exchange's records, for auditors (:mod:`govshare.compliance`)."""

from __future__ import annotations

import builtins
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select

from govshare.exceptions import InputError, StorageError
from govshare.exchange._models import RequestRecord
from govshare.exchange._requests import _record
from govshare.exchange._tables import exchange_requests
from govshare.storage import Store

__all__ = ["read_requests"]

_r = exchange_requests


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
    query = select(_r).order_by(_r.c.submitted_at, _r.c.request_id)
    if side is not None:
        if side not in ("provider", "requester"):
            raise InputError("side is 'provider' or 'requester'")
        query = query.where(_r.c.side == side)
    with store.read() as conn:
        rows = conn.execute(query).all()
    found = []
    for row in rows:
        try:
            found.append(_record(row))
        except (ValidationError, ValueError):
            raise StorageError(
                f"the stored request {row.request_id} is not a valid request record"
            ) from None
    return found
