"""Data-sharing agreements (``ws.agreements``): countersign, suspend, resume, terminate, look up."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field
from sqlalchemy import Connection, Row, bindparam, insert, select, update

from govshare._clock import Clock, ensure_aware, utc_iso
from govshare._models import Record
from govshare.audit import AuditLog, canonical_json
from govshare.exceptions import (
    AgreementStateError,
    DocumentMismatch,
    InvalidDocument,
    RecordNotFound,
)
from govshare.exchange._common import checked_text, from_json, micros, reading, to_json, writing
from govshare.exchange._documents import Documents, SignedDocument
from govshare.exchange._models import AgreementTerms, DataSharingAgreement
from govshare.exchange._tables import exchange_agreements
from govshare.identifiers import shown
from govshare.storage import Store
from govshare.tokens import AgreementScope, AgreementStatus
from govshare.types import AgreementId

__all__ = [
    "INSERT_AGREEMENT",
    "Agreements",
    "Countersignature",
    "agreement_row",
    "insert_agreement",
    "terms_digest",
]

_a = exchange_agreements
_INSERT = insert(_a)
INSERT_AGREEMENT = _INSERT
_SCOPE = select(
    _a.c.status,
    _a.c.effective_us,
    _a.c.expires_us,
    _a.c.provider,
    _a.c.requester,
    _a.c.purpose,
    _a.c.categories,
    _a.c.principals,
    _a.c.version,
).where(_a.c.agreement_id == bindparam("agreement_id"))


class Countersignature(Record):
    """The payload of a countersignature document: the requester accepts the terms.

    Attributes:
        agreement_id / version: the agreement.
        terms_sha256: SHA-256 of the RFC 8785 JSON of the terms it accepts (hex).
        countersigned_at: when.
    """

    agreement_id: AgreementId
    version: Annotated[int, Field(ge=1)]
    terms_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    countersigned_at: AwareDatetime


def terms_digest(terms: AgreementTerms) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of *terms*: what a countersignature accepts."""
    return hashlib.sha256(canonical_json(terms.model_dump(mode="json"))).hexdigest()


def insert_agreement(
    tx: Connection,
    terms: AgreementTerms,
    side: Literal["provider", "requester"],
    now: datetime,
) -> None:
    """Store *terms* as a new agreement of this *side*, awaiting the countersignature."""
    tx.execute(_INSERT, agreement_row(terms, side, now))


def agreement_row(
    terms: AgreementTerms, side: Literal["provider", "requester"], now: datetime
) -> dict[str, Any]:
    """The row of a new agreement (for :func:`insert_agreement`, or many at once)."""
    return {
        "agreement_id": terms.agreement_id,
        "side": side,
        "provider": terms.provider,
        "requester": terms.requester,
        "request_id": terms.request_id,
        "version": terms.version,
        "status": "pending",
        "effective_us": micros(terms.effective_from),
        "expires_us": micros(terms.expires_at),
        "purpose": terms.purpose,
        "categories": _bars(terms.categories),
        "principals": _bars(terms.principals.requester),
        "countersigned_at": None,
        "releases": 0,
        "rows": 0,
        "epsilon_micro": 0,
        "updated_at": utc_iso(now),
        "terms": to_json(terms),
    }


