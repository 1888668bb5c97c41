"""Workspace: one department's store, keys and audit log, bound together."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, select

from govshare._clock import Clock, SystemClock, utc_iso
from govshare._version import __version__
from govshare.audit import AuditLog, parse_verifier_key, verifier_key_string
from govshare.crypto import ScryptParams, VerifyKey
from govshare.exceptions import (
    GovShareError,
    InputError,
    IntegrityError,
    KeyStoreError,
    PurposeMismatch,
    SignatureError,
    StorageError,
)
from govshare.identifiers import looks_like_identifier, refuse_identifier
from govshare.keys import KeyRing
from govshare.storage import Store, workspace_meta
from govshare.types import check_department

if TYPE_CHECKING:  # [pseudonym] types of the lazily imported capability
    from govshare.pseudonym import Kind, Pseudonymiser, SchemeName

if TYPE_CHECKING:  # [dp] types of the lazily imported capability
    import pandas as pd

    from govshare.dp import Query, StoreLedger

__all__ = ["KEY_FILE_ENV", "Workspace", "open_audit_log"]

KEY_FILE_ENV: Final = "GOVSHARE_KEY_FILE"


class Workspace:
    """A department's store, key ring and audit log, opened together.

    Use :meth:`open`; the first open of a new store creates its schema, the department's key file
    and the audit log, and records ``workspace.created``. Later opens check that the key file
    belongs to the store. Close it (or use ``with``) to release database connections.

    Attributes:
        department: the department's id (lower-case letters, digits and hyphens).
        store: the :class:`~govshare.storage.Store`.
        keys: the department's :class:`~govshare.keys.KeyRing`.
        audit: the :class:`~govshare.audit.AuditLog`.
    """

    def __init__(
        self, store: Store, keys: KeyRing, audit: AuditLog, department: str, clock: Clock
    ) -> None:
        self.store = store
        self.keys = keys
        self.audit = audit
        self.department = department
        self.clock = clock

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        department: str | None = None,
        passphrase: str | None = None,
        key_file: str | Path | None = None,
        schema: str | None = None,
        clock: Clock | None = None,
        scrypt: ScryptParams | None = None,
    ) -> Workspace:
        """Open the workspace at *url*, creating what is missing on first open.

        Args:
            url: store URL (default ``GOVSHARE_URL``, else ``sqlite:///govshare.db`` here).
            department: this department's id; required to create a workspace, checked otherwise.
            passphrase: the key file's passphrase (default ``GOVSHARE_PASSPHRASE``).
            key_file: where the encrypted keys live (default ``GOVSHARE_KEY_FILE``, else beside a
                SQLite database as ``<db>.keys``, else ``./govshare.keys``).
            schema: PostgreSQL schema to keep the tables in.
            clock: time source (tests inject a frozen one).
            scrypt: key-file KDF cost for a *new* key file (tests may lower it).

        Raises:
            InputError: *department* is missing for a new store, malformed, or not the store's.
            KeyStoreError: the key file is missing, belongs to another workspace, or has no
                passphrase; :class:`~govshare.WrongPassphrase` for a wrong one.
            StorageError: the store cannot be opened (:class:`~govshare.StoreUnavailable`,
                :class:`~govshare.SchemaTooNew`).
        """
        if department is not None:  # before anything is created
            refuse_identifier(check_department(department), "the department id")
        clock = clock or SystemClock()
        store = Store.open(url, schema=schema)
        try:
            path = Path(key_file or os.environ.get(KEY_FILE_ENV) or _default_key_file(store))
            meta = _read_meta(store)
            if not meta:
                return cls._create(store, path, department, passphrase, clock, scrypt)
            if department is not None and department != meta["department"]:
                raise InputError(
                    f"this store belongs to department {meta['department']!r}, not {department!r}"
                )
            if not path.exists():
                raise KeyStoreError(
                    f"the store's key file {path} is missing (restore it from backup, or pass "
                    "key_file=… / set GOVSHARE_KEY_FILE)"
                )
            keys = KeyRing.open(path, passphrase=passphrase, clock=clock)
            _check_keys_match(keys, meta["log_key"])
            return cls._bind(store, keys, meta, clock)
        except BaseException:
            store.close()
            raise

    @classmethod
    def _create(
        cls,
        store: Store,
        path: Path,
        department: str | None,
        passphrase: str | None,
        clock: Clock,
        scrypt: ScryptParams | None,
    ) -> Workspace:
        if department is None:
            raise InputError("a new workspace needs department=… (e.g. 'civil-affairs')")
        if path.exists():
            keys = KeyRing.open(path, passphrase=passphrase)
            if keys.department != department:
                raise KeyStoreError(f"key file {path} belongs to another department")
            return cls._initialise(store, keys, department, clock)
        keys = KeyRing.create(
            path, department=department, passphrase=passphrase, scrypt=scrypt, clock=clock
        )
        try:
            return cls._initialise(store, keys, department, clock)
        except BaseException:
            # A first open that failed leaves no key file of its own in the way of a retry, unless
            # the store did take these keys (a commit that raised after it landed): never lose them.
            if not _store_uses(store, keys):
                path.unlink(missing_ok=True)
            raise

    @classmethod
    def _initialise(cls, store: Store, keys: KeyRing, department: str, clock: Clock) -> Workspace:
        origin = f"govshare/{department}/audit/{secrets.token_hex(8)}"
        while looks_like_identifier(origin):  # generated codes never look like identifiers
            origin = f"govshare/{department}/audit/{secrets.token_hex(8)}"
        meta = {
            "department": department,
            "origin": origin,
            "log_key": verifier_key_string(origin, keys.signing_key().verify_key),
            "created_at": utc_iso(clock.now()),
            "created_by": f"govshare {__version__}",
        }
        with store.transaction() as conn:
            existing = _read_meta_in(conn)
            if existing:  # another process created the workspace first: use theirs
                meta = existing
            else:
                conn.execute(
                    workspace_meta.insert(), [{"key": k, "value": v} for k, v in meta.items()]
                )
            _check_keys_match(keys, meta["log_key"])
            ws = cls._bind(store, keys, meta, clock)
            if not existing:  # the event commits with the workspace, or neither does
                data = {"department": department, "origin": origin}
                ws.audit.record("workspace.created", data, conn=conn)
        return ws

    @classmethod
    def _bind(cls, store: Store, keys: KeyRing, meta: dict[str, str], clock: Clock) -> Workspace:
        department = meta["department"]
        # The log signs with the key its checkpoints were published under, even after rotation.
        _, recorded = parse_verifier_key(meta["log_key"])
        signer = next(
            keys.signing_key(info.name, info.version)
            for info in keys.key_infos()
            if info.type == "ed25519"
            and info.status == "active"
            and keys.verify_key(info.kid) == recorded
        )
        log = AuditLog(store, origin=meta["origin"], signer=signer, actor=department, clock=clock)
        return cls(store, keys, log, department, clock)

    # -- capabilities: one block per capability, each imported lazily ------------------------
    # [pseudonym]
    def pseudonymiser(
        self,
        *,
        domain: str,
        scheme: SchemeName | None = None,
        kind: Kind = "resident_id",
    ) -> Pseudonymiser:
        """A :class:`~govshare.pseudonym.Pseudonymiser` for *domain* on this workspace's keys.

        Uses the key ring's ``pseudonym-root`` secret (created on first use; rotate it with
        ``ws.keys.rotate("pseudonym-root")``); re-identifications are recorded in ``ws.audit``.

        Raises:
            InputError: unknown scheme or kind, or a malformed domain.
            KeyNotFound: every version of the root key is retired.
        """
        from govshare.pseudonym import Pseudonymiser

        return Pseudonymiser.from_keyring(
            self.keys, domain=domain, scheme=scheme, kind=kind, audit=self.audit
        )

    # [consent]
    if TYPE_CHECKING:
        from govshare.consent import ConsentRegistry as _ConsentRegistry

    @property
    def consents(self) -> _ConsentRegistry:
        """The department's consent registry (:class:`~govshare.consent.ConsentRegistry`).

        Built on first use. Subjects are stored as pseudonyms of the ``consent-registry`` domain
        (:meth:`pseudonymiser`), never as raw identifiers.
        """
        from govshare.consent import ConsentRegistry, SubjectPseudonyms

        registry = self.__dict__.get("_consents")
        if not isinstance(registry, ConsentRegistry):
            registry = ConsentRegistry(
                self.store,
                self.audit,
                pseudonyms=SubjectPseudonyms(self.pseudonymiser(domain="consent-registry")),
                controller=self.department,
                clock=self.clock,
            )
            self.__dict__["_consents"] = registry
        return registry

    # [tokens]
    if TYPE_CHECKING:
        from govshare.tokens import Tokens as _Tokens

    @property
    def tokens(self) -> _Tokens:
        """This department's purpose-bound access tokens (:class:`~govshare.tokens.Tokens`):
        issue, verify, revoke, introspect, exchange, and trust other departments' keys.

        Signed with the key ring's ``token-signing`` key (created on first use; rotate it with
        ``ws.keys.rotate("token-signing")``); every decision is recorded in ``ws.audit``.
        """
        from govshare.tokens import Tokens

        found = self.__dict__.get("_tokens")
        if not isinstance(found, Tokens):
            found = Tokens(
                self.store,
                self.keys,
                self.audit,
                self.department,
                clock=self.clock,
                agreements=self._agreement_lookup(),  # [exchange]
            )
            self.__dict__["_tokens"] = found
        return found

    # [dp]
    @property
    def budgets(self) -> StoreLedger:
        """The store's differential-privacy budget ledger (caps per dataset, charged atomically),
        bound to this department: every charge made through it is charged to this department."""
        from govshare.dp import StoreLedger

        return StoreLedger(
            self.store,
            self.audit,
            self.clock,
            requester=self.department,
            basis="workspace department",
        )

    def dp(
        self,
        data: pd.DataFrame,
        *,
        privacy_unit: str,
        dataset: str,
        max_groups: int = 1,
        max_rows: int = 1,
        token: str | None = None,
        purpose: str | None = None,
    ) -> Query:
        """Differentially private queries over *data*, paid from this store's ledger.

        Every release is charged to this department, or, given *token* and *purpose*, to the
        subject of that token once this workspace has verified it (audience: this department;
        one use is counted now; a token bound to an agreement must be within it, and the release
        names the agreement and its principal). Who is charged is never a free choice of the
        caller.

        Raises:
            InputError: as :class:`govshare.dp.Query`, or only one of *token* / *purpose*.
            InvalidToken: the token is refused (a subclass names why).
            PurposeMismatch: the token is limited to another dataset.
        """
        from govshare.dp import Query, StoreLedger

        requester, basis = self.department, "workspace department"
        if token is not None or purpose is not None:
            if token is None or purpose is None:
                raise InputError("a query on behalf of a token needs both token= and purpose=")
            requester, basis = self._token_requester(token, purpose, dataset)
        ledger = StoreLedger(self.store, self.audit, self.clock, requester=requester, basis=basis)
        return Query(
            data,
            privacy_unit=privacy_unit,
            dataset=dataset,
            ledger=ledger,
            requester=requester,
            max_groups=max_groups,
            max_rows=max_rows,
            clock=self.clock,
        )

    def _token_requester(self, token: str, purpose: str, dataset: str) -> tuple[str, str]:
        """The verified subject of *token* and the basis naming it (one use counted)."""
        with self.transaction() as tx:
            grant = self.tokens.verify(token, audience=self.department, purpose=purpose, conn=tx)
            limited = grant.claims.detail.dataset
            if limited is not None and limited != dataset:
                refused = PurposeMismatch(
                    f"token {grant.jti} is limited to dataset {limited!r}, not {dataset!r}"
                )
                facts = {
                    "operation": "dp",
                    "audience": self.department,
                    "purpose": purpose,
                    "jti": grant.jti,
                    "iss": grant.claims.iss,
                    "sub": grant.claims.sub,
                    "dataset": dataset,
                    "reason": type(refused).__name__,
                }
                refused.pending_audit = (("token.refused", facts),)  # recorded after rollback
                raise refused
        detail = grant.claims.detail
        basis = f"verified token {grant.jti}"
        if detail.agreement is not None:  # verify() checked that the agreement is active here
            basis += f" under agreement {detail.agreement} (principal {detail.principal})"
        return grant.claims.sub, basis

    # [exchange]
    if TYPE_CHECKING:
        from govshare.exchange import AggregateQuery as _AggregateQuery
        from govshare.exchange import Agreements as _Agreements
        from govshare.exchange import Catalogue as _Catalogue
        from govshare.exchange import Documents as _Documents
        from govshare.exchange import Exchange as _Exchange
        from govshare.exchange import Received as _Received
        from govshare.exchange import Release as _Release
        from govshare.exchange import Requests as _Requests

    @property
    def catalogue(self) -> _Catalogue:
        """This department's shared-data catalogue and the catalogues it imported
        (:class:`~govshare.exchange.Catalogue`)."""
        from govshare.consent import Vocabulary
        from govshare.exchange import Catalogue

        found = self.__dict__.get("_catalogue")
        if not isinstance(found, Catalogue):
            found = Catalogue(
                self.store,
                self.audit,
                self._documents(),
                self.department,
                self.clock,
                Vocabulary.builtin(),
            )
            self.__dict__["_catalogue"] = found
        return found

    @property
    def requests(self) -> _Requests:
        """Requests for catalogue items and decisions on them
        (:class:`~govshare.exchange.Requests`), with deadlines in Chinese working days."""
        from govshare.consent import Vocabulary
        from govshare.exchange import Requests

        found = self.__dict__.get("_requests")
        if not isinstance(found, Requests):
            found = Requests(
                self.store,
                self.audit,
                self._documents(),
                self.department,
                self.clock,
                self.catalogue,
                Vocabulary.builtin(),
            )
            self.__dict__["_requests"] = found
        return found

    @property
    def agreements(self) -> _Agreements:
        """The data-sharing agreements this department is party to
        (:class:`~govshare.exchange.Agreements`). Signed documents are checked against the
        keys trusted with ``ws.tokens.trust``."""
        return self._agreement_lookup()

    def _agreement_lookup(self) -> _Agreements:
        from govshare.exchange import Agreements

        found = self.__dict__.get("_agreements")
        if not isinstance(found, Agreements):
            found = Agreements(
                self.store, self.audit, self._documents(), self.department, self.clock
            )
            self.__dict__["_agreements"] = found
        return found

    def share(
        self, df: pd.DataFrame, *, agreement: str, token: str, subject_column: str
    ) -> _Release:
        """Release to an agreement's requester the rows and columns of *df* it may have.

        In one transaction, all or nothing: the requester's *token* is verified against
        *agreement* (one use counted), the agreement's limits are checked, rows without a lawful
        basis for the requester, purpose and categories at this instant are excluded (counted by
        reason), columns the agreement does not grant are dropped, identifier columns are
        pseudonymised into the requester's domain, and the signed manifest, the agreement's
        counters, the release record and one ``release.shared`` event commit together. A
        refusal is one audit event and charges nothing. See :class:`govshare.exchange.Exchange`.

        Raises:
            InputError, RecordNotFound, AgreementStateError, InvalidToken,
            AgreementLimitReached: as :meth:`govshare.exchange.Exchange.share`.
        """
        return self.releases.share(
            df, agreement=agreement, token=token, subject_column=subject_column
        )

    def share_aggregates(
        self,
        df: pd.DataFrame,
        *,
        agreement: str,
        token: str,
        subject_column: str,
        queries: Sequence[_AggregateQuery | Mapping[str, Any]],
    ) -> _Release:
        """Release differentially private statistics of *df* under *agreement*: the checks and
        consent filter of :meth:`share`, each statistic charged to the agreement's epsilon total
        in the same transaction. Counts are non-negative integers (``value``), with the
        unclamped noisy ``raw_value`` beside them.

        Raises:
            InputError, AgreementLimitReached, RecordNotFound, AgreementStateError,
            InvalidToken: as :meth:`govshare.exchange.Exchange.share_aggregates`.
        """
        return self.releases.share_aggregates(
            df, agreement=agreement, token=token, subject_column=subject_column, queries=queries
        )

    def receive(self, release: _Release, *, log_key: str | None = None) -> _Received:
        """Verify a release from a provider and record its receipt; returns
        ``(frame, manifest)`` (a :class:`govshare.exchange.Received`).

        Raises:
            InvalidDocument: refused, nothing accepted (as
                :meth:`govshare.exchange.Exchange.receive`).
        """
        return self.releases.receive(release, log_key=log_key)

    @property
    def releases(self) -> _Exchange:
        """Releases sent and received (:class:`~govshare.exchange.Exchange`): ``list()``."""
        from govshare.exchange import Exchange

        found = self.__dict__.get("_exchange")
        if not isinstance(found, Exchange):
            found = Exchange(
                self.store,
                self.audit,
                self._documents(),
                self._agreement_lookup(),
                self.department,
                self.clock,
                tokens=self.tokens,
                consents=self.consents,
                pseudonymiser=lambda domain, kind, scheme: self.pseudonymiser(
                    domain=domain,
                    kind=kind,
                    scheme=scheme,
                ),
                transaction=self.transaction,
                log_key=self.public_key(),
            )
            self.__dict__["_exchange"] = found
        return found

    def _documents(self) -> _Documents:
        from govshare.exchange import Documents
        from govshare.tokens import KeyUse, TrustedKey

        ws = self

        class Trust:
            # ws.tokens is built with the agreements, which need these documents: look the
            # tokens' trusted keys up on first use instead of at construction.
            def trusted_key(
                self, kid: str, *, use: KeyUse, conn: Connection | None = None
            ) -> TrustedKey | None:
                return ws.tokens.trusted_key(kid, use=use, conn=conn)

        found = self.__dict__.get("_exchange_documents")
        if not isinstance(found, Documents):
            found = Documents(self.keys, self.audit, self.department, Trust())
            self.__dict__["_exchange_documents"] = found
        return found

    # -- end of capabilities ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One store transaction that several operations join by passing ``conn=`` to each.

        Everything written inside commits together when the block ends normally, or rolls back
        together when it raises, e.g. a token use, a budget charge and their audit events::

            with ws.transaction() as tx:
                grant = ws.tokens.verify(token, audience=…, purpose=…, conn=tx)
                ws.budgets.charge(…, conn=tx)

        A refusal raised inside the block (a token refused, say) cannot be recorded in the
        transaction that is rolling back; its audit events ride on the exception's
        ``pending_audit`` and are recorded here, in their own transaction, after the rollback.

        Raises:
            StoreUnavailable: the database stopped answering.
        """
        try:
            with self.store.transaction() as conn:
                yield conn
        except GovShareError as exc:
            for type_, data in exc.pending_audit:
                self.audit.record(type_, data)
            raise

    @property
    def origin(self) -> str:
        """The audit log's origin (its name in checkpoints)."""
        return self.audit.origin

    def public_key(self) -> str:
        """This log's verifier key string (``name+hash+key``), to hand to auditors and witnesses."""
        return verifier_key_string(self.origin, self.audit.verify_key)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace(department={self.department!r}, store={self.store.url!r})"


