"""``ws.share()`` and ``ws.receive()``: every check of a release, in order, all or nothing.

Provider side, in one transaction: the token is verified against the agreement (and one use
counted) → the agreement's limits are checked → rows without a lawful basis at this instant are
excluded (the consent registry) → columns the agreement does not grant are dropped → identifier
columns are pseudonymised into the requester's domain → the Parquet data is hashed → one
``release.shared`` event, the agreement's counters, the release record and the signed manifest
(with a checkpoint of the log that covers the event) commit together. Any failure rolls all of
it back, and the refusal is one audit event.

Requester side: the manifest's signature (a trusted key of its issuer), the content hash, the
checkpoint's signature and that it covers the release event, and that the agreement is one this
department countersigned and is still active, are all checked before any data is returned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import Connection, select, update

from govshare._clock import Clock, utc_iso
from govshare.audit import AuditLog
from govshare.consent import ConsentRegistry, Reason
from govshare.exceptions import (
    AgreementLimitReached,
    AgreementStateError,
    DocumentMismatch,
    GovShareError,
    InputError,
    InvalidDocument,
)
from govshare.exchange._aggregates import (
    AggregateQuery,
    AgreementLedger,
    aggregate_columns,
    parse_queries,
    run_queries,
)
from govshare.exchange._agreements import Agreements, terms_digest
from govshare.exchange._documents import Documents
from govshare.exchange._models import DataSharingAgreement, GrantedColumn
from govshare.exchange._receive import check_checkpoint, check_content, check_data, countersigned
from govshare.exchange._release import (
    AuditAnchor,
    Received,
    Release,
    ReleasedColumn,
    ReleaseManifest,
    ReleaseRecord,
    new_release_id,
    parquet_bytes,
    read_releases,
    release_row,
)
from govshare.exchange._tables import exchange_agreements, exchange_releases
from govshare.pseudonym import DEFAULT_SCHEME, SCHEMES, Kind, Pseudonymiser, SchemeName
from govshare.storage import Store
from govshare.tokens import Grant, Tokens
from govshare.types import AGREEMENT_ID_PATTERN, matches

__all__ = ["MISSING_SUBJECT", "Exchange"]

MISSING_SUBJECT = "missing-subject"
"""Exclusion reason of a row whose subject column is empty (``invalid-subject``: malformed)."""
_KEPT = (Reason.ALLOWED.value, Reason.STATUTORY.value)
_a = exchange_agreements
_r = exchange_releases
Transaction = Callable[[], AbstractContextManager[Connection]]
PseudonymiserFactory = Callable[[str, Kind, SchemeName], Pseudonymiser]


class Exchange:
    """Releases under agreements: :meth:`share` (provider), :meth:`receive` (requester).

    Built by the workspace (``ws.share``, ``ws.receive``, ``ws.releases``), which hands it the
    capabilities it composes.

    Args:
        store, audit, documents, agreements, department, clock: this department's.
        tokens: verifies the requester's token (and counts its use).
        consents: the consent registry that decides each row.
        pseudonymiser: ``(domain, kind, scheme)`` → a pseudonymiser on this department's keys.
        transaction: the workspace's transaction (it records a refusal's pending audit event
            after rolling back).
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        documents: Documents,
        agreements: Agreements,
        department: str,
        clock: Clock,
        *,
        tokens: Tokens,
        consents: ConsentRegistry,
        pseudonymiser: PseudonymiserFactory,
        transaction: Transaction,
        log_key: str,
    ) -> None:
        self._store = store
        self._audit = audit
        self._documents = documents
        self._agreements = agreements
        self.department = department
        self._clock = clock
        self._tokens = tokens
        self._consents = consents
        self._pseudonymiser = pseudonymiser
        self._transaction = transaction
        self._log_key = log_key

    def __repr__(self) -> str:
        return f"Exchange(department={self.department!r})"

    # -- provider side ---------------------------------------------------------------------------

    def share(
        self, df: pd.DataFrame, *, agreement: str, token: str, subject_column: str
    ) -> Release:
        """Release the rows and columns of *df* that *agreement* and the law allow.

        See the module docstring for the order of the checks. *df* is not modified.

        Raises:
            InputError: *df* is not a DataFrame, lacks *subject_column* or a granted column, or
                the token grants none of the agreement's released columns.
            RecordNotFound: no such agreement here.
            AgreementStateError: this department is not the agreement's provider.
            InvalidToken: the token is refused (a subclass names why: another agreement or
                recipient, suspended or expired agreement, used up, …).
            AgreementLimitReached: the release would exceed the agreement's limits.
        """
        return self._refusing("share", agreement, lambda tx, now, facts: self._share(
            tx, df, agreement, token, subject_column, now, facts
        ))  # fmt: skip

    def share_aggregates(
        self,
        df: pd.DataFrame,
        *,
        agreement: str,
        token: str,
        subject_column: str,
        queries: Sequence[AggregateQuery | Mapping[str, Any]],
    ) -> Release:
        """Release differentially private statistics of *df* (not its rows) under *agreement*.

        The same checks as :meth:`share` and the same consent filter choose the rows; each
        query's columns must be granted (``aggregate-only`` or ``release``) and not identify a
        person. Each person (the *subject_column*) counts once per query; the epsilon of every
        query is charged to the agreement's epsilon total (``limits.epsilon``) in the same
        transaction as the release. Counts are published as non-negative integers
        (``value``), with the unclamped noisy value beside them (``raw_value``). The manifest
        does not carry the exact numbers of rows in and excluded (they would undo the privacy
        the noise gives); the provider's audit event and release record do.

        Raises:
            InputError: as :meth:`share`, or a malformed query, or a query on a column the
                agreement does not grant for statistics.
            AgreementLimitReached: the agreement grants no epsilon, or not enough is left.
            RecordNotFound, AgreementStateError, InvalidToken: as :meth:`share`.
        """
        return self._refusing("share-aggregates", agreement, lambda tx, now, facts: (
            self._share_aggregates(tx, df, agreement, token, subject_column, queries, now, facts)
        ))  # fmt: skip

    def _refusing(
        self,
        operation: str,
        agreement: str,
        body: Callable[[Connection, datetime, dict[str, Any]], Release],
    ) -> Release:
        """Run *body* in one transaction; a refusal is one audit event, nothing else."""
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": operation}
        if matches(AGREEMENT_ID_PATTERN, agreement):
            facts["agreement_id"] = agreement
        try:
            with self._transaction() as tx:
                return body(tx, now, facts)
        except GovShareError as exc:
            if not exc.pending_audit:  # a refused token has recorded its own refusal
                self._audit.record("release.refused", {**facts, "reason": type(exc).__name__})
            raise

    def _open(
        self, tx: Connection, df: object, token: str, now: datetime, facts: dict[str, Any]
    ) -> tuple[DataSharingAgreement, Grant, tuple[int, int, int]]:
        """The agreement (this side must provide it), the verified token (one use counted) and
        the agreement's counters, locked; the limits checked before any row is read."""
        if not isinstance(df, pd.DataFrame):
            raise InputError("share() takes a pandas DataFrame")
        if "agreement_id" not in facts:
            raise InputError("an agreement id is 'ag-' and 32 lower-case hex digits")
        agreement_id = facts["agreement_id"]
        agreement = self._agreements.get(agreement_id, at=now, conn=tx)
        terms = agreement.terms
        facts.update(recipient=terms.requester, purpose=terms.purpose)
        if agreement.side != "provider":
            raise AgreementStateError("only an agreement's provider releases data under it")
        grant = self._tokens.verify(
            token, audience=self.department, purpose=terms.purpose, agreement=agreement_id,
            now=now, conn=tx,
        )  # fmt: skip
        facts["jti"] = grant.jti
        counters = self._lock_counters(tx, agreement_id)
        _check_limits(agreement, counters, rows=0)
        return agreement, grant, counters

    def _lawful(
        self,
        tx: Connection,
        df: pd.DataFrame,
        subject_column: str,
        agreement: DataSharingAgreement,
        categories: Sequence[str],
        now: datetime,
    ) -> tuple[npt.NDArray[np.bool_], dict[str, int], dict[str, int]]:
        """Which rows have a lawful basis at *now*; rows excluded by reason; kept by basis."""
        snapshot = self._consents.snapshot(
            recipient=agreement.terms.requester,
            purpose=agreement.terms.purpose,
            categories=sorted(set(categories)),
            at=now,
            conn=tx,
        )
        subjects = df[subject_column]
        codes = snapshot.reasons(subjects, self._consents.subject_pseudonyms.many)
        keep = np.isin(codes, snapshot.kept_codes)
        excluded, by_basis = _by_reason(codes, snapshot.reason_names, subjects)
        return keep, excluded, by_basis

    def _share(
        self,
        tx: Connection,
        df: pd.DataFrame,
        agreement_id: str,
        token: str,
        subject_column: str,
        now: datetime,
        facts: dict[str, Any],
    ) -> Release:
        agreement, grant, counters = self._open(tx, df, token, now, facts)
        columns = _released_columns(agreement, grant, df, subject_column)
        categories = [c.category for c in columns]
        keep, excluded, by_basis = self._lawful(tx, df, subject_column, agreement, categories, now)
        kept = int(keep.sum())
        _check_limits(agreement, counters, rows=kept)
        table, released = self._transform(
            _arrow(df, columns).filter(keep), columns, agreement.terms.requester
        )
        fields = {
            "rows_in": len(df),
            "rows_kept": kept,
            "kept_by_basis": by_basis,
            "excluded": excluded,
            "columns": released,
            "columns_dropped": len(df.columns) - len(released),
        }
        return self._release(tx, agreement, grant, now, facts, parquet_bytes(table), fields,
                             rows=kept, excluded=excluded, epsilon=0)  # fmt: skip

    def _share_aggregates(
        self,
        tx: Connection,
        df: pd.DataFrame,
        agreement_id: str,
        token: str,
        subject_column: str,
        queries: Sequence[AggregateQuery | Mapping[str, Any]],
        now: datetime,
        facts: dict[str, Any],
    ) -> Release:
        agreement, grant, counters = self._open(tx, df, token, now, facts)
        asked = parse_queries(queries)
        columns, categories = aggregate_columns(agreement, grant, df, subject_column, asked)
        keep, excluded, _ = self._lawful(tx, df, subject_column, agreement, categories, now)
        kept = int(keep.sum())
        _check_limits(agreement, counters, rows=kept)
        ledger = AgreementLedger(
            tx, agreement, spent=counters[2], audit=self._audit, now=now,
            basis=f"verified token {grant.jti} under agreement {agreement.id}",
        )  # fmt: skip
        names = list(dict.fromkeys([subject_column, *(c.name for c in columns)]))
        table = run_queries(df.loc[keep, names], subject_column, asked, ledger, self._clock)
        fields = {
            "kind": "aggregates",
            "rows_in": table.num_rows,
            "rows_kept": table.num_rows,
            "kept_by_basis": {},
            "excluded": {},
            "columns": tuple(
                ReleasedColumn(name=c.name, category=c.category, treatment=c.treatment)
                for c in columns
            ),
            "columns_dropped": 0,
            "queries": asked,
            "epsilon": ledger.charged / 1_000_000,
        }
        return self._release(tx, agreement, grant, now, facts, parquet_bytes(table), fields,
                             rows=kept, excluded=excluded, epsilon=ledger.charged)  # fmt: skip

    def _release(
        self,
        tx: Connection,
        agreement: DataSharingAgreement,
        grant: Grant,
        now: datetime,
        facts: dict[str, Any],
        data: bytes,
        fields: dict[str, Any],
        *,
        rows: int,
        excluded: dict[str, int],
        epsilon: int,
    ) -> Release:
        """One ``release.shared`` event, the agreement's counters, a checkpoint covering the
        event, the signed manifest and the release record, all on *tx*."""
        terms = agreement.terms
        release_id = new_release_id()
        digest = hashlib.sha256(data).hexdigest()
        event = {
            **facts,
            "release_id": release_id,
            "agreement_version": terms.version,
            "case_ref": terms.case_ref,
            "rows": rows,
            "excluded": excluded,
            "columns": [c.name for c in fields["columns"]],
            "content_sha256": digest,
        }
        if epsilon:
            event["epsilon_units"] = epsilon
        index = self._audit.record("release.shared", event, time=now, conn=tx)
        tx.execute(
            update(_a)
            .where(_a.c.agreement_id == agreement.id)
            .values(releases=_a.c.releases + 1, rows=_a.c.rows + rows)
        )
        checkpoint = self._audit.checkpoint(conn=tx)
        manifest = ReleaseManifest(
            release_id=release_id,
            provider=self.department,
            requester=terms.requester,
            agreement_id=agreement.id,
            agreement_version=terms.version,
            terms_sha256=terms_digest(terms),
            token_jti=grant.jti,
            purpose=terms.purpose,
            case_ref=terms.case_ref,
            principal=grant.claims.detail.principal,
            released_at=now,
            content_sha256=digest,
            content_bytes=len(data),
            audit=AuditAnchor(
                origin=self._audit.origin,
                log_key=self._log_key,
                index=index,
                checkpoint=checkpoint.text,
            ),
            **fields,
        )
        doc, text = self._documents.prepare(
            "release-manifest", manifest, audience=terms.requester, now=now
        )
        Documents.record_sent(tx, [(doc, text)], now)
        row = release_row(manifest, "provider", document_id=doc.id, audit_index=index,
                          received_at=None, rows=rows, excluded=excluded)  # fmt: skip
        tx.execute(_r.insert(), row)
        return Release(text, data)

    def _lock_counters(self, tx: Connection, agreement_id: str) -> tuple[int, int, int]:
        # Locked (PostgreSQL) so two racing releases cannot both pass the limits.
        query = select(_a.c.releases, _a.c.rows, _a.c.epsilon_micro).where(
            _a.c.agreement_id == agreement_id
        )
        if self._store.backend == "postgresql":
            query = query.with_for_update()
        releases, rows, epsilon = tx.execute(query).one()
        return int(releases), int(rows), int(epsilon)

    def _transform(
        self, table: pa.Table, columns: Sequence[GrantedColumn], requester: str
    ) -> tuple[pa.Table, tuple[ReleasedColumn, ...]]:
        """*table* with its identifier columns pseudonymised, and what was done to each."""
        released = []
        for i, column in enumerate(columns):
            if column.treatment == "release":
                released.append(
                    ReleasedColumn(name=column.name, category=column.category, treatment="release")
                )
                continue
            kind: Kind = column.kind or "resident_id"
            pseudonymiser = self._pseudonymiser(requester, kind, _scheme_for(kind))
            values, nulled = _pseudonymise_distinct(pseudonymiser, table.column(i))
            table = table.set_column(i, column.name, values)
            released.append(
                ReleasedColumn(
                    name=column.name,
                    category=column.category,
                    treatment="pseudonymise",
                    kind=kind,
                    scheme=pseudonymiser.scheme,
                    key_version=pseudonymiser.version,
                    domain=requester,
                    nulled=nulled,
                )
            )
        return table, tuple(released)

    # -- requester side --------------------------------------------------------------------------

    def receive(self, release: Release, *, log_key: str | None = None) -> Received:
        """Verify *release* and record its receipt; returns the data and the manifest.

        A release received before is recorded again, flagged ``duplicate``, and not counted
        twice. Records ``release.received`` (or one ``document.refused``).

        Args:
            release: from ``ws.share()`` or :meth:`Release.load`.
            log_key: the provider's audit log key (a verifier key string), if known out of band;
                the manifest's own key must then be it.

        Raises:
            InvalidDocument: refused, and nothing accepted: :class:`UntrustedSigner` (an untrusted
                department), :class:`DocumentSignatureInvalid` (manifest altered),
                :class:`ReleaseTampered` (data or checkpoint altered),
                :class:`DocumentMismatch` (not for this department, or under an agreement it
                never countersigned or that is no longer active), :class:`MalformedDocument`.
        """
        if not isinstance(release, Release):
            raise InputError("receive() takes a Release (from ws.share() or Release.load())")
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": "release.receive"}
        try:
            with self._store.transaction() as tx:
                return self._receive(tx, release, log_key, now, facts)
        except InvalidDocument as exc:
            self._documents.refused(exc, facts)
            raise

    def _receive(
        self,
        tx: Connection,
        release: Release,
        log_key: str | None,
        now: datetime,
        facts: dict[str, Any],
    ) -> Received:
        signed, text = self._documents.verify(
            release.manifest_text, "release-manifest", conn=tx, facts=facts
        )
        manifest = Documents.payload(signed, ReleaseManifest)
        facts.update(release_id=manifest.release_id, agreement_id=manifest.agreement_id)
        if manifest.provider != signed.issuer or manifest.requester != self.department:
            raise DocumentMismatch("the manifest's parties are not its signer and this department")
        check_content(release.data, manifest)
        check_checkpoint(manifest.audit, log_key)
        agreement = countersigned(self._agreements, tx, manifest, now)
        frame = check_data(release.data, manifest, agreement)
        known = tx.execute(
            select(_r.c.duplicates).where(_r.c.release_id == manifest.release_id)
        ).first()
        event = {
            **facts,
            "provider": manifest.provider,
            "document_id": signed.id,
            "rows": manifest.rows_kept,
            "content_sha256": manifest.content_sha256,
            "provider_audit_index": manifest.audit.index,
            "duplicate": known is not None,
        }
        index = self._audit.record("release.received", event, time=now, conn=tx)
        if known is not None:
            tx.execute(
                update(_r)
                .where(_r.c.release_id == manifest.release_id)
                .values(duplicates=_r.c.duplicates + 1)
            )
        else:
            Documents.record_received(tx, [(signed, text)], now)
            row = release_row(manifest, "requester", document_id=signed.id, audit_index=index,
                              received_at=utc_iso(now))  # fmt: skip
            tx.execute(_r.insert(), row)
        return Received(frame=frame, manifest=manifest, duplicate=known is not None,
                        audit_index=index)  # fmt: skip

    # -- records ---------------------------------------------------------------------------------

    def list(
        self,
        *,
        agreement: str | None = None,
        side: Literal["provider", "requester"] | None = None,
    ) -> list[ReleaseRecord]:
        """Every release this store sent or received, oldest first (:func:`read_releases`)."""
        return read_releases(self._store, agreement=agreement, side=side)