class Agreements:
    """The data-sharing agreements this department is party to (``ws.agreements``).

    An agreement is made when the provider approves a request (``ws.requests.decide``) and
    reaches the requester inside the signed decision. The requester countersigns it
    (:meth:`countersign`) and sends the countersignature back; the provider imports it
    (:meth:`import_countersignature`). From then on it is ``active`` on both sides between
    ``effective_from`` and ``expires_at``, unless suspended or terminated. Each side's status
    changes are its own and are recorded in its own audit log.

    It is also the :class:`govshare.tokens.AgreementLookup` that ``ws.tokens`` checks tokens
    bound to an agreement with.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        documents: Documents,
        department: str,
        clock: Clock,
    ) -> None:
        self._store = store
        self._audit = audit
        self._documents = documents
        self.department = department
        self._clock = clock

    def __repr__(self) -> str:
        return f"Agreements(department={self.department!r})"

    # -- reading -------------------------------------------------------------------------------

    def get(
        self, agreement_id: str, *, at: datetime | None = None, conn: Connection | None = None
    ) -> DataSharingAgreement:
        """Agreement *agreement_id* with its status at *at* (default: now).

        Raises:
            RecordNotFound: no such agreement here.
            NaiveDatetimeError: *at* has no timezone.
        """
        when = self._at(at)
        with reading(self._store, conn) as tx:
            row = tx.execute(select(_a).where(_a.c.agreement_id == agreement_id)).first()
        if row is None:
            raise RecordNotFound(f"no agreement {shown(agreement_id)} here")
        return _record(row, when)

    def list(
        self,
        *,
        status: AgreementStatus | None = None,
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> builtins.list[DataSharingAgreement]:
        """Every agreement here (with its status at *at*), optionally only those in *status*,
        oldest first."""
        when = self._at(at)
        with reading(self._store, conn) as tx:
            rows = tx.execute(select(_a).order_by(_a.c.updated_at, _a.c.agreement_id)).all()
        found = [_record(r, when) for r in rows]
        return [a for a in found if status is None or a.status == status]

    def scope(self, agreement: str, *, at: datetime, conn: Connection) -> AgreementScope | None:
        """What a token bound to *agreement* may be at *at* (the tokens' agreement lookup):
        one primary-key read on *conn*, in the transaction that decides on the token."""
        row = conn.execute(_SCOPE, {"agreement_id": agreement}).first()
        if row is None:
            return None
        status = _status(str(row[0]), int(row[1]), int(row[2]), micros(at))
        # Built without validation: every value comes from this store's own validated terms,
        # and this runs inside each agreement-bound token verification.
        return AgreementScope.model_construct(
            agreement=agreement,
            version=int(row[8]),
            status=status,
            provider=str(row[3]),
            requester=str(row[4]),
            purpose=str(row[5]),
            categories=tuple(str(row[6]).strip("|").split("|")),
            principals=tuple(str(row[7]).strip("|").split("|")),
        )

    # -- countersignature ----------------------------------------------------------------------

    def countersign(self, agreement_id: str, *, conn: Connection | None = None) -> SignedDocument:
        """Countersign agreement *agreement_id* as its requester: it becomes active here, and the
        returned countersignature document goes to the provider. Records
        ``agreement.countersigned``.

        Raises:
            RecordNotFound: no such agreement here.
            AgreementStateError: this department is not its requester, or it is not awaiting a
                countersignature.
        """
        now = self._clock.now()
        with writing(self._store, conn) as tx:
            agreement = self._for_change(tx, agreement_id, now)
            if agreement.side != "requester":
                raise AgreementStateError("only the requester countersigns an agreement")
            if agreement.countersigned_at is not None or agreement.status == "terminated":
                raise AgreementStateError(
                    f"agreement {agreement_id} is not awaiting a countersignature"
                )
            terms = agreement.terms
            payload = Countersignature(
                agreement_id=agreement_id,
                version=terms.version,
                terms_sha256=terms_digest(terms),
                countersigned_at=now,
            )
            doc = self._documents.sign(
                "countersignature", payload, audience=terms.provider, now=now, conn=tx
            )
            self._set(tx, agreement_id, "active", now, countersigned_at=utc_iso(now))
            data = {"agreement_id": agreement_id, "side": "requester", "document_id": doc.id}
            self._audit.record("agreement.countersigned", data, conn=tx)
        return doc

    def import_countersignature(
        self, doc: SignedDocument | str | bytes | Mapping[str, Any]
    ) -> DataSharingAgreement:
        """Verify the requester's countersignature of an agreement this department signed; the
        agreement becomes active here. Records ``agreement.countersigned`` (or one
        ``document.refused``).

        Raises:
            InvalidDocument: refused (untrusted, altered, replayed, not from the agreement's
                requester, for unknown or other terms); nothing is stored.
        """
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": "agreement.import-countersignature"}
        try:
            with self._store.transaction() as tx:
                signed = self._documents.accept(
                    doc, "countersignature", now=now, conn=tx, facts=facts
                )
                payload = Documents.payload(signed, Countersignature)
                facts["agreement_id"] = payload.agreement_id
                row = tx.execute(
                    select(_a).where(_a.c.agreement_id == payload.agreement_id)
                ).first()
                if row is None or row.side != "provider" or row.requester != signed.issuer:
                    raise DocumentMismatch(
                        "the countersignature is for no agreement of ours with its signer"
                    )
                terms = from_json(AgreementTerms, row.terms)
                if payload.terms_sha256 != terms_digest(terms) or payload.version != terms.version:
                    raise DocumentMismatch("the countersignature accepts other terms")
                if row.status != "pending" or row.countersigned_at is not None:
                    raise DocumentMismatch(
                        f"agreement {terms.agreement_id} is not awaiting a countersignature"
                    )
                stamp = utc_iso(payload.countersigned_at)
                self._set(tx, terms.agreement_id, "active", now, countersigned_at=stamp)
                data = {
                    "agreement_id": terms.agreement_id,
                    "side": "provider",
                    "document_id": signed.id,
                }
                self._audit.record("agreement.countersigned", data, conn=tx)
        except InvalidDocument as exc:
            self._documents.refused(exc, facts)
            raise
        return self.get(terms.agreement_id)

    # -- status changes ------------------------------------------------------------------------

    def suspend(
        self, agreement_id: str, *, reason: str, conn: Connection | None = None
    ) -> DataSharingAgreement:
        """Suspend an active agreement here: tokens bound to it are refused until
        :meth:`resume`. Records ``agreement.suspended`` with *reason*.

        Raises:
            RecordNotFound: no such agreement here.
            AgreementStateError: it is not active (pending, expired, suspended or terminated).
            InputError: *reason* is empty, too long or holds an identifier.
        """
        return self._change(agreement_id, "suspended", ("active",), reason, conn)

    def resume(
        self, agreement_id: str, *, reason: str = "resumed", conn: Connection | None = None
    ) -> DataSharingAgreement:
        """Resume a suspended agreement here. Records ``agreement.resumed``.

        Raises:
            RecordNotFound: no such agreement here.
            AgreementStateError: it is not suspended, or it has expired meanwhile.
            InputError: *reason* is malformed.
        """
        return self._change(agreement_id, "active", ("suspended",), reason, conn)

    def terminate(
        self, agreement_id: str, *, reason: str, conn: Connection | None = None
    ) -> DataSharingAgreement:
        """End an agreement here for good (from any status but terminated). Records
        ``agreement.terminated``; the requester's retention duty still applies to data it holds.

        Raises:
            RecordNotFound: no such agreement here.
            AgreementStateError: it is already terminated.
            InputError: *reason* is malformed.
        """
        allowed = ("pending", "active", "suspended", "expired")
        return self._change(agreement_id, "terminated", allowed, reason, conn)

    def _change(
        self,
        agreement_id: str,
        to: Literal["active", "suspended", "terminated"],
        allowed: tuple[str, ...],
        reason: str,
        conn: Connection | None,
    ) -> DataSharingAgreement:
        checked_text(reason, "reason", max_length=500)
        now = self._clock.now()
        event = {"active": "resumed", "suspended": "suspended", "terminated": "terminated"}[to]
        with writing(self._store, conn) as tx:
            agreement = self._for_change(tx, agreement_id, now)
            if agreement.status not in allowed:
                raise AgreementStateError(
                    f"agreement {agreement_id} is {agreement.status}; it cannot be {event}"
                )
            if to == "active" and now >= agreement.terms.expires_at:
                raise AgreementStateError(f"agreement {agreement_id} has expired")
            self._set(tx, agreement_id, to, now)
            data = {"agreement_id": agreement_id, "side": agreement.side, "reason": reason}
            self._audit.record(f"agreement.{event}", data, conn=tx)
            return self.get(agreement_id, at=now, conn=tx)

    def _for_change(self, tx: Connection, agreement_id: str, now: datetime) -> DataSharingAgreement:
        # Lock the row first (PostgreSQL), so two racing changes see each other's result.
        query = select(_a).where(_a.c.agreement_id == agreement_id)
        if self._store.backend == "postgresql":
            query = query.with_for_update()
        row = tx.execute(query).first()
        if row is None:
            raise RecordNotFound(f"no agreement {shown(agreement_id)} here")
        return _record(row, now)

    @staticmethod
    def _set(tx: Connection, agreement_id: str, status: str, now: datetime, **values: Any) -> None:
        tx.execute(
            update(_a)
            .where(_a.c.agreement_id == agreement_id)
            .values(status=status, updated_at=utc_iso(now), **values)
        )

    def _at(self, at: datetime | None) -> datetime:
        return self._clock.now() if at is None else ensure_aware(at, "at")


def _status(stored: str, effective_us: int, expires_us: int, at_us: int) -> AgreementStatus:
    if stored != "active":
        return stored  # type: ignore[return-value]  # pending | suspended | terminated
    if at_us < effective_us:
        return "pending"
    if at_us >= expires_us:
        return "expired"
    return "active"


def _record(row: Row[Any], at: datetime) -> DataSharingAgreement:
    terms = from_json(AgreementTerms, row.terms)
    stored = str(row.status)
    return DataSharingAgreement(
        terms=terms,
        side=row.side,
        status=_status(stored, int(row.effective_us), int(row.expires_us), micros(at)),
        countersigned_at=None
        if row.countersigned_at is None
        else datetime.fromisoformat(row.countersigned_at),
        releases=int(row.releases),
        rows=int(row.rows),
        epsilon=int(row.epsilon_micro) / 1_000_000,
        updated_at=datetime.fromisoformat(row.updated_at),
    )


def _bars(values: tuple[str, ...]) -> str:
    return "|" + "|".join(values) + "|"
