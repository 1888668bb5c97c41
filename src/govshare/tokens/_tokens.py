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
from govshare.exceptions import (
    InputError,
    InvalidToken,
    TokenExpired,
    TokenNotYetValid,
    TokenReplayed,
    TokenRevoked,
    UntrustedKey,
)
from govshare.keys import KeyInfo, KeyRing
from govshare.storage import Store
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
from govshare.tokens._models import Claims, Grant
from govshare.tokens._state import StateStatements, read_state, store_trust
from govshare.tokens._trust import (
    TOKEN_KEY,
    KeyUse,
    TrustedKey,
    now_iso,
    parse_key_document,
    stored_trusted_key,
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
        self._own: dict[str, KeyInterface] = {}
        # Foreign keys by kid: (department, raw public key, pyseto key); re-checked in each
        # deciding transaction, so a cached key never outlives its retirement.
        self._foreign: dict[str, tuple[str, bytes, KeyInterface]] = {}

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
        with self._store.transaction() as conn:
            check_agreement(self._agreements, conn, claims, when, None)
            return self._sign(claims, implicit, conn, "token.issued")

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
        time = self._clock.now()
        events = [
            build(AuditEvent, type="token.issued", actor=self.department, time=time, data=data)
            for _, data in signed
        ]
        with self._store.transaction() as conn:
            for claims, _ in prepared:
                check_agreement(self._agreements, conn, claims, when, None)
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
            parent=None,
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
        parent: str | None,
        detail: dict[str, Any],
    ) -> Claims:
        if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_TTL:
            raise InputError("ttl is a positive timedelta of at most one year")
        if max_uses is not None and (isinstance(max_uses, bool) or not isinstance(max_uses, int)):
            raise InputError("max_uses is a positive integer or None (unlimited)")
        return build(
            Claims,
            iss=self.department,
            sub=subject,
            aud=audience,
            iat=when,
            nbf=nbf,
            exp=nbf + ttl,
            jti=secrets.token_hex(16),
            max_uses=max_uses,
            parent=parent,
            authorization_details=({k: v for k, v in detail.items() if v is not None},),
        )

    def _sign(self, claims: Claims, implicit: bytes, conn: Connection, event: str) -> str:
        key, signer = self._signer()
        token = sign_claims(signer, key.kid, claims, implicit)
        self._audit.record(event, issued_event(claims, key), conn=conn)
        return token

    def _signer(self) -> tuple[KeyInfo, KeyInterface]:
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
        when = self._now(now, consent_hash)
        department_id(audience, "audience")
        slug(purpose, "purpose")
        wanted = None if categories is None else names(categories, "categories")
        if action is not None:
            slug(action, "action")
        facts: dict[str, Any] = {"operation": "verify", "audience": audience, "purpose": purpose}
        if agreement is not None:
            facts["agreement"] = _agreement_id(agreement)
        try:
            claims, kid = self._authenticate(token, consent_hash, facts)
            self._check_time(claims, when)
            check_scope(claims, audience, purpose, wanted, action)
            bound = (when, agreement)
            if conn is not None:
                uses = self._accept(conn, claims, kid, consume, facts, bound)
            else:
                with self._store.transaction() as own:
                    uses = self._accept(own, claims, kid, consume, facts, bound)
        except InvalidToken as exc:
            if conn is None:
                self._refused(exc, facts)
            else:
                exc.pending_audit = (*exc.pending_audit, self._refusal(exc, facts))
            raise
        return Grant(claims=claims, kid=kid, uses=uses)

    def _accept(
        self,
        conn: Connection,
        claims: Claims,
        kid: str,
        consume: bool,
        facts: dict[str, Any],
        bound: tuple[datetime, str | None],
    ) -> int:
        # The agreement is read in the deciding transaction: a suspension applies at once.
        check_agreement(self._agreements, conn, claims, *bound)
        uses = self._use(conn, claims, kid, 1 if consume else 0)
        self._audit.record(
            "token.accepted", {**facts, "consumed": consume, "uses": uses}, conn=conn
        )
        return uses

    def _authenticate(
        self, token: str, consent_hash: bytes | None, facts: dict[str, Any]
    ) -> tuple[Claims, str]:
        _, footer = _paseto.split(token)
        kid = _paseto.unverified_kid(footer)
        department, key = self._verifier(kid)
        payload, _ = _paseto.verify(key, token, consent_hash or b"")
        claims = parse_claims(payload)
        facts.update(jti=claims.jti, kid=kid, iss=claims.iss, sub=claims.sub)
        if claims.detail.agreement is not None:
            facts.update(agreement=claims.detail.agreement, case_ref=claims.detail.case_ref)
        if claims.iss != department:
            raise UntrustedKey(f"key {kid} belongs to {department}, not to the token's issuer")
        return claims, kid

    def _verifier(self, kid: str) -> tuple[str, KeyInterface]:
        own = {
            i.kid
            for i in self._keys.key_infos()
            if i.name == TOKEN_KEY and i.type == "ed25519" and i.status == "active"
        }
        if kid in own:
            key = self._own.get(kid)
            if key is None:
                key = self._own[kid] = _paseto.public_key(self._keys.verify_key(kid))
            return self.department, key
        cached = self._foreign.get(kid)
        if cached is not None:
            return cached[0], cached[2]
        with self._store.read() as conn:
            trusted = stored_trusted_key(conn, kid)
        if trusted is None:
            raise UntrustedKey("the token's key id is not a trusted, active token key")
        key = _paseto.public_key(trusted.key)
        self._foreign[kid] = (trusted.department, trusted.key.raw, key)
        return trusted.department, key

    def _still_trusted(self, conn: Connection, kid: str) -> None:
        """Re-read a cached foreign key inside the deciding transaction: it may have been
        retired (by another process) since it was cached."""
        cached = self._foreign.get(kid)
        if cached is None:
            return
        trusted = stored_trusted_key(conn, kid)
        if trusted is None or trusted.key.raw != cached[1]:
            del self._foreign[kid]
            raise UntrustedKey("the token's key id is no longer a trusted, active token key")

    def _check_time(self, claims: Claims, when: datetime) -> None:
        if claims.nbf - self._leeway > when or claims.iat - self._leeway > when:
            raise TokenNotYetValid(f"token {claims.jti} is not valid yet")
        if claims.exp + self._leeway <= when:
            raise TokenExpired(f"token {claims.jti} has expired")

    def _use(self, conn: Connection, claims: Claims, kid: str, n: int) -> int:
        self._still_trusted(conn, kid)
        if claims.parent is not None and read_state(conn, claims.parent)[1]:
            raise TokenRevoked(f"token {claims.jti} was exchanged from a revoked token")
        if n:
            return self._statements.take(conn, claims.jti, n, claims.max_uses)
        uses, revoked = read_state(conn, claims.jti)
        if revoked:
            raise TokenRevoked(f"token {claims.jti} was revoked")
        if claims.max_uses is not None and uses >= claims.max_uses:
            raise TokenReplayed(f"token {claims.jti} has no use left")
        return uses

    def _refused(self, exc: InvalidToken, facts: Mapping[str, Any]) -> None:
        # Its own transaction: the refused operation wrote nothing, but the refusal is evidence.
        self._audit.record(*self._refusal(exc, facts))

    @staticmethod
    def _refusal(exc: InvalidToken, facts: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        return "token.refused", {**facts, "reason": type(exc).__name__}

    # -- revocation, introspection, exchange ----------------------------------------------------

    def revoke(self, jti: str, *, now: datetime | None = None) -> bool:
        """Revoke token *jti* at this store; returns ``False`` if it was already revoked.

        A revoked token (and every token exchanged from it) is refused here from then on.
        Revocation is local: tell every department that accepts the token to revoke it too.

        Raises:
            InputError: *jti* is not a token id (32 lower-case hex digits).
            NaiveDatetimeError: *now* has no timezone.
        """
        if not matches(JTI_PATTERN, jti):
            raise InputError("a token id is 32 lower-case hex digits")
        at = now_iso(self._now(now))
        with self._store.transaction() as conn:
            changed = self._statements.revoke(conn, jti, at)
            if changed:
                self._audit.record("token.revoked", {"jti": jti}, conn=conn)
        return changed

    def introspect(
        self, token: str, *, consent_hash: bytes | None = None, now: datetime | None = None
    ) -> dict[str, Any]:
        """RFC 7662-style introspection: ``{"active": True, <claims>, "kid", "uses"}`` for a token
        that would verify here now (for its own audience and purpose, without using it), else
        only ``{"active": False}``. Nothing is logged or counted.

        Raises:
            NaiveDatetimeError: *now* has no timezone.
            InputError: *consent_hash* is not bytes.
        """
        when = self._now(now, consent_hash)
        try:
            claims, kid = self._authenticate(token, consent_hash, {})
            self._check_time(claims, when)
            with self._store.read() as conn:
                uses = self._use(conn, claims, kid, 0)
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

        The new token keeps the subject, audience, purpose, legal basis and consent record, and
        names the original as ``parent`` (revoking the parent revokes it). Categories and
        actions must be subsets, the dataset may only be added or kept, the expiry is at most
        the original's, and if the original is limited the new token's uses (default: all that
        remain) are taken from the original's count here, atomically, so exchanging never
        multiplies uses.

        Raises:
            InvalidToken: the original does not verify here (any subclass, as :meth:`verify`).
            PurposeMismatch: the request is wider than the original.
            InputError: an argument is malformed.
        """
        when = self._now(now, consent_hash)
        facts: dict[str, Any] = {"operation": "exchange"}
        try:
            claims, kid = self._authenticate(token, consent_hash, facts)
            self._check_time(claims, when)
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
                    parent=claims.jti,
                    detail=detail,
                )
                return self._sign(new, consent_hash or b"", conn, "token.exchanged")
        except InvalidToken as exc:
            self._refused(exc, facts)
            raise

    def _reserve(
        self, conn: Connection, claims: Claims, kid: str, max_uses: int | None
    ) -> int | None:
        if claims.max_uses is None:
            self._use(conn, claims, kid, 0)
            return max_uses
        self._still_trusted(conn, kid)
        if max_uses is None:
            uses, _ = read_state(conn, claims.jti)
            max_uses = claims.max_uses - uses
            if max_uses <= 0:
                raise TokenReplayed(f"token {claims.jti} has no use left to exchange")
        if isinstance(max_uses, bool) or not isinstance(max_uses, int) or max_uses < 1:
            raise InputError("max_uses is a positive integer")
        if claims.parent is not None and read_state(conn, claims.parent)[1]:
            raise TokenRevoked(f"token {claims.jti} was exchanged from a revoked token")
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