def _released_columns(
    agreement: DataSharingAgreement, grant: Grant, df: pd.DataFrame, subject_column: str
) -> list[GrantedColumn]:
    """The granted columns to release: treated ``release`` or ``pseudonymise``, in a category
    the token grants; every one must be in *df*."""
    if not isinstance(subject_column, str) or subject_column not in df.columns:
        raise InputError("the frame has no subject column of that name")
    granted = set(grant.categories)
    columns = [
        c
        for c in agreement.terms.columns
        if c.treatment in ("release", "pseudonymise") and c.category in granted
    ]
    if not columns:
        raise InputError("the token grants none of the columns the agreement releases")
    missing = [c.name for c in columns if c.name not in df.columns]
    if missing:
        raise InputError(f"the agreement grants column(s) missing from the frame: {missing}")
    return columns


def _check_limits(
    agreement: DataSharingAgreement, counters: tuple[int, int, int], *, rows: int
) -> None:
    limits, (releases, released_rows, _) = agreement.terms.limits, counters
    if limits.max_releases is not None and releases >= limits.max_releases:
        raise AgreementLimitReached(
            f"agreement {agreement.id} allows {limits.max_releases} release(s); all are used"
        )
    if limits.max_rows is not None and released_rows + max(rows, 1) > limits.max_rows:
        raise AgreementLimitReached(
            f"agreement {agreement.id} allows {limits.max_rows} rows in total; "
            f"{released_rows} are released and this release has {rows}"
        )


