"""ConsentRegistry: grant, withdraw, renew and check consents; every change audited in its transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from govshare._clock import Clock, SystemClock, ensure_aware, utc_iso
from govshare._models import STORED, build
from govshare.audit import AuditLog
from govshare.consent._decide import (
    ALLOWED_STEP,
    STEP_REASONS,
    Request,
    decide_records,
    from_us,
    to_us,
)
from govshare.consent._filter import ConsentSnapshot, FilterResult, load_state, summarise
from govshare.consent._grant import GrantRules, build_record
from govshare.consent._models import (
    ConsentEvent,
    ConsentRecord,
    ConsentStatus,
    ConsentType,
    Decision,
    ImportReport,
    Notice,
    Reason,
    StatutoryBasis,
    SubjectExport,
)
from govshare.consent._store import (
    event_rows,
    facts_for_subject,
    guardian_records,
    insert_event,
    insert_record,
    insert_statutory,
    load_record,
    revoke_statutory,
    statutory_rows,
)
from govshare.consent._subjects import SubjectPseudonyms
from govshare.consent._tables import consent_vocabulary
from govshare.consent._vocabulary import CONSENT, Term, TermKind, Vocabulary
from govshare.exceptions import InputError
from govshare.identifiers import shown
from govshare.storage import Store

__all__ = ["ConsentRegistry"]


class ConsentRegistry:
    """The consent registry of one department (``ws.consents``).

    Subjects are given as raw resident ID numbers and stored only as registry pseudonyms. History is
    append-only: a record never changes once granted; withdrawals and renewals are events, and
    every question can be asked ``at=`` any past instant. Each change appends its audit event in the
    same transaction, so both commit or neither does.

    Args:
        store: where the consent tables live.
        audit: the department's audit log.
        pseudonyms: maps raw IDs to registry pseudonyms.
        controller: this department's id (the personal-information processor).
        clock: time source (tests inject a frozen one).
        vocabulary: the built-in catalogue by default; terms added with :meth:`add_terms` are
            stored and always included.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        *,
        pseudonyms: SubjectPseudonyms,
        controller: str,
        clock: Clock | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._pseudonyms = pseudonyms
        self._controller = controller
        self._clock = clock or SystemClock()
        self._base = vocabulary or Vocabulary.builtin()
        self._vocabulary: Vocabulary | None = None

    def __repr__(self) -> str:
        return f"ConsentRegistry(controller={self._controller!r}, store={self._store!r})"

    # -- vocabulary --------------------------------------------------------------------------

    @property
    def vocabulary(self) -> Vocabulary:
        """The codes this registry accepts: the base catalogue plus stored extensions."""
        if self._vocabulary is None:
            with self._store.read() as conn:
                self._vocabulary = self._load_vocabulary(conn)
        return self._vocabulary

    def add_terms(self, kind: TermKind, terms: Sequence[Term]) -> Vocabulary:
        """Add purposes or categories to this registry's catalogue (stored, audited).

        Raises:
            InputError: a code exists with another definition, or *kind* cannot be extended.
        """
        now = self._clock.now()
        with self._store.transaction() as conn:
            vocab = self._load_vocabulary(conn).extend(kind, terms)
            known = {(r.kind, r.code) for r in conn.execute(select(consent_vocabulary))}
            new = [t for t in terms if (kind, t.code) not in known and t.code not in self._base]
            if new:
                conn.execute(
                    consent_vocabulary.insert(),
                    [
                        {
                            "kind": kind,
                            "code": t.code,
                            "term": t.model_dump_json(),
                            "added_at": utc_iso(now),
                        }
                        for t in new
                    ],
                )
                self._audit.record(
                    "consent.vocabulary_extended",
                    {"kind": kind, "codes": [t.code for t in new]},
                    time=now,
                    conn=conn,
                )
        self._vocabulary = vocab
        return vocab

    def _load_vocabulary(self, conn: Connection) -> Vocabulary:
        vocab = self._base
        stored = conn.execute(select(consent_vocabulary).order_by(consent_vocabulary.c.code)).all()
        for kind in ("purpose", "category"):
            terms = [
                Term.model_validate_json(r.term, context=STORED) for r in stored if r.kind == kind
            ]
            if terms:
                vocab = vocab.extend(kind, terms)
        return vocab

    def _codes(self, kind: TermKind, codes: Sequence[str], what: str) -> tuple[str, ...]:
        try:
            return self.vocabulary.require(kind, codes, what=what)
        except InputError:
            self._vocabulary = None  # another process may have added the code: look once more
            return self.vocabulary.require(kind, codes, what=what)

    # -- lifecycle ---------------------------------------------------------------------------

    def grant(
        self,
        subject: str,
        *,
        recipient: str,
        purposes: Sequence[str],
        categories: Sequence[str],
        legal_basis: str = CONSENT,
        expires_at: datetime | None = None,
        granted_at: datetime | None = None,
        recipient_name: str | None = None,
        recipient_contact: str | None = None,
        method: str = "data-sharing-platform",
        consent_type: Sequence[ConsentType] = ("separate",),
        minor: bool = False,
        guardian: str | None = None,
        guardian_relationship: str = "guardian",
        notice: Notice | None = None,
        jurisdiction: str = "CN",
        language: str = "zh-CN",
        collection_method: str = "online-form",
        withdrawal_method: str = "govshare consent withdraw",
        storage_location: str = "CN",
        retention_period: str | None = None,
        impact_assessment: str | None = None,
    ) -> ConsentRecord:
        """Record that *subject* consented (or another per-person legal basis applies).

        Args:
            subject: the person's resident ID number (stored only as a registry pseudonym).
            recipient: the receiving department's id (PIPL Art. 23).
            purposes: purpose codes; categories: personal-information category codes.
            legal_basis: a PIPL Art. 13 code (default ``consent``).
            expires_at: when the consent lapses (aware); None for no expiry.
            granted_at: when it was given (aware, not in the future; default now), e.g. for
                paper forms entered later.
            consent_type: ``separate`` (PIPL Art. 23, 29; default), ``written``, ``explicit``.
            minor, guardian: a minor under 14 needs the guardian's resident ID (PIPL Art. 31).
            notice: the privacy notice shown (PIPL Art. 17).
            Other arguments fill the ISO/IEC TS 27560 fields of :class:`ConsentRecord`.

        Raises:
            InputError: invalid subject or guardian ID, unknown code, expiry not after the grant,
                a grant time in the future, or another invalid field.
            NaiveDatetimeError: a datetime without a timezone.
            ConsentError: sensitive categories without separate consent, or a minor's
                information without a guardian's consent.
        """
        now = self._clock.now()
        record = self._build_record(
            subject=subject,
            recipient=recipient,
            purposes=purposes,
            categories=categories,
            legal_basis=legal_basis,
            expires_at=expires_at,
            granted_at=now if granted_at is None else ensure_aware(granted_at, "granted_at"),
            now=now,
            recipient_name=recipient_name,
            recipient_contact=recipient_contact,
            method=method,
            consent_type=consent_type,
            minor=minor,
            guardian=guardian,
            guardian_relationship=guardian_relationship,
            extra={
                "notice": notice,
                "jurisdiction": jurisdiction,
                "language": language,
                "collection_method": collection_method,
                "withdrawal_method": withdrawal_method,
                "storage_location": storage_location,
                "retention_period": retention_period,
                "impact_assessment": impact_assessment,
            },
        )
        with self._store.transaction() as conn:
            self._store_grant(conn, record, now)
        return record

    def _store_grant(self, conn: Connection, record: ConsentRecord, now: datetime) -> None:
        insert_record(conn, record, utc_iso(now))
        data: dict[str, Any] = {
            "record_id": record.record_id,
            "subject": record.subject,
            "recipient": record.recipient,
            "purposes": list(record.purposes),
            "categories": list(record.categories),
            "legal_basis": record.legal_basis,
            "granted_at": utc_iso(record.granted_at),
            "expires_at": None if record.expires_at is None else utc_iso(record.expires_at),
        }
        self._audit.record("consent.granted", data, time=now, conn=conn)

    def _build_record(self, **fields: Any) -> ConsentRecord:
        rules = GrantRules(
            codes=self._codes,
            vocabulary=lambda: self.vocabulary,
            pseudonyms=self._pseudonyms,
            controller=self._controller,
        )
        return build_record(rules, **fields)

    def withdraw(self, record_id: str) -> ConsentStatus:
        """Withdraw a consent now: it stops allowing processing at once, but not retroactively.

        Raises:
            InputError: no such record, or it is already withdrawn.
        """
        now = self._clock.now()
        with self._store.transaction() as conn:
            record = load_record(conn, record_id)
            if any(e.kind == "withdrawn" for e in event_rows(conn, record_id=record_id)):
                raise InputError(f"consent record {record_id} is already withdrawn")
            at = max(now, record.granted_at)
            insert_event(conn, record, "withdrawn", to_us(at), None, utc_iso(now))
            data = {"record_id": record_id, "subject": record.subject, "at": utc_iso(at)}
            self._audit.record("consent.withdrawn", data, time=now, conn=conn)
            return self._status(conn, record, now)

    def renew(self, record_id: str, *, expires_at: datetime | None) -> ConsentStatus:
        """Extend (or end the expiry of) a consent from now on; earlier instants are unaffected.

        Raises:
            InputError: no such record, it is withdrawn, or *expires_at* is not in the future.
            NaiveDatetimeError: *expires_at* has no timezone.
        """
        now = self._clock.now()
        if expires_at is not None:
            expires_at = ensure_aware(expires_at, "expires_at")
            if expires_at <= now:
                raise InputError("a renewal's expires_at must be in the future")
        with self._store.transaction() as conn:
            record = load_record(conn, record_id)
            if any(e.kind == "withdrawn" for e in event_rows(conn, record_id=record_id)):
                raise InputError(
                    f"consent record {record_id} is withdrawn; grant a new consent instead"
                )
            expires_us = None if expires_at is None else to_us(expires_at)
            insert_event(conn, record, "renewed", to_us(now), expires_us, utc_iso(now))
            data = {
                "record_id": record_id,
                "subject": record.subject,
                "expires_at": None if expires_at is None else utc_iso(expires_at),
            }
            self._audit.record("consent.renewed", data, time=now, conn=conn)
            return self._status(conn, record, now)

    # -- reading -----------------------------------------------------------------------------

    def get(self, record_id: str) -> ConsentRecord:
        """The record *record_id* as granted.

        Raises:
            InputError: there is no such record.
        """
        with self._store.read() as conn:
            return load_record(conn, record_id)

    def status(self, record_id: str, *, at: datetime | None = None) -> ConsentStatus:
        """The state of record *record_id* at *at* (default now), derived from its events.

        Raises:
            InputError: there is no such record.
            NaiveDatetimeError: *at* has no timezone.
        """
        when = self._at(at)
        with self._store.read() as conn:
            return self._status(conn, load_record(conn, record_id), when)

    def _status(self, conn: Connection, record: ConsentRecord, at: datetime) -> ConsentStatus:
        at_us = to_us(at)
        events = [e for e in event_rows(conn, record_id=record.record_id) if to_us(e.at) <= at_us]
        withdrawn = min((e.at for e in events if e.kind == "withdrawn"), default=None)
        terms = [e for e in events if e.kind != "withdrawn"]
        expires = terms[-1].expires_at if terms else record.expires_at
        if not terms:
            state = "not-yet-granted"
        elif withdrawn is not None:
            state = "withdrawn"
        elif expires is not None and expires <= at:
            state = "expired"
        else:
            state = "active"
        return ConsentStatus(
            record=record, at=at, state=state, expires_at=expires, withdrawn_at=withdrawn
        )

    def history(self, subject: str) -> tuple[ConsentEvent, ...]:
        """Every event about *subject* (a raw resident ID), oldest first.

        Raises:
            InputError: *subject* is not a valid resident ID number.
        """
        pseudonym = self._pseudonyms.one(subject)
        with self._store.read() as conn:
            return tuple(event_rows(conn, subject=pseudonym))

    def export_subject(self, subject: str) -> SubjectExport:
        """Everything the registry holds about *subject* (PIPL Art. 45); the export is audited.

        That is the records and events about them, and the records where they consented as a
        parent or guardian (``as_guardian``).

        Raises:
            InputError: *subject* is not a valid resident ID number.
        """
        pseudonym = self._pseudonyms.one(subject)
        now = self._clock.now()
        with self._store.transaction() as conn:
            events = event_rows(conn, subject=pseudonym)
            ids = list(dict.fromkeys(e.record_id for e in events))
            records = tuple(load_record(conn, i) for i in ids)
            guarded = tuple(guardian_records(conn, pseudonym))
            data = {
                "subject": pseudonym,
                "records": len(records),
                "events": len(events),
                "as_guardian": len(guarded),
            }
            self._audit.record("consent.subject_exported", data, time=now, conn=conn)
        return SubjectExport(
            subject=pseudonym,
            exported_at=now,
            records=records,
            events=tuple(events),
            as_guardian=guarded,
        )

    # -- deciding ----------------------------------------------------------------------------

    def check(
        self,
        subject: str,
        *,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> Decision:
        """Whether *categories* of *subject* may be provided to *recipient* for *purpose* at *at*.

        A statutory basis in force for the recipient, purpose and categories allows without
        consent; otherwise the subject's records are checked (see :class:`Reason`). With *conn*
        the registry is read inside the caller's transaction (so the decision and what the
        caller then writes rest on one view of the store).

        Raises:
            InputError: *subject* is not a valid resident ID number, or a code is unknown.
            NaiveDatetimeError: *at* has no timezone.
        """
        req = self._request(recipient, purpose, categories, at)
        pseudonym = self._pseudonyms.one(subject)
        when = from_us(req.at_us)
        facts, statutory = facts_for_subject(
            self._store,
            pseudonym,
            req.at_us,
            recipient=req.recipient,
            purpose=req.purpose,
            conn=conn,
        )
        bases = sorted(b for b in statutory if req.categories <= b[3])
        if bases:
            _, basis_id, legal_basis, _ = bases[0]
            return Decision(
                allowed=True,
                reason=Reason.STATUTORY,
                basis=legal_basis,
                statutory_basis_id=basis_id,
                at=when,
            )
        found = decide_records(facts, req)
        if found is None:
            return Decision(allowed=False, reason=Reason.NO_RECORD, at=when)
        step, best = found
        allowed = step == ALLOWED_STEP
        return Decision(
            allowed=allowed,
            reason=STEP_REASONS[step],
            basis=best.legal_basis if allowed else None,
            record_id=best.record_id,
            at=when,
        )

    def filter(
        self,
        df: pd.DataFrame,
        *,
        subject_column: str,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> FilterResult:
        """The rows of *df* that may be provided, decided as :meth:`check` would decide each row.

        Vectorised: the subject column is pseudonymised once per distinct value and joined with the
        registry's state at *at*. Rows with a missing or invalid resident ID are excluded as
        ``invalid-subject``. *df* is not modified. With *conn* the registry is read inside the
        caller's transaction.

        Raises:
            InputError: *df* is not a DataFrame, *subject_column* is missing, or a code is unknown.
            NaiveDatetimeError: *at* has no timezone.
        """
        if not isinstance(df, pd.DataFrame):
            raise InputError("filter() takes a pandas DataFrame")
        if subject_column not in df.columns:
            raise InputError(f"the DataFrame has no column {shown(subject_column)}")
        snapshot = self.snapshot(
            recipient=recipient, purpose=purpose, categories=categories, at=at, conn=conn
        )
        codes = snapshot.reasons(df[subject_column], self._pseudonyms.many)
        series, keep, by_reason = summarise(codes, df.index)
        report = snapshot.report(by_reason)
        return FilterResult(frame=df.loc[keep].copy(), reasons=series, report=report)

    def snapshot(
        self,
        *,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> ConsentSnapshot:
        """Every subject's decision for this request at *at* (default now), to apply elsewhere.

        :meth:`filter` is this snapshot applied to a DataFrame; distributed engines apply it where
        the data is (see the Spark guide). Reads the registry once (inside the caller's
        transaction with *conn*); holds no key.

        Raises:
            InputError: a code is unknown.
            NaiveDatetimeError: *at* has no timezone.
        """
        req = self._request(recipient, purpose, categories, at)
        with nullcontext(conn) if conn is not None else self._store.read() as reading:
            basis = self._statutory(reading, req)
            state = load_state(reading, req.at_us) if basis is None else pd.DataFrame()
        return ConsentSnapshot(req, state, basis)

    @property
    def subject_pseudonyms(self) -> SubjectPseudonyms:
        """How this registry turns raw resident IDs into its pseudonyms."""
        return self._pseudonyms

    def _request(
        self, recipient: str, purpose: str, categories: Sequence[str], at: datetime | None
    ) -> Request:
        if not isinstance(recipient, str) or not recipient:
            raise InputError("recipient must be a department id")
        (purpose_code,) = self._codes("purpose", [purpose], "purpose")
        cats = self._codes("category", categories, "categories")
        return Request(
            recipient=recipient,
            purpose=purpose_code,
            categories=frozenset(cats),
            at_us=to_us(self._at(at)),
        )

    def _at(self, at: datetime | None) -> datetime:
        return self._clock.now() if at is None else ensure_aware(at, "at")

    # -- statutory bases ---------------------------------------------------------------------

    def declare_statutory_basis(
        self,
        *,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        legal_basis: str,
        law: str,
        effective_from: datetime | None = None,
        effective_until: datetime | None = None,
    ) -> StatutoryBasis:
        """Declare a basis other than consent (e.g. ``legal-obligation`` under a named law).

        While in force, rows for this recipient, purpose and categories pass without consent.

        Raises:
            InputError: unknown code, ``consent`` as basis, or an empty period.
            NaiveDatetimeError: a datetime without a timezone.
        """
        now = self._clock.now()
        (purpose_code,) = self._codes("purpose", [purpose], "purpose")
        cats = self._codes("category", categories, "categories")
        self.vocabulary.term("legal-basis", legal_basis)
        basis = build(
            StatutoryBasis,
            basis_id=f"sb-{secrets.token_hex(16)}",
            recipient=recipient,
            purpose=purpose_code,
            categories=cats,
            legal_basis=legal_basis,
            law=law,
            effective_from=now
            if effective_from is None
            else ensure_aware(effective_from, "effective_from"),
            effective_until=None
            if effective_until is None
            else ensure_aware(effective_until, "effective_until"),
            declared_at=now,
        )
        with self._store.transaction() as conn:
            insert_statutory(conn, basis)
            data = {
                "basis_id": basis.basis_id,
                "recipient": recipient,
                "purpose": purpose_code,
                "categories": list(cats),
                "legal_basis": legal_basis,
            }
            self._audit.record("consent.statutory_basis_declared", data, time=now, conn=conn)
        return basis

    def revoke_statutory_basis(self, basis_id: str) -> None:
        """Stop relying on a statutory basis from now on (earlier instants are unaffected).

        Raises:
            InputError: no such basis, or it is already revoked.
        """
        now = self._clock.now()
        with self._store.transaction() as conn:
            revoke_statutory(conn, basis_id, to_us(now), utc_iso(now))
            self._audit.record(
                "consent.statutory_basis_revoked", {"basis_id": basis_id}, time=now, conn=conn
            )

    def statutory_bases(
        self, *, recipient: str, purpose: str, at: datetime | None = None
    ) -> tuple[StatutoryBasis, ...]:
        """The statutory bases in force for *recipient* and *purpose* at *at* (default now).

        Raises:
            NaiveDatetimeError: *at* has no timezone.
        """
        with self._store.read() as conn:
            return tuple(statutory_rows(conn, recipient, purpose, to_us(self._at(at))))

    def _statutory(self, conn: Connection, req: Request) -> StatutoryBasis | None:
        bases = [
            b
            for b in statutory_rows(conn, req.recipient, req.purpose, req.at_us)
            if req.categories <= set(b.categories)
        ]
        return min(bases, key=lambda b: (b.effective_from, b.basis_id)) if bases else None

    # -- bulk import -------------------------------------------------------------------------

    def import_file(self, path: str | Path, *, import_valid_rows: bool = False) -> ImportReport:
        """Import consent forms from a CSV or Parquet file (columns: see the consent guide).

        Every row is validated first. If any row has a problem nothing is imported, unless
        *import_valid_rows* is true, in which case the valid rows are. Everything imported commits
        in one transaction with one audit event per record.

        Raises:
            InputError: the file cannot be read or lacks required columns.
        """
        from govshare.consent._import import read_rows, validate_rows

        frame = read_rows(Path(path))
        now = self._clock.now()
        records, problems = validate_rows(frame, lambda **kw: self._build_record(now=now, **kw))
        imported: list[ConsentRecord] = []
        if records and (not problems or import_valid_rows):
            with self._store.transaction() as conn:
                for record in records:
                    self._store_grant(conn, record, now)
                imported = records
        return ImportReport(
            rows=len(frame),
            imported=len(imported),
            problems=tuple(problems),
            record_ids=tuple(r.record_id for r in imported),
        )