def open_audit_log(
    url: str | None = None, *, key: str | VerifyKey | None = None, schema: str | None = None
) -> AuditLog:
    """Open a store's audit log for reading and verification only: no key file, no passphrase.

    Args:
        url: store URL (default as :meth:`Workspace.open`).
        key: the log's public key, as a verifier key string or :class:`VerifyKey`. An auditor
            should pass the key they were given out of band; without it the key recorded in the
            store itself is used, which only proves the log is consistent with *that* key.
        schema: PostgreSQL schema.

    Raises:
        StorageError: the store holds no workspace.
        InputError: *key* is malformed.
        IntegrityError: the store's recorded origin or log key was altered (malformed, or not
            naming its origin); :class:`~govshare.SignatureError` when it is not the *key* given.
    """
    store = Store.open(url, schema=schema, migrate=False)
    try:
        meta = _read_meta(store)
        if not meta:
            raise StorageError(f"{store.url} holds no govshare workspace (run govshare init)")
        verify_key = _log_key(meta, key)
    except BaseException:
        store.close()
        raise
    return AuditLog(store, origin=meta["origin"], public_key=verify_key, actor=meta["department"])


def _default_key_file(store: Store) -> str:
    database = store.engine.url.database
    if store.backend == "sqlite" and database not in (None, "", ":memory:"):
        return f"{database}.keys"
    return "govshare.keys"


