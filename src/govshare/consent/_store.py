"""Reading and writing the consent tables (SQLAlchemy Core). Rows are inserted, never updated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    String,
    bindparam,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.exc import IntegrityError as DBIntegrityError

from govshare._clock import ensure_aware
from govshare._models import STORED
from govshare.consent._decide import RecordFacts, from_us, join_codes, split_codes, to_us
from govshare.consent._models import ConsentEvent, ConsentRecord, StatutoryBasis
from govshare.consent._tables import (
    consent_events,
    consent_records,
    consent_statutory_bases,
    consent_statutory_events,
)
from govshare.exceptions import InputError
from govshare.storage import Store

__all__ = [
    "event_rows",
    "facts_for_subject",
    "guardian_records",
    "insert_event",
    "insert_record",
    "insert_statutory",
    "load_record",
    "read_consent_records",
    "revoke_statutory",
    "statutory_rows",
]


def insert_record(conn: Connection, record: ConsentRecord, recorded_at: str) -> None:
    """Store a new record and its ``granted`` event."""
    conn.execute(
        consent_records.insert().values(
            record_id=record.record_id,
            subject=record.subject,
            recipient=record.recipient,
            legal_basis=record.legal_basis,
            purposes=join_codes(record.purposes),
            categories=join_codes(record.categories),
            separate=record.separate,
            minor=record.minor,
            has_guardian=record.guardian is not None,
            granted_us=to_us(record.granted_at),
            record=record.model_dump_json(),
        )
    )
    expires = None if record.expires_at is None else to_us(record.expires_at)
    insert_event(conn, record, "granted", to_us(record.granted_at), expires, recorded_at)


def insert_event(
    conn: Connection,
    record: ConsentRecord,
    kind: str,
    at_us: int,
    expires_us: int | None,
    recorded_at: str,
) -> None:
    """Append one event to a record's history.

    Raises:
        InputError: the record was already withdrawn (a racing writer got there first).
    """
    try:
        with conn.begin_nested():
            conn.execute(
                consent_events.insert().values(
                    record_id=record.record_id,
                    subject=record.subject,
                    kind=kind,
                    at_us=at_us,
                    expires_us=expires_us,
                    recorded_at=recorded_at,
                )
            )
    except DBIntegrityError:
        raise InputError(f"consent record {record.record_id} is already withdrawn") from None


def guardian_records(conn: Connection, pseudonym: str) -> list[ConsentRecord]:
    """The records in which *pseudonym* consented as a parent or guardian (a scan: exports are rare)."""
    rows = conn.execute(
        select(consent_records.c.record)
        .where(consent_records.c.has_guardian, consent_records.c.subject != pseudonym)
        .where(consent_records.c.record.contains(pseudonym, autoescape=True))
        .order_by(consent_records.c.granted_us)
    ).all()
    records = [ConsentRecord.model_validate_json(r[0], context=STORED) for r in rows]
    return [r for r in records if r.guardian is not None and r.guardian.subject == pseudonym]


def load_record(conn: Connection, record_id: str) -> ConsentRecord:
    """The stored record *record_id*.

    Raises:
        InputError: there is no such record.
    """
    if not isinstance(record_id, str):
        raise InputError("record_id must be a string like 'cr-…'")
    row = conn.execute(
        select(consent_records.c.record).where(consent_records.c.record_id == record_id)
    ).one_or_none()
    if row is None:
        raise InputError("there is no consent record with that id")
    return ConsentRecord.model_validate_json(row[0], context=STORED)


def read_consent_records(
    store: Store,
    *,
    granted_from: datetime | None = None,
    granted_until: datetime | None = None,
    batch: int = 10_000,
) -> Iterator[ConsentRecord]:
    """Every stored consent record, oldest grant first, read-only: no key ring, no audit log.

    For auditors (:mod:`govshare.compliance`): it needs only read access to the store, and
    yields records exactly as stored (subjects as registry pseudonyms). Reads in batches of
    *batch* records, each in its own short read transaction.

    Args:
        granted_from, granted_until: only records granted in ``[granted_from, granted_until)``.

    Raises:
        NaiveDatetimeError: a bound has no timezone.
    """
    c = consent_records.c
    query = select(c.granted_us, c.record_id, c.record).order_by(c.granted_us, c.record_id)
    if granted_from is not None:
        query = query.where(c.granted_us >= to_us(ensure_aware(granted_from, "granted_from")))
    if granted_until is not None:
        query = query.where(c.granted_us < to_us(ensure_aware(granted_until, "granted_until")))
    after: tuple[int, str] | None = None
    while True:
        page = query if after is None else query.where(tuple_(c.granted_us, c.record_id) > after)
        with store.read() as conn:
            rows = conn.execute(page.limit(batch)).all()
        for row in rows:
            yield ConsentRecord.model_validate_json(row[2], context=STORED)
        if len(rows) < batch:
            return
        after = (int(rows[-1][0]), str(rows[-1][1]))


def event_rows(
    conn: Connection, *, subject: str | None = None, record_id: str | None = None
) -> list[ConsentEvent]:
    """The events of one subject or one record, oldest first."""
    query = select(consent_events).order_by(consent_events.c.seq)
    if subject is not None:
        query = query.where(consent_events.c.subject == subject)
    if record_id is not None:
        query = query.where(consent_events.c.record_id == record_id)
    return [
        ConsentEvent(
            seq=r.seq,
            record_id=r.record_id,
            subject=r.subject,
            kind=r.kind,
            at=from_us(r.at_us),
            expires_at=None if r.expires_us is None else from_us(r.expires_us),
            recorded_at=datetime.fromisoformat(r.recorded_at.replace("Z", "+00:00")),
        )
        for r in conn.execute(query)
    ]


_FACTS = (
    consent_records.c.record_id,
    consent_records.c.recipient,
    consent_records.c.legal_basis,
    consent_records.c.purposes,
    consent_records.c.categories,
    consent_records.c.separate,
    consent_records.c.minor,
    consent_records.c.has_guardian,
    consent_records.c.granted_us,
    consent_events.c.kind,
    consent_events.c.at_us,
    consent_events.c.expires_us,
    consent_events.c.seq,
)


# Built once: check() runs these per call, and building SQLAlchemy statements costs more than
# executing them on an indexed table.
_FACTS_QUERY = (
    select(*_FACTS)
    .join(consent_events, consent_events.c.record_id == consent_records.c.record_id)
    .where(
        consent_records.c.subject == bindparam("subject"),
        consent_events.c.at_us <= bindparam("at_us"),
    )
)
_STATUTORY_IN_FORCE = (
    consent_statutory_bases.c.recipient == bindparam("recipient"),
    consent_statutory_bases.c.purpose == bindparam("purpose"),
    consent_statutory_bases.c.from_us <= bindparam("at_us"),
    (consent_statutory_bases.c.until_us.is_(None))
    | (consent_statutory_bases.c.until_us > bindparam("at_us")),
    consent_statutory_bases.c.basis_id.not_in(
        select(consent_statutory_events.c.basis_id).where(
            consent_statutory_events.c.kind == "revoked",
            consent_statutory_events.c.at_us <= bindparam("at_us"),
        )
    ),
)
_STATUTORY_QUERY = select(consent_statutory_bases.c.record).where(*_STATUTORY_IN_FORCE)
# The statutory bases in force, shaped like _FACTS rows (kind "statutory"), so that check() gets
# everything it needs in one round trip.
_STATUTORY_AS_FACTS = select(
    consent_statutory_bases.c.basis_id,
    consent_statutory_bases.c.recipient,
    consent_statutory_bases.c.legal_basis,
    consent_statutory_bases.c.purpose,
    consent_statutory_bases.c.categories,
    literal(True, Boolean),
    literal(False, Boolean),
    literal(False, Boolean),
    consent_statutory_bases.c.from_us,
    literal("statutory", String(16)),
    consent_statutory_bases.c.from_us,
    consent_statutory_bases.c.until_us,
    literal(0, Integer),
).where(*_STATUTORY_IN_FORCE)
_CHECK_QUERY = union_all(_FACTS_QUERY, _STATUTORY_AS_FACTS)

StatutoryFacts = tuple[int, str, str, frozenset[str]]


def facts_for_subject(
    store: Store,
    subject: str,
    at_us: int,
    *,
    recipient: str,
    purpose: str,
    conn: Connection | None = None,
) -> tuple[list[RecordFacts], list[StatutoryFacts]]:
    """In one statement (atomic on its own, see :meth:`Store.query`; or inside *conn*'s
    transaction): the facts of every record of *subject* granted by *at_us* (with events up to
    *at_us* applied), and the statutory bases for *recipient* and *purpose* in force at *at_us* as
    ``(from_us, basis_id, legal_basis, categories)``.
    """
    params = {"subject": subject, "at_us": at_us, "recipient": recipient, "purpose": purpose}
    grouped: dict[str, list[Any]] = {}
    statutory: list[StatutoryFacts] = []
    found = (
        store.query(_CHECK_QUERY, params) if conn is None else conn.execute(_CHECK_QUERY, params)
    )
    rows = sorted(found, key=lambda r: (r.at_us, r.seq))
    for row in rows:
        if row.kind == "statutory":
            categories = split_codes(row.categories)
            statutory.append((row.granted_us, row.record_id, row.legal_basis, categories))
        else:
            grouped.setdefault(row.record_id, []).append(row)
    return [_facts(events) for events in grouped.values()], statutory


def _facts(rows: Sequence[Any]) -> RecordFacts:
    first = rows[0]
    expires: int | None = None
    withdrawn: int | None = None
    for row in rows:  # oldest first: the last grant/renewal in force sets the expiry
        if row.kind == "withdrawn":
            withdrawn = row.at_us if withdrawn is None else min(withdrawn, row.at_us)
        else:
            expires = row.expires_us
    return RecordFacts(
        record_id=first.record_id,
        recipient=first.recipient,
        legal_basis=first.legal_basis,
        purposes=split_codes(first.purposes),
        categories=split_codes(first.categories),
        separate=bool(first.separate),
        minor=bool(first.minor),
        has_guardian=bool(first.has_guardian),
        granted_us=first.granted_us,
        expires_us=expires,
        withdrawn_us=withdrawn,
    )


def statutory_rows(
    conn: Connection, recipient: str, purpose: str, at_us: int
) -> list[StatutoryBasis]:
    """Statutory bases for *recipient* and *purpose* in force at *at_us* (not revoked by then)."""
    params = {"recipient": recipient, "purpose": purpose, "at_us": at_us}
    rows = conn.execute(_STATUTORY_QUERY, params).all()
    return [StatutoryBasis.model_validate_json(r[0]) for r in rows]


def insert_statutory(conn: Connection, basis: StatutoryBasis) -> None:
    """Store a declared statutory basis."""
    conn.execute(
        consent_statutory_bases.insert().values(
            basis_id=basis.basis_id,
            recipient=basis.recipient,
            purpose=basis.purpose,
            categories=join_codes(basis.categories),
            legal_basis=basis.legal_basis,
            from_us=to_us(basis.effective_from),
            until_us=None if basis.effective_until is None else to_us(basis.effective_until),
            record=basis.model_dump_json(),
        )
    )


def revoke_statutory(conn: Connection, basis_id: str, at_us: int, recorded_at: str) -> None:
    """Append the revocation of *basis_id*.

    Raises:
        InputError: no such basis, or it is already revoked.
    """
    exists = conn.execute(
        select(consent_statutory_bases.c.basis_id).where(
            consent_statutory_bases.c.basis_id == basis_id
        )
    ).first()
    if exists is None:
        raise InputError("there is no statutory basis with that id")
    try:
        with conn.begin_nested():
            conn.execute(
                consent_statutory_events.insert().values(
                    basis_id=basis_id, kind="revoked", at_us=at_us, recorded_at=recorded_at
                )
            )
    except DBIntegrityError:
        raise InputError(f"statutory basis {basis_id} is already revoked") from None
