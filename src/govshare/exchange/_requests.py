"""Requests and decisions (``ws.requests``): submit, receive, decide within working-day limits."""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from govshare._clock import Clock, ensure_aware, utc_iso
from govshare._models import Record, build
from govshare.audit import AuditEvent, AuditLog
from govshare.consent import Vocabulary
from govshare.exceptions import (
    DocumentMismatch,
    DocumentReplayed,
    InputError,
    InvalidDocument,
    NotShareable,
    RecordNotFound,
    RequestClosed,
)
from govshare.exchange._agreements import INSERT_AGREEMENT, agreement_row, insert_agreement
from govshare.exchange._calendar import end_of_working_days, is_provisional
from govshare.exchange._catalogue import Catalogue
from govshare.exchange._common import checked_text, from_json, reading, to_json, writing
from govshare.exchange._documents import Documents, SignedDocument
from govshare.exchange._models import (
    AgreementTerms,
    CatalogueItem,
    DataRequest,
    Decision,
    GrantedColumn,
    Limits,
    Principals,
    RequestRecord,
    Treatment,
    UseType,
)
from govshare.exchange._tables import exchange_documents, exchange_requests
from govshare.identifiers import shown, shown_all
from govshare.storage import Store

__all__ = ["DEFAULT_RETENTION_DAYS", "Deadlines", "Requests"]

_r = exchange_requests
DEFAULT_RETENTION_DAYS: Final = 365
# Built once, so SQLAlchemy reuses their compiled form on every request.
_ROW = select(_r).where(_r.c.request_id == bindparam("request_id"))
_INSERT = insert(_r)
# Conditional on "pending", so of two racing decisions only one can land.
_CLOSE = (
    update(_r)
    .where(_r.c.request_id == bindparam("b_request_id"), _r.c.status == "pending")
    .values(
        status=bindparam("b_status"),
        decided_at=bindparam("b_decided_at"),
        agreement_id=bindparam("b_agreement_id"),
        decision_document=bindparam("b_document"),
        decision=bindparam("b_decision"),
    )
)


class Deadlines(Record):
    """Working-day limits (commonly cited from the 2025 Regulation and the 2016 Measures).

    Attributes:
        unconditional: to answer a request for an unconditional item (it is approved on receipt).
        conditional: to decide on a request for a conditional (or not-shared) item.
        supply: to supply the data after an approval.
    """

    unconditional: int = 1
    conditional: int = 10
    supply: int = 20