def _by_reason(
    codes: npt.NDArray[np.int8], names: Sequence[str], subjects: pd.Series
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows excluded by reason (empty subjects apart as ``missing-subject``), rows kept by basis."""
    counts = np.bincount(codes, minlength=len(names))
    found = {name: int(n) for name, n in zip(names, counts, strict=True) if n}
    invalid = names.index(Reason.INVALID_SUBJECT.value)
    if found.get(Reason.INVALID_SUBJECT.value):
        # Only the (few) invalid rows are looked at: which of them are empty.
        rows = subjects[codes == invalid]
        missing = int((rows.isna() | rows.astype(object).eq("")).sum())
        if missing:
            found[MISSING_SUBJECT] = missing
            found[Reason.INVALID_SUBJECT.value] -= missing
            if not found[Reason.INVALID_SUBJECT.value]:
                del found[Reason.INVALID_SUBJECT.value]
    kept = {k: found.pop(k) for k in _KEPT if k in found}
    return dict(sorted(found.items())), kept


def _arrow(df: pd.DataFrame, columns: Sequence[GrantedColumn]) -> pa.Table:
    """The released columns of *df* as an Arrow table (no index; zero-copy where pandas is)."""
    names = [c.name for c in columns]
    try:
        return pa.Table.from_pandas(df[names], preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        raise InputError(
            f"columns {names} cannot be released: a column mixes types Parquet cannot hold"
        ) from None


def _pseudonymise_distinct(
    pseudonymiser: Pseudonymiser, values: pa.ChunkedArray
) -> tuple[pa.Array, int]:
    """Pseudonyms of *values*, computed once per distinct value; and how many present values
    were invalid (released as missing)."""
    encoded = pc.dictionary_encode(values).combine_chunks()
    names, _ = pseudonymiser.pseudonymise_arrow(encoded.dictionary)
    taken = names.combine_chunks().take(encoded.indices)
    return taken, taken.null_count - values.null_count


def _scheme_for(kind: Kind) -> SchemeName:
    """The default scheme if it encodes *kind* (resident IDs, mobiles), else the first that does."""
    if kind in SCHEMES[DEFAULT_SCHEME].kinds:
        return DEFAULT_SCHEME
    name = next(n for n, s in SCHEMES.items() if kind in s.kinds)
    return name  # type: ignore[return-value]  # SCHEMES is keyed by SchemeName
