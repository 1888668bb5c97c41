"""The recipient's deletion attestation: it deleted a release's data (the agreement's disposal).

``ws.releases.attest_deletion(release_id, …)`` on the requesting side records, in one
transaction, a ``release.deleted`` audit event and an ``exchange_release_deletions`` row; an
auditor reads them back with :func:`read_deletions` (``release-retention`` fails a release kept
past its agreement's retention without one).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime
from sqlalchemy import Connection, select

from govshare._clock import Clock, ensure_aware, utc_iso
from govshare._models import Record
from govshare.audit import AuditLog
from govshare.exceptions import InputError, RecordNotFound
from govshare.exchange._common import checked_text, reading
from govshare.exchange._tables import exchange_release_deletions, exchange_releases
from govshare.storage import Store
from govshare.types import PRINCIPAL_PATTERN, Principal, matches

__all__ = ["DeletionAttestation", "attest_deletion", "read_deletions"]

_d = exchange_release_deletions
_r = exchange_releases


class DeletionAttestation(Record):
    """That the recipient deleted a release's data.

    Attributes:
        release_id: the release.
        deleted_at: when the data was deleted (as attested).
        attested_by: the principal who attests it.
        method: how it was deleted, in plain words (no identifiers).
        audit_index: the index of its ``release.deleted`` event in this store's log.
    """

    release_id: str
    deleted_at: AwareDatetime
    attested_by: Principal
    method: str
    audit_index: int


def attest_deletion(
    store: Store,
    audit: AuditLog,
    clock: Clock,
    release_id: str,
    *,
    attested_by: str,
    method: str,
    deleted_at: datetime | None = None,
) -> DeletionAttestation:
    """Record that received release *release_id* was deleted (see the module docstring).

    Raises:
        RecordNotFound: this store received no release *release_id*.
        InputError: it already has an attestation; *attested_by* is not a principal id;
            *method* is empty, too long or holds an identifier; *deleted_at* is in the future
            or before the release was received.
        NaiveDatetimeError: *deleted_at* has no timezone.
    """
    now = clock.now()
    when = now if deleted_at is None else ensure_aware(deleted_at, "deleted_at")
    if not isinstance(attested_by, str) or not matches(PRINCIPAL_PATTERN, attested_by):
        raise InputError("attested_by is a principal id (lower-case, e.g. 'li.na@hrss')")
    checked_text(method, "method", max_length=500)
    if when > now:
        raise InputError("deleted_at is in the future")
    with store.transaction() as tx:
        row = tx.execute(
            select(_r.c.agreement_id, _r.c.provider, _r.c.received_at).where(
                _r.c.release_id == release_id, _r.c.side == "requester"
            )
        ).first()
        if row is None:
            raise RecordNotFound(f"this store received no release {release_id!r}")
        if row.received_at is not None and when < datetime.fromisoformat(row.received_at):
            raise InputError("deleted_at is before the release was received")
        if tx.execute(select(_d.c.release_id).where(_d.c.release_id == release_id)).first():
            raise InputError(f"release {release_id} already has a deletion attestation")
        data = {
            "release_id": release_id,
            "agreement_id": row.agreement_id,
            "provider": row.provider,
            "attested_by": attested_by,
            "method": method,
            "deleted_at": utc_iso(when),
        }
        index = audit.record("release.deleted", data, time=now, conn=tx)
        values = {
            "release_id": release_id,
            "deleted_at": utc_iso(when),
            "attested_by": attested_by,
            "method": method,
            "audit_index": index,
        }
        tx.execute(_d.insert(), values)
    return DeletionAttestation(**values)


def read_deletions(store: Store, *, conn: Connection | None = None) -> list[DeletionAttestation]:
    """Every deletion attestation recorded in *store*, by release id, read-only."""
    with reading(store, conn) as tx:
        rows = tx.execute(select(_d).order_by(_d.c.release_id)).all()
    return [
        DeletionAttestation(
            release_id=r.release_id,
            deleted_at=datetime.fromisoformat(r.deleted_at),
            attested_by=r.attested_by,
            method=r.method,
            audit_index=int(r.audit_index),
        )
        for r in rows
    ]