class Requests:
    """Requests for catalogue items and the providers' decisions on them (``ws.requests``).

    The requester :meth:`submit` s a signed request; the provider :meth:`receive` s it (a
    pending request with a deadline in Chinese working days) and :meth:`decide` s, which signs a
    decision, and, for an approval, the agreement; the requester imports it with
    :meth:`import_decision`. Every step is an audit event on the side where it happens.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        documents: Documents,
        department: str,
        clock: Clock,
        catalogue: Catalogue,
        vocabulary: Vocabulary,
        deadlines: Deadlines | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._documents = documents
        self.department = department
        self._clock = clock
        self._catalogue = catalogue
        self._vocabulary = vocabulary
        self.deadlines = deadlines or Deadlines()

    def __repr__(self) -> str:
        return f"Requests(department={self.department!r})"

    # -- the requester -------------------------------------------------------------------------

    def submit(
        self,
        *,
        item: str,
        columns: Iterable[str],
        purpose: str,
        legal_basis: str,
        duty_basis: str,
        use_type: UseType,
        justification: str,
        principals: Iterable[str],
        case_ref: str,
        valid_until: datetime,
        provider: str | None = None,
        conn: Connection | None = None,
    ) -> SignedDocument:
        """Request *columns* of imported catalogue item *item* for *purpose*; returns the signed
        request document to send to the provider. Records ``request.submitted``.

        Args:
            item: the item id, from a catalogue imported with ``ws.catalogue.import_catalogue``.
            columns: the columns needed (the minimum necessary).
            purpose: the purpose (a consent-vocabulary purpose code).
            legal_basis: the PIPL Art. 13 basis code (e.g. ``"legal-obligation"``).
            duty_basis: the statutory duty the purpose serves (law and article).
            use_type: ``administrative-basis``, ``work-reference``, ``data-verification`` or
                ``business-coordination``.
            justification: why the data is needed.
            principals: who will act under the agreement (officials or systems).
            case_ref: this department's case or file reference.
            valid_until: until when the data is needed.
            provider: the providing department, if two imported catalogues have *item*.

        Raises:
            RecordNotFound: no imported item *item* (of *provider*).
            NotShareable: the item is not shared.
            InputError: a column the item does not have, an unknown code, a malformed field.
            NaiveDatetimeError: *valid_until* has no timezone.
        """
        found = self._imported(item, provider)
        if found.share == "not-shared":
            raise NotShareable(f"item {shown(item)} is not shared (不予共享)")
        wanted = _columns(columns)
        missing = sorted(set(wanted) - {c.name for c in found.columns})
        if missing:
            raise InputError(f"item {shown(item)} has no column(s) {shown_all(missing)}")
        self._vocabulary.require("purpose", [purpose], what="purpose")
        self._vocabulary.require("legal-basis", [legal_basis], what="legal_basis")
        if isinstance(principals, str):
            raise InputError("principals is a list of principal ids, not one string")
        now = self._clock.now()
        assert found.provider is not None
        request = build(
            DataRequest,
            request_id="rq-" + secrets.token_hex(16),
            requester=self.department,
            provider=found.provider,
            item_id=found.item_id,
            item_version=found.version,
            columns=wanted,
            purpose=purpose,
            legal_basis=legal_basis,
            duty_basis=duty_basis,
            use_type=use_type,
            justification=justification,
            principals=tuple(principals),
            case_ref=case_ref,
            valid_until=ensure_aware(valid_until, "valid_until"),
            submitted_at=now,
        )
        with writing(self._store, conn) as tx:
            doc = self._documents.sign(
                "request", request, audience=request.provider, now=now, conn=tx
            )
            _insert(tx, request, "requester", None, None)
            data = {
                "request_id": request.request_id,
                "provider": request.provider,
                "item_id": request.item_id,
                "item_version": request.item_version,
                "columns": list(request.columns),
                "purpose": request.purpose,
                "case_ref": request.case_ref,
                "document_id": doc.id,
            }
            self._audit.record("request.submitted", data, conn=tx)
        return doc

    def _imported(self, item: str, provider: str | None) -> CatalogueItem:
        if provider is not None:
            return self._catalogue.get(item, provider=provider)
        found = [i for i in self._catalogue.list(provider="*") if i.item_id == item]
        found = [i for i in found if i.provider != self.department]
        if not found:
            raise RecordNotFound(f"no imported catalogue item {shown(item)}")
        if len(found) > 1:
            raise InputError(f"several departments publish item {shown(item)}: pass provider=")
        return found[0]

    def import_decision(
        self, doc: SignedDocument | str | bytes | Mapping[str, Any]
    ) -> RequestRecord:
        """Verify the provider's decision on a request submitted here and record it; for an
        approval, the agreement is stored awaiting this department's countersignature
        (``ws.agreements.countersign``). Records ``request.decision-received`` (or one
        ``document.refused``).

        Raises:
            InvalidDocument: refused (untrusted, altered, replayed, not from the request's
                provider, for an unknown or already decided request, or with terms wider than
                the request); nothing is stored.
        """
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": "request.import-decision"}
        try:
            with self._store.transaction() as tx:
                signed = self._documents.accept(doc, "decision", now=now, conn=tx, facts=facts)
                decision = Documents.payload(signed, Decision)
                facts["request_id"] = decision.request_id
                row = _row(tx, decision.request_id)
                if row is None or row.side != "requester" or row.provider != signed.issuer:
                    raise DocumentMismatch("the decision is for no request of ours to its signer")
                if row.status != "pending":
                    raise DocumentMismatch(f"request {decision.request_id} was already decided")
                request = from_json(DataRequest, row.request)
                _check_decision(decision, request, signed)
                if decision.agreement is not None:
                    insert_agreement(tx, decision.agreement, "requester", now)
                self._close(tx, decision, signed.id)
                data = {
                    "request_id": decision.request_id,
                    "approved": decision.approved,
                    "agreement_id": decision.agreement and decision.agreement.agreement_id,
                    "document_id": signed.id,
                }
                self._audit.record("request.decision-received", data, conn=tx)
        except InvalidDocument as exc:
            self._documents.refused(exc, facts)
            raise
        return self.get(decision.request_id)

    # -- the provider --------------------------------------------------------------------------

    def receive(self, doc: SignedDocument | str | bytes | Mapping[str, Any]) -> RequestRecord:
        """Verify a request addressed to this department and record it as pending, with its
        deadline in working days. A request for an unconditional item is approved at once (its
        decision is then in the returned record and in :meth:`decision_document`). Records
        ``request.received`` (or one ``document.refused``).

        Raises:
            InvalidDocument: refused (untrusted, altered, replayed, addressed elsewhere, for an
                unknown item or columns it does not have, with unknown codes); nothing is stored.
        """
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": "request.receive"}
        try:
            with self._store.transaction() as tx:
                events: list[AuditEvent] = []
                record = self._receive_one(tx, doc, now, facts, events)
                self._audit.append_many(events, conn=tx)
        except InvalidDocument as exc:
            self._documents.refused(exc, facts)
            raise
        return record

    def receive_many(
        self, docs: Iterable[SignedDocument | str | bytes | Mapping[str, Any]]
    ) -> builtins.list[RequestRecord | InvalidDocument]:
        """:meth:`receive` each of *docs* in one transaction; returns, in order, the record of
        each accepted request or the :class:`~govshare.InvalidDocument` that refused it.

        Each document is accepted or refused on its own (a refused one leaves its one
        ``document.refused`` event and nothing else, and a document or request that comes twice
        is accepted once); the batch's rows and events are written together. Use it for
        batches from the sharing platform: a few statements per batch instead of several per
        request.
        """
        now = self._clock.now()
        items = builtins.list(docs)
        results: builtins.list[RequestRecord | InvalidDocument | None] = [None] * len(items)
        facts = [{"operation": "request.receive"} for _ in items]
        with self._store.transaction() as tx:
            verified = []
            for i, doc in enumerate(items):
                try:
                    signed, text = self._documents.verify(doc, "request", conn=tx, facts=facts[i])
                    request = Documents.payload(signed, DataRequest)
                    facts[i]["request_id"] = request.request_id
                    item = self._requested_item(tx, signed, request, once=False)
                    verified.append((i, signed, text, request, item))
                except InvalidDocument as exc:
                    results[i] = exc
            accepted = self._first_arrivals(tx, verified, results)
            events = self._store_received(tx, accepted, now, results)
            for i, result in enumerate(results):
                if isinstance(result, InvalidDocument):
                    refusal = Documents.refusal(result, facts[i])
                    events[i] = [self._event("document.refused", refusal, now)]
            self._audit.append_many([e for i in sorted(events) for e in events[i]], conn=tx)
        return [r for r in results if r is not None]

    def _first_arrivals(
        self,
        tx: Connection,
        verified: builtins.list[tuple[int, SignedDocument, str, DataRequest, CatalogueItem]],
        results: builtins.list[RequestRecord | InvalidDocument | None],
    ) -> builtins.list[tuple[int, SignedDocument, str, DataRequest, CatalogueItem]]:
        """The verified documents neither seen before nor earlier in the batch (the others
        are refused in *results*)."""
        seen = Documents.seen(tx, [v[1].id for v in verified])
        wanted = sorted({v[3].request_id for v in verified})
        known = {
            str(r[0])
            for r in tx.execute(select(_r.c.request_id).where(_r.c.request_id.in_(wanted)))
        }
        accepted = []
        for entry in verified:
            i, signed, _, request, _ = entry
            if signed.id in seen:
                results[i] = DocumentReplayed(f"document {signed.id} was already accepted here")
            elif request.request_id in known:
                results[i] = DocumentMismatch(f"request {request.request_id} was already received")
            else:
                seen.add(signed.id)
                known.add(request.request_id)
                accepted.append(entry)
        return accepted

    def _store_received(
        self,
        tx: Connection,
        accepted: builtins.list[tuple[int, SignedDocument, str, DataRequest, CatalogueItem]],
        now: datetime,
        results: builtins.list[RequestRecord | InvalidDocument | None],
    ) -> dict[int, builtins.list[AuditEvent]]:
        events: dict[int, builtins.list[AuditEvent]] = {}
        rows = []
        for i, signed, _, request, item in accepted:
            due = end_of_working_days(now, self._days(item))
            rows.append(_request_row(request, "provider", now, due))
            events[i] = [self._event("request.received", _received(request, now, due, signed), now)]
            results[i] = RequestRecord(
                request=request, side="provider", status="pending", received_at=now, decide_by=due
            )
        Documents.record_received(tx, [(signed, text) for _, signed, text, _, _ in accepted], now)
        if rows:
            tx.execute(_INSERT, rows)
        for i, _, _, request, item in accepted:
            if item.share == "unconditional":
                self._decide(tx, request, item, now, events[i], approve=True, automatic=True)
                results[i] = _record(_row(tx, request.request_id))  # type: ignore[arg-type]
        return events

    def _days(self, item: CatalogueItem) -> int:
        if item.share == "unconditional":
            return self.deadlines.unconditional
        return self.deadlines.conditional

    def _receive_one(
        self,
        tx: Connection,
        doc: object,
        now: datetime,
        facts: dict[str, Any],
        events: builtins.list[AuditEvent],
    ) -> RequestRecord:
        signed = self._documents.accept(doc, "request", now=now, conn=tx, facts=facts)
        request = Documents.payload(signed, DataRequest)
        facts["request_id"] = request.request_id
        item = self._requested_item(tx, signed, request)
        due = end_of_working_days(now, self._days(item))
        _insert(tx, request, "provider", now, due)
        events.append(self._event("request.received", _received(request, now, due, signed), now))
        record = RequestRecord(
            request=request, side="provider", status="pending", received_at=now, decide_by=due
        )
        if item.share == "unconditional":
            self._decide(tx, request, item, now, events, approve=True, automatic=True)
            record = _record(_row(tx, request.request_id))  # type: ignore[arg-type]
        return record

    def _requested_item(
        self, tx: Connection, signed: SignedDocument, request: DataRequest, *, once: bool = True
    ) -> CatalogueItem:
        if request.provider != self.department or request.requester != signed.issuer:
            raise DocumentMismatch("the request's parties are not its signer and this department")
        if once and _row(tx, request.request_id) is not None:
            raise DocumentMismatch(f"request {request.request_id} was already received")
        try:
            item = self._catalogue.get(request.item_id, conn=tx)
            self._vocabulary.require("purpose", [request.purpose], what="purpose")
            self._vocabulary.require("legal-basis", [request.legal_basis], what="legal_basis")
        except (RecordNotFound, InputError) as exc:
            raise DocumentMismatch(str(exc)) from None
        if request.item_version > item.version:
            raise DocumentMismatch(f"item {item.item_id!r} has no version {request.item_version}")
        missing = sorted(set(request.columns) - {c.name for c in item.columns})
        if missing:
            raise DocumentMismatch(f"item {item.item_id!r} has no column(s) {missing}")
        return item

    def decide(
        self,
        request_id: str,
        *,
        approve: bool,
        reasons: Iterable[str] = (),
        conditions: Iterable[str] = (),
        limits: Limits | Mapping[str, Any] | None = None,
        columns: Iterable[str] | None = None,
        treatments: Mapping[str, Treatment] | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        effective_from: datetime | None = None,
        expires_at: datetime | None = None,
        provider_principals: Iterable[str] = (),
        conn: Connection | None = None,
    ) -> SignedDocument:
        """Decide on pending request *request_id*; returns the signed decision for the requester.

        An approval signs the agreement inside the decision: the *columns* granted (default:
        all requested; never more), each with its *treatment* (identifiers are pseudonymised by
        default, or ``"drop"``; other columns ``"release"`` or ``"aggregate-only"``), the
        *limits*, *retention_days*, and the window *effective_from* (default: now) to
        *expires_at* (default, and at most: the request's ``valid_until``). A refusal needs
        written *reasons*. Records ``request.decided`` and, for an approval, ``agreement.signed``.

        Raises:
            RecordNotFound: no request *request_id* was received here.
            RequestClosed: it was already decided.
            NotShareable: approving an item that is now not shared.
            InputError: a refusal without reasons, columns outside the item or the request, a
                malformed limit, treatment or text.
            NaiveDatetimeError: a time has no timezone.
        """
        now = self._clock.now()
        with writing(self._store, conn) as tx:
            events: builtins.list[AuditEvent] = []
            doc = self._decide_pending(
                tx,
                request_id,
                now,
                events,
                approve=approve,
                reasons=reasons,
                conditions=conditions,
                limits=limits,
                columns=columns,
                treatments=treatments,
                retention_days=retention_days,
                effective_from=effective_from,
                expires_at=expires_at,
                provider_principals=provider_principals,
            )
            self._audit.append_many(events, conn=tx)
        return doc

    def _decide_pending(
        self,
        tx: Connection,
        request_id: str,
        now: datetime,
        events: builtins.list[AuditEvent],
        *,
        approve: bool,
        reasons: Iterable[str] = (),
        conditions: Iterable[str] = (),
        **terms: Any,
    ) -> SignedDocument:
        texts = _texts(reasons, "reasons"), _texts(conditions, "conditions")
        row = _row(tx, request_id)
        if row is None or row.side != "provider":
            raise RecordNotFound(f"no request {shown(request_id)} was received here")
        if row.status != "pending":
            raise RequestClosed(f"request {request_id} was already decided ({row.status})")
        request = from_json(DataRequest, row.request)
        item = self._catalogue.get(request.item_id, conn=tx)
        return self._decide(
            tx,
            request,
            item,
            now,
            events,
            approve=approve,
            reasons=texts[0],
            conditions=texts[1],
            **terms,
        )

    def decide_many(self, decisions: Iterable[Mapping[str, Any]]) -> builtins.list[SignedDocument]:
        """:meth:`decide` several requests in one transaction: all are decided, or none is.

        Each item holds the keyword arguments of :meth:`decide` plus ``request_id`` (and no
        ``conn``). Returns the signed decisions in order.

        Raises:
            InputError: a mapping has an argument decide() does not take; and everything
                :meth:`decide` raises (nothing of the batch is stored).
        """
        now = self._clock.now()
        specs = []
        for decision in decisions:
            if not isinstance(decision, Mapping) or "conn" in decision or "batch" in decision:
                raise InputError("decide_many takes mappings of decide() keyword arguments")
            args = dict(decision)
            if not isinstance(args.get("request_id"), str):
                raise InputError("each decision names its request_id=")
            specs.append((args.pop("request_id"), args))
        with self._store.transaction() as tx:
            docs = []
            events: builtins.list[AuditEvent] = []
            batch = _Batch()
            for request_id, args in specs:
                try:
                    doc = self._decide_pending(tx, request_id, now, events, batch=batch, **args)
                except TypeError:
                    raise InputError("a decision has an argument decide() does not take") from None
                docs.append(doc)
            batch.flush(tx)
            # One append for the whole batch: the events commit with the decisions.
            self._audit.append_many(events, conn=tx)
        return docs

    def _decide(
        self,
        tx: Connection,
        request: DataRequest,
        item: CatalogueItem,
        now: datetime,
        events: builtins.list[AuditEvent],
        *,
        approve: bool,
        automatic: bool = False,
        reasons: tuple[str, ...] = (),
        conditions: tuple[str, ...] = (),
        limits: Limits | Mapping[str, Any] | None = None,
        columns: Iterable[str] | None = None,
        treatments: Mapping[str, Treatment] | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        effective_from: datetime | None = None,
        expires_at: datetime | None = None,
        provider_principals: Iterable[str] = (),
        batch: _Batch | None = None,
    ) -> SignedDocument:
        if not isinstance(approve, bool):
            raise InputError("approve is True or False")
        terms = None
        supply_by = None
        if approve:
            if item.share == "not-shared":
                raise NotShareable(f"item {item.item_id!r} is not shared (不予共享)")
            terms = self._terms(
                request,
                item,
                now,
                conditions=(*item.conditions, *conditions),
                limits=limits,
                columns=columns,
                treatments=treatments,
                retention_days=retention_days,
                effective_from=effective_from,
                expires_at=expires_at,
                provider_principals=provider_principals,
            )
            supply_by = end_of_working_days(now, self.deadlines.supply)
        elif not reasons:
            raise InputError("a refusal states its reasons (reasons=[...])")
        decision = build(
            Decision,
            request_id=request.request_id,
            provider=self.department,
            requester=request.requester,
            approved=approve,
            reasons=reasons,
            conditions=conditions,
            decided_at=now,
            automatic=automatic,
            supply_by=supply_by,
            agreement=terms,
        )
        if batch is None:
            doc = self._documents.sign(
                "decision", decision, audience=request.requester, now=now, conn=tx
            )
            if terms is not None:
                insert_agreement(tx, terms, "provider", now)
            self._close(tx, decision, doc.id)
        else:
            doc, text = self._documents.prepare(
                "decision", decision, audience=request.requester, now=now
            )
            batch.add(doc, text, decision, terms, now)
        data: dict[str, Any] = {
            "request_id": request.request_id,
            "approved": approve,
            "automatic": automatic,
            "reasons": list(reasons),
            "document_id": doc.id,
        }
        if supply_by is not None and decision.supply_by_provisional:
            data["supply_by_provisional"] = True
        if terms is not None:
            data["agreement_id"] = terms.agreement_id
        events.append(self._event("request.decided", data, now))
        if terms is not None:
            signed = {
                "agreement_id": terms.agreement_id,
                "requester": terms.requester,
                "columns": [c.name for c in terms.columns],
                "purpose": terms.purpose,
                "expires_at": utc_iso(terms.expires_at),
            }
            events.append(self._event("agreement.signed", signed, now))
        return doc

    def _event(self, type: str, data: dict[str, Any], now: datetime) -> AuditEvent:
        return build(AuditEvent, type=type, actor=self.department, time=now, data=data)

    def _terms(
        self,
        request: DataRequest,
        item: CatalogueItem,
        now: datetime,
        *,
        conditions: tuple[str, ...],
        limits: Limits | Mapping[str, Any] | None,
        columns: Iterable[str] | None,
        treatments: Mapping[str, Treatment] | None,
        retention_days: int,
        effective_from: datetime | None,
        expires_at: datetime | None,
        provider_principals: Iterable[str],
    ) -> AgreementTerms:
        granted = request.columns if columns is None else tuple(_columns(columns))
        wider = sorted(set(granted) - set(request.columns))
        if wider:
            raise InputError(f"columns {shown_all(wider)} were not requested")
        chosen = dict(treatments or {})
        unknown = sorted(set(chosen) - set(granted))
        if unknown:
            raise InputError(f"treatments name columns that are not granted: {shown_all(unknown)}")
        granted_columns = []
        for name in granted:
            column = item.column(name)
            if column is None:
                raise InputError(f"item {item.item_id!r} no longer has column {shown(name)}")
            default = "pseudonymise" if column.identifier else "release"
            granted_columns.append(
                build(
                    GrantedColumn,
                    name=name,
                    category=column.category,
                    identifier=column.identifier,
                    kind=column.kind,
                    treatment=chosen.get(name, default),
                )
            )
        start = now if effective_from is None else ensure_aware(effective_from, "effective_from")
        end = request.valid_until if expires_at is None else ensure_aware(expires_at, "expires_at")
        if end > request.valid_until:
            raise InputError("expires_at is later than the request's valid_until")
        if isinstance(provider_principals, str):
            raise InputError("provider_principals is a list of principal ids, not one string")
        return build(
            AgreementTerms,
            agreement_id="ag-" + secrets.token_hex(16),
            provider=self.department,
            requester=request.requester,
            request_id=request.request_id,
            item_id=item.item_id,
            item_version=item.version,
            columns=tuple(granted_columns),
            purpose=request.purpose,
            legal_basis=request.legal_basis,
            duty_basis=request.duty_basis,
            use_type=request.use_type,
            case_ref=request.case_ref,
            principals=build(
                Principals, provider=tuple(provider_principals), requester=request.principals
            ),
            conditions=conditions,
            limits=limits if isinstance(limits, Limits) else build(Limits, **dict(limits or {})),
            retention_days=retention_days,
            effective_from=start,
            expires_at=end,
            signed_at=now,
        )

    def _close(self, tx: Connection, decision: Decision, document_id: str) -> None:
        result = tx.execute(_CLOSE, _close_params(decision, document_id))
        if result.rowcount != 1:
            raise RequestClosed(f"request {decision.request_id} was already decided")

    # -- reading -------------------------------------------------------------------------------

    def get(self, request_id: str, *, conn: Connection | None = None) -> RequestRecord:
        """Request *request_id* as this side holds it.

        Raises:
            RecordNotFound: no such request here.
        """
        with reading(self._store, conn) as tx:
            row = _row(tx, request_id)
        if row is None:
            raise RecordNotFound(f"no request {shown(request_id)} here")
        return _record(row)

    def list(
        self,
        *,
        status: str | None = None,
        overdue: bool = False,
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> builtins.list[RequestRecord]:
        """Requests here (sent and received), oldest first; only those in *status* if given,
        only the received ones pending past their deadline at *at* (default: now) if *overdue*."""
        when = self._clock.now() if at is None else ensure_aware(at, "at")
        query = select(_r).order_by(_r.c.submitted_at, _r.c.request_id)
        if status is not None:
            query = query.where(_r.c.status == status)
        if overdue:
            query = query.where(_r.c.status == "pending", _r.c.side == "provider")
        with reading(self._store, conn) as tx:
            found = [_record(r) for r in tx.execute(query).all()]
        return [r for r in found if not overdue or r.overdue(when)]

    def overdue(self, *, at: datetime | None = None) -> builtins.list[RequestRecord]:
        """Received requests still pending past their deadline at *at* (default: now)."""
        return self.list(overdue=True, at=at)

    def decision_document(self, request_id: str) -> SignedDocument:
        """The signed decision on *request_id* (sent from here, or received here).

        Raises:
            RecordNotFound: no such request here, or it is not decided yet.
        """
        with self._store.read() as tx:
            row = _row(tx, request_id)
            if row is None or row.decision_document is None:
                raise RecordNotFound(f"no decision on request {shown(request_id)} here")
            text = tx.execute(
                select(exchange_documents.c.document).where(
                    exchange_documents.c.document_id == row.decision_document
                )
            ).scalar_one()
        return SignedDocument.model_validate_json(text)


def _check_decision(decision: Decision, request: DataRequest, signed: SignedDocument) -> None:
    if (decision.provider, decision.requester) != (signed.issuer, request.requester):
        raise DocumentMismatch("the decision's parties are not the request's")
    terms = decision.agreement
    if terms is None:
        return
    same = (
        terms.request_id == request.request_id
        and (terms.provider, terms.requester) == (request.provider, request.requester)
        and terms.item_id == request.item_id
        and terms.purpose == request.purpose
        and terms.legal_basis == request.legal_basis
        and terms.principals.requester == request.principals
        and terms.expires_at <= request.valid_until
        and {c.name for c in terms.columns} <= set(request.columns)
    )
    if not same:
        raise DocumentMismatch("the agreement's terms are not within the request")
    if to_json(terms) != to_json(AgreementTerms.model_validate(signed.payload["agreement"])):
        raise DocumentMismatch("the agreement's terms do not round-trip")


def _close_params(decision: Decision, document_id: str) -> dict[str, Any]:
    return {
        "b_request_id": decision.request_id,
        "b_status": "approved" if decision.approved else "refused",
        "b_decided_at": utc_iso(decision.decided_at),
        "b_agreement_id": decision.agreement and decision.agreement.agreement_id,
        "b_document": document_id,
        "b_decision": to_json(decision),
    }


@dataclass
class _Batch:
    """The writes of a batch of decisions, made together at the end (:meth:`flush`)."""

    docs: builtins.list[tuple[SignedDocument, str]] = field(default_factory=list)
    agreements: builtins.list[dict[str, Any]] = field(default_factory=list)
    closes: builtins.list[dict[str, Any]] = field(default_factory=list)
    now: datetime | None = None

    def add(
        self,
        doc: SignedDocument,
        text: str,
        decision: Decision,
        terms: AgreementTerms | None,
        now: datetime,
    ) -> None:
        self.docs.append((doc, text))
        if terms is not None:
            self.agreements.append(agreement_row(terms, "provider", now))
        self.closes.append(_close_params(decision, doc.id))
        self.now = now

    def flush(self, tx: Connection) -> None:
        if self.now is None:
            return
        Documents.record_sent(tx, self.docs, self.now)
        if self.agreements:
            tx.execute(INSERT_AGREEMENT, self.agreements)
        # Each UPDATE is conditional on "pending": fewer rows changed means one was decided
        # meanwhile (or twice in this batch), and the whole batch rolls back.
        result = tx.execute(_CLOSE, self.closes)
        if result.rowcount != len(self.closes):
            raise RequestClosed("a request of the batch was already decided")


def _received(
    request: DataRequest, now: datetime, due: datetime, signed: SignedDocument
) -> dict[str, Any]:
    """The data of a ``request.received`` event."""
    received = {
        "request_id": request.request_id,
        "requester": request.requester,
        "item_id": request.item_id,
        "item_version": request.item_version,
        "purpose": request.purpose,
        "case_ref": request.case_ref,
        "decide_by": utc_iso(due),
        "document_id": signed.id,
    }
    if is_provisional(now, due):  # counted Monday to Friday: the calendar lacks a year
        received["deadline_provisional"] = True
    return received


def _insert(
    tx: Connection,
    request: DataRequest,
    side: str,
    received_at: datetime | None,
    decide_by: datetime | None,
) -> None:
    tx.execute(_INSERT, _request_row(request, side, received_at, decide_by))


def _request_row(
    request: DataRequest, side: str, received_at: datetime | None, decide_by: datetime | None
) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "side": side,
        "requester": request.requester,
        "provider": request.provider,
        "status": "pending",
        "submitted_at": utc_iso(request.submitted_at),
        "received_at": None if received_at is None else utc_iso(received_at),
        "decide_by": None if decide_by is None else utc_iso(decide_by),
        "agreement_id": None,
        "decision_document": None,
        "request": to_json(request),
        "decision": None,
        "decided_at": None,
    }


def _row(tx: Connection, request_id: str) -> Row[Any] | None:
    return tx.execute(_ROW, {"request_id": request_id}).first()


def _record(row: Row[Any]) -> RequestRecord:
    return RequestRecord(
        request=from_json(DataRequest, row.request),
        side=row.side,
        status=row.status,
        received_at=row.received_at and datetime.fromisoformat(row.received_at),
        decide_by=row.decide_by and datetime.fromisoformat(row.decide_by),
        decision=row.decision and from_json(Decision, row.decision),
    )


def _columns(values: Iterable[str]) -> builtins.list[str]:
    if isinstance(values, str):
        raise InputError("columns is a list of column names, not one string")
    return builtins.list(values)


def _texts(values: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InputError(f"{what} is a list of texts, not one string")
    return tuple(checked_text(v, what) for v in values)
