"""Tokens: issue, verify, revoke, introspect and exchange purpose-bound PASETO v4.public tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from pyseto.key_interface import KeyInterface
from sqlalchemy import Connection

from govshare._clock import Clock, SystemClock, ensure_aware
from govshare._models import build
from govshare.audit import AuditEvent, AuditLog
from govshare.crypto import VerifyKey
from govshare.exceptions import (
    AgreementInactive,
    AgreementMismatch,
    AudienceMismatch,
    InputError,
    InvalidToken,
    MalformedToken,
    TokenExpired,
    TokenNotYetValid,
    TokenReplayed,
    TokenRevoked,
    UntrustedKey,
)
from govshare.keys import KeyInfo, KeyRing
from govshare.storage import DEFAULT_MAX_BATCH, GroupCommit, Store, Work
from govshare.tokens import _paseto
from govshare.tokens._agreements import AgreementLookup, binding, check_agreement
from govshare.tokens._checks import (
    check_scope,
    consent_assertion,
    department_id,
    issued_event,
    names,
    narrower,
    parse_claims,
    sign_claims,
    slug,
)
from govshare.tokens._models import MAX_CHAIN, Claims, Grant
from govshare.tokens._state import (
    StateStatements,
    known,
    read_state,
    revoked_among,
    store_trust,
)
from govshare.tokens._trust import (
    TOKEN_KEY,
    KeyUse,
    TrustedKey,
    now_iso,
    parse_key_document,
    stored_trusted_key,
    stored_trusted_raw,
)
from govshare.types import AGREEMENT_ID_PATTERN, JTI_PATTERN, matches

__all__ = ["DEFAULT_LEEWAY", "MAX_TTL", "Tokens"]

DEFAULT_LEEWAY: Final = timedelta(seconds=30)
MAX_TTL: Final = timedelta(days=366)


class Tokens:
    """Purpose-bound access tokens of one department (``ws.tokens``).

    Tokens are PASETO v4.public (Ed25519, through pyseto) signed with the department's
    ``"token-signing"`` key; the key id rides in the footer. They verify offline wherever the
    signing department's public keys are trusted (:meth:`trust`); use counts and revocations
    live in *this* store.

    Args:
        store: where use counts, revocations and trusted keys live.
        keys: this department's key ring (its token-signing key signs and verifies).
        audit: every issue, accept, refusal, revocation, exchange and trust change is logged here.
        department: this department's id (the ``iss`` of tokens issued here).
        clock: time source.
        leeway: clock skew tolerated on ``nbf``, ``iat`` and ``exp``.
        agreements: finds data-sharing agreements, for tokens bound to one (the workspace
            passes ``govshare.exchange``'s); without it, every agreement-bound token is refused.
        max_batch: at most this many concurrent :meth:`verify` / :meth:`issue` calls (or
            :meth:`verify_many` tokens) share one transaction (group commit).
    """

    def __init__(
        self,
        store: Store,
        keys: KeyRing,
        audit: AuditLog,
        department: str,
        *,
        clock: Clock | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
        agreements: AgreementLookup | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if not isinstance(leeway, timedelta) or not timedelta(0) <= leeway <= timedelta(minutes=5):
            raise InputError("leeway is a timedelta between 0 and 5 minutes")
        self._store = store
        self._keys = keys
        self._audit = audit
        self.department = department
        self._clock = clock or SystemClock()
        self._leeway = leeway
        self._agreements = agreements
        self._statements = StateStatements(store.backend)
        self._signers: dict[str, KeyInterface] = {}
        self._own: dict[str, VerifyKey] = {}
        # Foreign keys by kid: (department, raw public key, key); re-checked in each deciding
        # transaction, so a cached key never outlives its retirement.
        self._foreign: dict[str, tuple[str, bytes, VerifyKey]] = {}
        # The transaction whose trusted-key reads are done, and the key ids read in it.
        self._seen_in: tuple[object, set[str]] = (None, set())
        # Concurrent verifies and issues of this process share commits; the audit append of a
        # whole batch runs once, just before its commit.
        self._group: GroupCommit[AuditEvent] = GroupCommit(
            store.held_transactions(),
            self._append_batch,
            max_batch=max_batch,
        )

    def __repr__(self) -> str:
        return f"Tokens(department={self.department!r}, store={self._store.url!r})"

    # -- issuing --------------------------------------------------------------------------------

    def issue(
        self,
        *,
        audience: str,
        purpose: str,
        categories: Iterable[str],
        ttl: timedelta,
        subject: str | None = None,
        legal_basis: str = "consent",
        actions: Iterable[str] = ("read",),
        max_uses: int | None = None,
        dataset: str | None = None,
        consent_record: str | None = None,
        consent_hash: bytes | None = None,
        agreement: str | None = None,
        case_ref: str | None = None,
        principal: str | None = None,
        not_before: datetime | None = None,
        now: datetime | None = None,
    ) -> str:
        """Sign a token that lets *subject* get *categories* from *audience* for *purpose*.

        Args:
            audience: the holding department that will verify it (``aud``).
            purpose: the one purpose granted.
            categories: the data categories granted.
            ttl: lifetime from ``nbf`` (at most one year).
            subject: the requesting department (``sub``; default: this department).
            legal_basis: ``"consent"`` or the statutory basis.
            actions: what may be done with the data (default ``("read",)``).
            max_uses: how many times the audience may accept it (default: unlimited).
            dataset: limit the token to one dataset.
            consent_record: the id of the one consent record the token rests on.
            consent_hash: that record's hash; it is bound to the signature as the implicit
                assertion, so the verifier must present the same hash (required with
                *consent_record*).
            agreement: the data-sharing agreement the token acts under; it must be active here
                now, with this department as its requester and *audience* as its provider, and
                grant *purpose*, *categories* and *principal*.
            case_ref: the reason for this query (the requester's case number; with *agreement*).
            principal: the official or system acting under *agreement* (with *agreement*).
            not_before: when it becomes valid (default: now).
            now: the issue time (default: the clock).

        Raises:
            InputError: an argument is malformed (names, ttl, max_uses, consent hash), or
                *agreement* comes without *case_ref* and *principal*.
            AgreementMismatch / AgreementInactive: the token would fall outside *agreement*.
            NaiveDatetimeError: *now* or *not_before* has no timezone.
        """
        when = self._now(now)
        claims, implicit = self._request(
            when,
            audience=audience,
            purpose=purpose,
            categories=categories,
            ttl=ttl,
            subject=subject,
            legal_basis=legal_basis,
            actions=actions,
            max_uses=max_uses,
            dataset=dataset,
            consent_record=consent_record,
            consent_hash=consent_hash,
            agreement=agreement,
            case_ref=case_ref,
            principal=principal,
            not_before=not_before,
        )
        with self._group.preparing():
            key, signer = self._signer()
            token = sign_claims(signer, key.kid, claims, implicit)
            event = self._event("token.issued", issued_event(claims, key))

        def work(conn: Connection) -> tuple[str | InvalidToken, list[AuditEvent]]:
            try:
                check_agreement(self._agreements, conn, claims, when, None)
            except (AgreementMismatch, AgreementInactive) as exc:
                return exc, []
            self._statements.register(conn, [(claims.jti, claims.max_uses)])
            return token, [event]

        issued: str = _unwrap(self._group.run(work, key=claims.jti))
        return issued

    def issue_many(
        self, requests: Iterable[Mapping[str, Any]], *, now: datetime | None = None
    ) -> list[str]:
        """Issue one token per request, logging every ``token.issued`` event in one transaction.

        Each request holds the keyword arguments of :meth:`issue` (without ``now``). Every
        request is checked before anything is signed or logged, so either all tokens are issued
        and logged, or none is. Use it for batches: one transaction instead of one per token.

        Raises:
            InputError: a request is malformed or has an unknown argument (nothing is issued).
            AgreementMismatch / AgreementInactive: a token would fall outside its agreement.
            NaiveDatetimeError: *now* or a ``not_before`` has no timezone.
        """
        when = self._now(now)
        prepared = []
        for request in requests:
            if not isinstance(request, Mapping):
                raise InputError("issue_many takes mappings of issue() keyword arguments")
            try:
                prepared.append(self._request(when, **request))
            except TypeError:
                raise InputError("a request has an argument issue() does not take") from None
        key, signer = self._signer()
        signed = [(sign_claims(signer, key.kid, c, i), issued_event(c, key)) for c, i in prepared]
        events = [self._event("token.issued", data) for _, data in signed]
        with self._store.transaction() as conn:
            for claims, _ in prepared:
                check_agreement(self._agreements, conn, claims, when, None)
            self._statements.register(conn, [(c.jti, c.max_uses) for c, _ in prepared])
            self._audit.append_many(events, conn=conn)
        return [token for token, _ in signed]

    def _request(
        self,
        when: datetime,
        *,
        audience: str,
        purpose: str,
        categories: Iterable[str],
        ttl: timedelta,
        subject: str | None = None,
        legal_basis: str = "consent",
        actions: Iterable[str] = ("read",),
        max_uses: int | None = None,
        dataset: str | None = None,
        consent_record: str | None = None,
        consent_hash: bytes | None = None,
        agreement: str | None = None,
        case_ref: str | None = None,
        principal: str | None = None,
        not_before: datetime | None = None,
    ) -> tuple[Claims, bytes]:
        binding(agreement, case_ref, principal)
        claims = self._claims(
            subject=subject or self.department,
            audience=audience,
            when=when,
            nbf=ensure_aware(not_before, "not_before") if not_before else when,
            ttl=ttl,
            max_uses=max_uses,
            lineage=(),
            detail={
                "purpose": purpose,
                "legal_basis": legal_basis,
                "categories": names(categories, "categories"),
                "actions": names(actions, "actions"),
                "dataset": dataset,
                "consent_record": consent_record,
                "agreement": agreement,
                "case_ref": case_ref,
                "principal": principal,
            },
        )
        return claims, consent_assertion(consent_record, consent_hash)

    def _claims(
        self,
        *,
        subject: str,
        audience: str,
        when: datetime,
        nbf: datetime,
        ttl: timedelta,
        max_uses: int | None,
        lineage: tuple[str, ...],
        detail: dict[str, Any],
    ) -> Claims:
        if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_TTL:
            raise InputError("ttl is a positive timedelta of at most one year")
        if max_uses is not None and (isinstance(max_uses, bool) or not isinstance(max_uses, int)):
            raise InputError("max_uses is a positive integer or None (unlimited)")
        if nbf - when > MAX_TTL:
            raise InputError("not_before is more than a year after the issue time")
        try:
            exp = nbf + ttl
        except OverflowError:
            raise InputError("not_before + ttl is past the last representable time") from None
        return build(
            Claims,
            iss=self.department,
            sub=subject,
            aud=audience,
            iat=when,
            nbf=nbf,
            exp=exp,
            jti=secrets.token_hex(16),
            max_uses=max_uses,
            parent=None if not lineage else lineage[-1],
            ancestors=lineage or None,
            authorization_details=({k: v for k, v in detail.items() if v is not None},),
        )

    def _append_batch(self, conn: Connection, events: list[AuditEvent]) -> None:
        self._audit.append_many(events, conn=conn)

    def _event(self, type_: str, data: dict[str, Any]) -> AuditEvent:
        return build(
            AuditEvent, type=type_, actor=self.department, time=self._clock.now(), data=data
        )

    def _signer(self) -> tuple[KeyInfo, KeyInterface]:
        self._keys.refresh()
        info = self._keys.ensure(TOKEN_KEY, "ed25519")
        signer = self._signers.get(info.kid)
        if signer is None:
            signer = _paseto.private_key(self._keys.signing_key(TOKEN_KEY, info.version))
            self._signers[info.kid] = signer
        return info, signer

    # -- verifying ------------------------------------------------------------------------------

    def verify(
        self,
        token: str,
        *,
        audience: str,
        purpose: str,
        categories: Iterable[str] | None = None,
        action: str | None = None,
        consume: bool = True,
        consent_hash: bytes | None = None,
        agreement: str | None = None,
        now: datetime | None = None,
        conn: Connection | None = None,
    ) -> Grant:
        """Check *token* and, if *consume*, count one use of it; returns what it grants.

        Checks, in order: the token is a well-formed v4.public token with a ``{"kid": …}``
        footer; the key id is one of this department's active token keys or an active trusted
        key; the signature (bound to *consent_hash*, if the token rests on a consent record);
        the claims are well formed and ``iss`` is the key's department; ``nbf``/``iat`` are not
        in the future and ``exp`` has not passed (± the leeway); ``aud`` is *audience*; the
        purpose is *purpose*; *categories* and *action* are within the grant; the token (and
        the one it was exchanged from) is not revoked; a use is left; and, for a token bound to an
        agreement (or when *agreement* is given), that the agreement is the one asked for, is
        active at this instant, and that the token's parties, purpose, categories and principal
        are within it, read in the same transaction as the use count. The accept event and
        the use count commit together; a refusal is logged in its own transaction.

        With *conn* (the caller's transaction, e.g. from :meth:`govshare.Workspace.transaction`)
        the use count and the accept event are written there and commit or roll back with the
        caller's other work. A refusal then cannot be written in that transaction (it is about
        to roll back): it rides on the exception's ``pending_audit`` for the transaction's owner
        to record after the rollback (``Workspace.transaction`` does).

        Args:
            token: the presented token.
            audience: this (holding) department, as the token must name it.
            purpose: the purpose the data is requested for.
            categories: the categories requested (default: all the token grants).
            action: the action requested, if the caller checks one.
            consume: count a use (``False`` checks that one is left without taking it).
            consent_hash: the hash of the consent record the token rests on, if it does.
            agreement: the agreement the token must be bound to (a token bound to another, or to
                none, is refused).
            now: the verification time (default: the clock).
            conn: run the use count and accept event in this transaction.

        Raises:
            MalformedToken: not a well-formed govshare v4.public token.
            UntrustedKey: signed by a key that is unknown, retired, or not the issuer's.
            TokenSignatureInvalid: forged, altered, or bound to another consent hash.
            TokenNotYetValid / TokenExpired: outside its validity window.
            AudienceMismatch: issued for another department.
            PurposeMismatch: another purpose, or categories / action not granted.
            TokenRevoked: revoked at this store (or the token it was exchanged from is).
            TokenReplayed: already used ``max_uses`` times.
            AgreementMismatch: bound to another or an unknown agreement, or outside it.
            AgreementInactive: its agreement is not active at this instant.
            InputError: the caller's own arguments are malformed.
            NaiveDatetimeError: *now* has no timezone.
        """
        request = self._ask(audience, purpose, categories, action, agreement)
        when = self._now(now, consent_hash)
        if conn is None:
            with self._group.preparing():
                key, work = self._judge(token, request, consume, when, consent_hash)
            grant: Grant = _unwrap(self._group.run(work, key=key))
            return grant
        key, work = self._judge(token, request, consume, when, consent_hash)
        outcome, events = work(conn)
        if isinstance(outcome, InvalidToken):
            # The caller's transaction is about to roll back: its owner records these after.
            outcome.pending_audit = (
                *outcome.pending_audit,
                *((e.type, dict(e.data)) for e in events),
            )
            raise outcome
        self._audit.append_many(events, conn=conn)
        accepted: Grant = outcome
        return accepted

    def verify_many(
        self,
        tokens: Iterable[str],
        *,
        audience: str,
        purpose: str,
        categories: Iterable[str] | None = None,
        action: str | None = None,
        consume: bool = True,
        consent_hash: bytes | None = None,
        agreement: str | None = None,
        now: datetime | None = None,
    ) -> list[Grant | InvalidToken]:
        """Verify a batch of tokens in one transaction; returns, in order, each one's
        :class:`Grant` or the :class:`~govshare.InvalidToken` it was refused with.

        Each token is judged on its own, exactly as :meth:`verify` would judge it alone (the
        same checks, arguments and use counting; a token listed twice is used twice), and a
        refused token does not spoil the batch. Every accept and every refusal is logged; the
        use counts and all those events commit together, once, before this returns. Batches
        longer than ``max_batch`` take one transaction per ``max_batch`` tokens.

        Raises:
            InputError: the caller's own arguments are malformed (nothing is verified).
            NaiveDatetimeError: *now* has no timezone.
            StoreUnavailable / StorageError: the commit failed (no token was accepted).
        """
        if isinstance(tokens, str):
            raise InputError("verify_many takes a list of tokens, not one token")
        request = self._ask(audience, purpose, categories, action, agreement)
        when = self._now(now, consent_hash)
        works = [self._judge(t, request, consume, when, consent_hash) for t in tokens]
        return list(self._group.run_many(works))

    def _ask(
        self,
        audience: str,
        purpose: str,
        categories: Iterable[str] | None,
        action: str | None,
        agreement: str | None,
    ) -> _Ask:
        """The caller's side of a verification, checked once (InputError, never audited)."""
        department_id(audience, "audience")
        if audience != self.department:
            raise InputError(
                "audience: tokens are verified only for this department, by its own id"
            )
        slug(purpose, "purpose")
        wanted = None if categories is None else names(categories, "categories")
        if action is not None:
            slug(action, "action")
        facts: dict[str, Any] = {"operation": "verify", "audience": audience, "purpose": purpose}
        if agreement is not None:
            facts["agreement"] = _agreement_id(agreement)
        return _Ask(purpose, wanted, action, agreement, facts)

    def _judge(
        self,
        token: str,
        ask: _Ask,
        consume: bool,
        when: datetime,
        consent_hash: bytes | None,
    ) -> tuple[str, Work[AuditEvent]]:
        """Check *token* offline now; returns ``(jti, work)`` where *work* decides it in the
        deciding transaction (agreement, key status, revocation, use count) and returns its
        grant or refusal with the audit event of either."""
        facts = dict(ask.facts)
        try:
            claims, kid = self._authenticate(token, consent_hash, facts)
            self._check_time(claims, when)
            check_scope(claims, self.department, ask.purpose, ask.wanted, ask.action)
        except InvalidToken as exc:
            refused: InvalidToken = exc
            refusal = [self._event(*self._refusal(exc, facts))]
            return "", lambda _conn: (refused, refusal)

        def work(conn: Connection) -> tuple[Grant | InvalidToken, list[AuditEvent]]:
            try:
                uses = self._decide(conn, claims, kid, consume, (when, ask.agreement))
            except InvalidToken as exc:
                return exc, [self._event(*self._refusal(exc, facts))]
            accepted = {**facts, "consumed": consume, "uses": uses}
            # Every field is already checked: the claims were validated, kid named the key that
            # verified them, and uses came from the store.
            grant = Grant.model_construct(claims=claims, kid=kid, uses=uses)
            return grant, [self._event("token.accepted", accepted)]

        return claims.jti, work

    def _decide(
        self,
        conn: Connection,
        claims: Claims,
        kid: str,
        consume: bool,
        bound: tuple[datetime, str | None],
    ) -> int:
        """Everything read in the deciding transaction, then the use count (the only write)."""
        # The agreement is read here: a suspension applies at once.
        check_agreement(self._agreements, conn, claims, *bound)
        self._still_trusted(conn, kid)
        self._not_revoked_above(conn, claims)
        uses = self._statements.take(conn, claims.jti, 1 if consume else 0, claims.max_uses)
        if not consume and claims.max_uses is not None and uses >= claims.max_uses:
            raise TokenReplayed(f"token {claims.jti} has no use left")
        return uses

    def _not_revoked_above(self, conn: Connection, claims: Claims) -> None:
        if claims.lineage and revoked_among(conn, claims.lineage):
            raise TokenRevoked(f"token {claims.jti} was exchanged from a revoked token")

    def _authenticate(
        self, token: str, consent_hash: bytes | None, facts: dict[str, Any]
    ) -> tuple[Claims, str]:
        body, footer = _paseto.split(token)
        kid = _paseto.unverified_kid(footer)
        department, key = self._verifier(kid)
        claims = parse_claims(_paseto.open_verified(key, body, footer, consent_hash or b""))
        facts.update(jti=claims.jti, kid=kid, iss=claims.iss, sub=claims.sub)
        if claims.detail.agreement is not None:
            facts.update(agreement=claims.detail.agreement, case_ref=claims.detail.case_ref)
        if claims.iss != department:
            raise UntrustedKey(f"key {kid} belongs to {department}, not to the token's issuer")
        return claims, kid

    def _verifier(self, kid: str) -> tuple[str, VerifyKey]:
        # A version retired by another process is in the key file: one stat finds out.
        self._keys.refresh()
        own = {
            i.kid
            for i in self._keys.key_infos()
            if i.name == TOKEN_KEY and i.type == "ed25519" and i.status == "active"
        }
        if kid in own:
            key = self._own.get(kid)
            if key is None:
                key = self._own[kid] = self._keys.verify_key(kid)
            return self.department, key
        cached = self._foreign.get(kid)
        if cached is not None:
            return cached[0], cached[2]
        with self._store.read() as conn:
            trusted = stored_trusted_key(conn, kid)
        if trusted is None:
            raise UntrustedKey("the token's key id is not a trusted, active token key")
        self._foreign[kid] = (trusted.department, trusted.key.raw, trusted.key)
        return trusted.department, trusted.key

    def _still_trusted(self, conn: Connection, kid: str) -> None:
        """Re-read a cached foreign key inside the deciding transaction: it may have been
        retired (by another process) since it was cached. Read once per key and transaction
        (a batch of tokens signed by one key is decided at one instant)."""
        cached = self._foreign.get(kid)
        if cached is None:
            return
        transaction = conn.get_transaction()
        seen = self._seen_in
        if seen[0] is transaction and transaction is not None and kid in seen[1]:
            return
        trusted = stored_trusted_raw(conn, kid)
        if trusted is None or trusted != (cached[0], cached[1]):
            self._foreign.pop(kid, None)
            raise UntrustedKey("the token's key id is no longer a trusted, active token key")
        if seen[0] is not transaction:
            self._seen_in = seen = (transaction, set())
        seen[1].add(kid)

    def _check_time(self, claims: Claims, when: datetime) -> None:
        if claims.exp - claims.nbf > MAX_TTL:
            raise MalformedToken(f"token {claims.jti} lives longer than the one-year maximum")
        try:
            early, late = when + self._leeway, when - self._leeway
        except OverflowError:
            raise InputError("now is too close to the ends of the representable times") from None
        if claims.nbf > early or claims.iat > early:
            raise TokenNotYetValid(f"token {claims.jti} is not valid yet")
        if claims.exp <= late:
            raise TokenExpired(f"token {claims.jti} has expired")

    def _refused(self, exc: InvalidToken, facts: Mapping[str, Any]) -> None:
        # Its own transaction: the refused operation wrote nothing, but the refusal is evidence.
        self._audit.record(*self._refusal(exc, facts))

    @staticmethod
    def _refusal(exc: InvalidToken, facts: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        return "token.refused", {**facts, "reason": type(exc).__name__}

    # -- revocation, introspection, exchange ----------------------------------------------------

    def revoke(
        self, token: str, *, consent_hash: bytes | None = None, now: datetime | None = None
    ) -> bool:
        """Revoke a token at this store; returns ``False`` if it was already revoked.

        *token* is the id (``jti``) of a token this store knows -- one it issued, exchanged,
        checked or used -- or the token itself, which also works for one never seen here (its
        signature is checked, so only a real token is revoked). From then on the token and
        every token exchanged from it, at any depth, are refused here. Revocation is local:
        tell every department that accepts the token to revoke it too.

        Raises:
            InputError: *token* is neither a token id (32 lower-case hex digits) nor a token,
                or it is an id this store has never seen (nothing is revoked).
            InvalidToken: the token given does not authenticate here (any subclass).
            NaiveDatetimeError: *now* has no timezone.
        """
        at = now_iso(self._now(now, consent_hash))
        limit: int | None = None
        if isinstance(token, str) and token.startswith(_paseto.HEADER):
            claims, _ = self._authenticate(token, consent_hash, {})
            jti, seen = claims.jti, True
            limit = claims.max_uses
        elif matches(JTI_PATTERN, token):
            jti, seen = token, False
        else:
            raise InputError("revoke takes a token id (32 lower-case hex digits) or a token")
        with self._store.transaction() as conn:
            if seen:
                self._statements.register(conn, [(jti, limit)])
            elif not known(conn, jti):
                raise InputError(
                    "no token with this id was issued, exchanged or used here: "
                    "pass the token itself to revoke one never seen"
                )
            changed = self._statements.revoke(conn, jti, at)
            if changed:
                self._audit.record("token.revoked", {"jti": jti}, conn=conn)
        return changed

    def introspect(
        self, token: str, *, consent_hash: bytes | None = None, now: datetime | None = None
    ) -> dict[str, Any]:
        """RFC 7662-style introspection: ``{"active": True, <claims>, "kid", "uses"}`` for a token
        that would verify here now (for this department, its own purpose, without using it),
        else only ``{"active": False}``. Nothing is logged or counted.

        Raises:
            NaiveDatetimeError: *now* has no timezone.
            InputError: *consent_hash* is not bytes.
        """
        when = self._now(now, consent_hash)
        try:
            claims, kid = self._authenticate(token, consent_hash, {})
            self._check_time(claims, when)
            if claims.aud != self.department:
                raise AudienceMismatch(f"token {claims.jti} is for another department")
            with self._store.read() as conn:
                self._still_trusted(conn, kid)
                self._not_revoked_above(conn, claims)
                uses, revoked = read_state(conn, claims.jti)
            if revoked or (claims.max_uses is not None and uses >= claims.max_uses):
                raise TokenRevoked(f"token {claims.jti} is not usable")
        except InvalidToken:
            return {"active": False}
        return {
            "active": True,
            "token_type": "paseto.v4.public",
            **claims.to_payload(),
            "kid": kid,
            "uses": uses,
        }

    def exchange(
        self,
        token: str,
        *,
        categories: Iterable[str] | None = None,
        actions: Iterable[str] | None = None,
        dataset: str | None = None,
        ttl: timedelta | None = None,
        max_uses: int | None = None,
        consent_hash: bytes | None = None,
        now: datetime | None = None,
    ) -> str:
        """Re-issue *token* with a narrower scope, signed here (RFC 8693-like); never wider.

        Only the token's audience exchanges it (this department must be its ``aud``), so its
        uses and its descendants' are counted in one store. The new token keeps the subject,
        audience, purpose, legal basis and consent record, and names every token above it
        (``parent`` and ``ancestors``): revoking any of them revokes it. Categories and actions
        must be subsets, the dataset may only be added or kept, the expiry is at most the
        original's, and if the original is limited the new token's uses (default: all that
        remain) are taken from the original's count here, atomically, so exchanging never
        multiplies uses. A token can be exchanged at most 16 levels deep.

        Raises:
            InvalidToken: the original does not verify here (any subclass, as :meth:`verify`).
            AudienceMismatch: this department is not the token's audience.
            PurposeMismatch: the request is wider than the original.
            InputError: an argument is malformed, or the token is already 16 exchanges deep.
        """
        when = self._now(now, consent_hash)
        facts: dict[str, Any] = {"operation": "exchange"}
        try:
            claims, kid = self._authenticate(token, consent_hash, facts)
            self._check_time(claims, when)
            if claims.aud != self.department:
                raise AudienceMismatch(
                    f"token {claims.jti} is for another department: only its audience exchanges it"
                )
            if len(claims.lineage) >= MAX_CHAIN:
                raise InputError(f"a token can be exchanged at most {MAX_CHAIN} levels deep")
            detail = narrower(claims, categories, actions, dataset)
            exp = claims.exp if ttl is None else min(claims.exp, when + ttl)
            nbf = max(claims.nbf, when)
            if exp <= nbf:
                raise TokenExpired(f"token {claims.jti} has no lifetime left to exchange")
            with self._store.transaction() as conn:
                uses = self._reserve(conn, claims, kid, max_uses)
                new = self._claims(
                    subject=claims.sub,
                    audience=claims.aud,
                    when=when,
                    nbf=nbf,
                    ttl=exp - nbf,
                    max_uses=uses,
                    lineage=(*claims.lineage, claims.jti),
                    detail=detail,
                )
                key, signer = self._signer()
                signed = sign_claims(signer, key.kid, new, consent_hash or b"")
                self._statements.register(conn, [(new.jti, new.max_uses)])
                self._audit.record("token.exchanged", issued_event(new, key), conn=conn)
                return signed
        except InvalidToken as exc:
            self._refused(exc, facts)
            raise

    def _reserve(
        self, conn: Connection, claims: Claims, kid: str, max_uses: int | None
    ) -> int | None:
        """Take the new token's uses from the original's count (lock its row, check it)."""
        self._still_trusted(conn, kid)
        self._not_revoked_above(conn, claims)
        if claims.max_uses is None:
            self._statements.take(conn, claims.jti, 0, None)  # locks the row, checks revocation
            return max_uses
        if max_uses is None:
            uses, _ = read_state(conn, claims.jti)
            max_uses = claims.max_uses - uses
            if max_uses <= 0:
                raise TokenReplayed(f"token {claims.jti} has no use left to exchange")
        if isinstance(max_uses, bool) or not isinstance(max_uses, int) or max_uses < 1:
            raise InputError("max_uses is a positive integer")
        self._statements.take(conn, claims.jti, max_uses, claims.max_uses)
        return max_uses

    # -- trust ----------------------------------------------------------------------------------

    def trust(self, doc: str | bytes | Mapping[str, Any]) -> list[str]:
        """Trust another department's public keys; returns the key ids now trusted.

        *doc* is what that department's ``ws.keys.export_public()`` produced, received over a
        channel you trust (it is not signed). It is the department's complete current key set:
        its keys missing from *doc* are retired here, and a retired key never becomes active
        again. Tokens signed with an active trusted token key verify when their ``iss`` is that
        department; documents signed with an active trusted document key verify when their
        issuer is (see :mod:`govshare.exchange`).

        Raises:
            InputError: *doc* is malformed, is this department's own, or reuses a trusted key id
                with another key.
        """
        parsed = parse_key_document(doc)
        if parsed.department == self.department:
            raise InputError("this is this department's own key document")
        with self._store.transaction() as conn:
            active, retired = store_trust(conn, parsed, now_iso(self._clock.now()))
            data = {"department": parsed.department, "active": active, "retired": retired}
            self._audit.record("token.keys-trusted", data, conn=conn)
        return active

    def trusted_key(
        self, kid: str, *, use: KeyUse = "tokens", conn: Connection | None = None
    ) -> TrustedKey | None:
        """The active key *kid* trusted here for *use*, or ``None`` (unknown, retired, or
        trusted for the other use). Read on *conn* when given, so a caller can check a
        signature in the transaction that acts on it.
        """
        if conn is not None:
            return stored_trusted_key(conn, kid, use)
        with self._store.read() as own:
            return stored_trusted_key(own, kid, use)

    def _now(self, now: datetime | None, consent_hash: bytes | None = None) -> datetime:
        if consent_hash is not None and not isinstance(consent_hash, bytes):
            raise InputError("consent_hash is bytes")
        return self._clock.now() if now is None else ensure_aware(now, "now")


def _agreement_id(value: object) -> str:
    if not matches(AGREEMENT_ID_PATTERN, value):
        raise InputError("an agreement id is 'ag-' and 32 lower-case hex digits")
    return value  # type: ignore[return-value]


class _Ask:
    """The caller's side of a verification, checked once: what is asked, and the audit facts."""

    __slots__ = ("action", "agreement", "facts", "purpose", "wanted")

    def __init__(
        self,
        purpose: str,
        wanted: list[str] | None,
        action: str | None,
        agreement: str | None,
        facts: dict[str, Any],
    ) -> None:
        self.purpose, self.wanted, self.action = purpose, wanted, action
        self.agreement, self.facts = agreement, facts


def _unwrap(outcome: Any) -> Any:
    """A work's outcome as its caller sees it: an expected refusal is raised."""
    if isinstance(outcome, InvalidToken):
        raise outcome
    return outcome