def _read_meta(store: Store) -> dict[str, str]:
    with store.read() as conn:
        return _read_meta_in(conn)


def _read_meta_in(conn: Connection) -> dict[str, str]:
    rows = conn.execute(select(workspace_meta.c.key, workspace_meta.c.value))
    return {str(k): str(v) for k, v in rows}


def _check_keys_match(keys: KeyRing, log_key: str) -> None:
    _, recorded = parse_verifier_key(log_key)
    if recorded not in keys.public_keys().values():
        raise KeyStoreError(
            "the key file belongs to another workspace, or the audit log's signing key was retired"
        )


def _store_uses(store: Store, keys: KeyRing) -> bool:
    """Whether *store*'s workspace signs with *keys* (True when that cannot be read: keep keys)."""
    try:
        meta = _read_meta(store)
        if not meta:
            return False
        _check_keys_match(keys, meta["log_key"])
    except KeyStoreError:
        return False
    except Exception:  # an unreadable store: the keys might be its own
        return True
    return True


def _log_key(meta: dict[str, str], key: str | VerifyKey | None) -> VerifyKey:
    """The key to verify with: *key* (parsed), else the store's; a store whose recorded name or
    key disagrees with the auditor's, or is malformed, was altered (:class:`IntegrityError`)."""
    given_name: str | None = None
    given: VerifyKey | None = key if not isinstance(key, str) else None
    if isinstance(key, str):
        given_name, given = parse_verifier_key(key)
    try:
        stored_name, stored = parse_verifier_key(meta["log_key"])
    except (InputError, KeyError):
        raise IntegrityError("the store's recorded log key is malformed (it was altered)") from None
    if stored_name != meta.get("origin"):
        raise IntegrityError("the store's recorded log key names another log than its origin")
    if given is None:
        return stored
    if given_name is not None and given_name != stored_name:
        raise SignatureError("the store names another log than the key given")
    if given.raw != stored.raw:
        raise SignatureError("the store's log is not signed by the key given")
    return given
