"""Signed, self-verifying JSON documents: the one way an artefact crosses between departments.

A document is a JSON object::

    {"format": "govshare.document.v1", "type": "request", "version": 1,
     "id": "<32 hex: unique, for replay detection>", "issuer": "hrss", "audience": "civil-affairs",
     "kid": "document-signing-v1-…", "issued_at": "2026-03-02T08:00:00Z",
     "payload": {…}, "signature": "<base64url Ed25519>"}

The signature is Ed25519 over ``b"govshare.document.v1\\n"`` followed by the RFC 8785 canonical
JSON of every member but ``signature``, exactly as received (never a re-serialisation), so any
change to any member, at any depth, breaks it. A document verifies only with an active
``document-signing`` key that the receiving store trusts *for its issuer* (``ws.tokens.trust``);
a token key, another department's key or an unknown key is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal, Protocol, TypeVar

import rfc8785
from pydantic import Field, JsonValue, ValidationError
from sqlalchemy import Connection, bindparam, insert, select

from govshare._clock import utc_iso
from govshare._models import Record, describe
from govshare.audit import AuditLog, canonical_json
from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import (
    DocumentMismatch,
    DocumentReplayed,
    DocumentSignatureInvalid,
    InvalidDocument,
    MalformedDocument,
    UntrustedSigner,
)
from govshare.exchange._tables import exchange_documents
from govshare.identifiers import looks_like_identifier
from govshare.keys import DOCUMENT_KEY, KeyRing
from govshare.tokens import TrustedKey
from govshare.types import DEPARTMENT_PATTERN, DepartmentId, matches

__all__ = [
    "DOCUMENT_FORMAT",
    "DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "DocumentType",
    "Documents",
    "SignedDocument",
    "TrustedKeys",
]

DOCUMENT_FORMAT: Final = "govshare.document.v1"
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024
DocumentType = Literal["catalogue", "request", "decision", "countersignature", "release-manifest"]
DOCUMENT_TYPES: Final[tuple[DocumentType, ...]] = (
    "catalogue",
    "request",
    "decision",
    "countersignature",
    "release-manifest",
)
_DOMAIN: Final = b"govshare.document.v1\n"
_SIGNATURE = r"^[A-Za-z0-9_-]{86}$"
_RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"
_ID = r"^[0-9a-f]{32}$"
M = TypeVar("M", bound=Record)
_d = exchange_documents
# Built once, so SQLAlchemy reuses their compiled form on every document.
_SEEN = select(_d.c.document_id).where(_d.c.document_id == bindparam("document_id"))
_INSERT = insert(_d)


class SignedDocument(Record):
    """A signed document, as it travels. Build one with :meth:`Documents.sign`; read one from
    another department only through the step that accepts it (it verifies first).

    Attributes:
        format: ``"govshare.document.v1"``.
        type: ``catalogue``, ``request``, ``decision``, ``countersignature`` or
            ``release-manifest``.
        version: the payload's schema version (1).
        id: 128 random bits as 32 hex digits; a store accepts each id once.
        issuer: the signing department.
        audience: the department it is addressed to (``None``: anyone, e.g. a catalogue).
        kid: the issuer's ``document-signing`` key id.
        issued_at: RFC 3339 UTC time of signing.
        payload: the record (its JSON form).
        signature: base64url Ed25519 signature.
    """

    format: Literal["govshare.document.v1"]
    type: DocumentType
    version: Literal[1]
    id: Annotated[str, Field(pattern=_ID)]
    issuer: DepartmentId
    audience: DepartmentId | None
    kid: Annotated[str, Field(pattern=r"^document-signing-v[0-9]{1,6}-[0-9a-f]{16}$")]
    issued_at: Annotated[str, Field(pattern=_RFC3339)]
    payload: dict[str, JsonValue]
    signature: Annotated[str, Field(pattern=_SIGNATURE)]

    def to_json(self) -> str:
        """The document as JSON text (UTF-8, Chinese kept as is), ready to send."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    @property
    def issued(self) -> datetime:
        """``issued_at`` as an aware datetime."""
        return datetime.fromisoformat(self.issued_at)

    def __repr__(self) -> str:
        return f"SignedDocument(type={self.type!r}, id={self.id!r}, issuer={self.issuer!r})"


class TrustedKeys(Protocol):
    """Where another department's trusted keys are found (``ws.tokens`` provides it)."""

    def trusted_key(
        self, kid: str, *, use: Literal["tokens", "documents"], conn: Connection | None = None
    ) -> TrustedKey | None:
        """The active key *kid* trusted for *use*, read on *conn*."""
        ...


class Documents:
    """Signs this department's documents and accepts other departments', once each.

    Args:
        keys: this department's key ring (its ``document-signing`` key signs).
        audit: where refusals are recorded.
        department: this department's id.
        trust: the trusted keys of other departments (``ws.tokens``).
    """

    def __init__(self, keys: KeyRing, audit: AuditLog, department: str, trust: TrustedKeys) -> None:
        self._keys = keys
        self._audit = audit
        self.department = department
        self._trust = trust
        self._signer: tuple[str, SigningKey] | None = None

    def __repr__(self) -> str:
        return f"Documents(department={self.department!r})"

    # -- sending -------------------------------------------------------------------------------

    def sign(
        self,
        type: DocumentType,
        payload: Record,
        *,
        audience: str | None,
        now: datetime,
        conn: Connection,
    ) -> SignedDocument:
        """Sign *payload* as a document of *type* for *audience* and record it as sent (on
        *conn*, so it commits with the state change it reports)."""
        doc, text = self.prepare(type, payload, audience=audience, now=now)
        self._record(conn, doc, "out", now, text)
        return doc

    def prepare(
        self, type: DocumentType, payload: Record, *, audience: str | None, now: datetime
    ) -> tuple[SignedDocument, str]:
        """:meth:`sign` without recording: the document and its JSON text, for batches that
        record many at once (:meth:`record_sent`)."""
        kid, signer = self._signing_key()
        envelope: dict[str, Any] = {
            "format": DOCUMENT_FORMAT,
            "type": type,
            "version": 1,
            "id": secrets.token_hex(16),
            "issuer": self.department,
            "audience": audience,
            "kid": kid,
            "issued_at": utc_iso(now),
            "payload": payload.model_dump(mode="json"),
        }
        signature = signer.sign(_DOMAIN + canonical_json(envelope))
        envelope["signature"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")
        # Built without validation: every member was made here from validated values, and the
        # payload's JSON form is exactly what was signed.
        doc = SignedDocument.model_construct(**envelope)
        return doc, json.dumps(envelope, ensure_ascii=False)

    @staticmethod
    def record_sent(
        conn: Connection, docs: Sequence[tuple[SignedDocument, str]], now: datetime
    ) -> None:
        """Record prepared documents (with their texts) as sent, in one statement."""
        if docs:
            conn.execute(_INSERT, [_row(doc, "out", now, text) for doc, text in docs])

    def _signing_key(self) -> tuple[str, SigningKey]:
        info = self._keys.ensure(DOCUMENT_KEY, "ed25519")
        if self._signer is None or self._signer[0] != info.kid:
            self._signer = (info.kid, self._keys.signing_key(DOCUMENT_KEY, info.version))
        return self._signer

    # -- accepting -----------------------------------------------------------------------------

    def accept(
        self,
        doc: object,
        type: DocumentType,
        *,
        now: datetime,
        conn: Connection,
        facts: dict[str, Any],
        addressed: bool = True,
    ) -> SignedDocument:
        """Verify *doc* as a document of *type* from another department and record it as
        received on *conn* (once: a second time is a replay).

        *facts* is filled with what the refusal event may name (type, issuer, id), once each is
        known to be well formed.

        Raises:
            MalformedDocument: not a well-formed document.
            UntrustedSigner: its key is not a trusted document key of its issuer.
            DocumentSignatureInvalid: forged or altered.
            DocumentMismatch: another type, this department's own, or addressed elsewhere
                (*addressed*: it must name this department as its audience).
            DocumentReplayed: already accepted here.
        """
        signed, text = self.verify(doc, type, conn=conn, facts=facts, addressed=addressed)
        if conn.execute(_SEEN, {"document_id": signed.id}).first() is not None:
            raise DocumentReplayed(f"document {signed.id} was already accepted here")
        self._record(conn, signed, "in", now, text)
        return signed

    def verify(
        self,
        doc: object,
        type: DocumentType,
        *,
        conn: Connection,
        facts: dict[str, Any],
        addressed: bool = True,
    ) -> tuple[SignedDocument, str]:
        """:meth:`accept` without the replay check and without recording: the verified
        document and its JSON text. For batches, which check and record many at once
        (:meth:`seen`, :meth:`record_received`).

        Raises:
            MalformedDocument, UntrustedSigner, DocumentSignatureInvalid, DocumentMismatch:
                as :meth:`accept`.
        """
        signed, message, text = _parse_unverified(doc, facts)
        if signed.issuer == self.department:
            raise DocumentMismatch("this is this department's own document")
        key = self._key(signed.kid, signed.issuer, conn)
        if not key.verify(_signature_bytes(signed.signature), message):
            raise DocumentSignatureInvalid(f"document {signed.id}: the signature does not verify")
        if signed.type != type:
            raise DocumentMismatch(f"expected a {type} document, got a {signed.type} document")
        if addressed and signed.audience != self.department:
            raise DocumentMismatch(f"document {signed.id} is not addressed to this department")
        return signed, text

    @staticmethod
    def seen(conn: Connection, ids: Iterable[str]) -> set[str]:
        """Which of the document *ids* this store already sent or accepted."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        rows = conn.execute(select(_d.c.document_id).where(_d.c.document_id.in_(wanted)))
        return {str(r[0]) for r in rows}

    @staticmethod
    def record_received(
        conn: Connection, docs: Sequence[tuple[SignedDocument, str]], now: datetime
    ) -> None:
        """Record verified documents (with their texts) as accepted, in one statement."""
        if docs:
            conn.execute(_INSERT, [_row(doc, "in", now, text) for doc, text in docs])

    def _key(self, kid: str, issuer: str, conn: Connection) -> VerifyKey:
        trusted = self._trust.trusted_key(kid, use="documents", conn=conn)
        if trusted is None:
            raise UntrustedSigner(f"key {kid} is not a trusted, active document key")
        if trusted.department != issuer:
            raise UntrustedSigner(f"key {kid} belongs to another department than the issuer")
        return trusted.key

    def refused(self, exc: InvalidDocument, facts: Mapping[str, Any]) -> None:
        """Record that an incoming document was refused, in its own transaction."""
        # Its own transaction: the refused import wrote nothing, but the refusal is evidence.
        self._audit.record("document.refused", self.refusal(exc, facts))

    @staticmethod
    def refusal(exc: InvalidDocument, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The data of the ``document.refused`` event for *exc*."""
        return {**facts, "reason": type(exc).__name__}

    @staticmethod
    def payload(doc: SignedDocument, model: type[M]) -> M:
        """The document's payload as *model*.

        Raises:
            MalformedDocument: the payload is not a valid *model*.
        """
        try:
            return model.model_validate(doc.payload)
        except ValidationError as exc:
            raise MalformedDocument(describe(exc, f"{doc.type} document payload")) from None

    @staticmethod
    def _record(
        conn: Connection, doc: SignedDocument, direction: str, now: datetime, text: str
    ) -> None:
        conn.execute(_INSERT, _row(doc, direction, now, text))


def _row(doc: SignedDocument, direction: str, now: datetime, text: str) -> dict[str, Any]:
    # The text kept is the document exactly as sent or received: the evidence.
    return {
        "document_id": doc.id,
        "direction": direction,
        "type": doc.type,
        "issuer": doc.issuer,
        "audience": doc.audience,
        "issued_at": doc.issued_at,
        "recorded_at": utc_iso(now),
        "document": text,
    }


def _parse_unverified(doc: object, facts: dict[str, Any]) -> tuple[SignedDocument, bytes, str]:
    """The envelope of *doc*, the exact bytes its signature must cover and its JSON text --
    NOT yet verified."""
    raw, text = _json_object(doc)
    patterns = (("type", r"^[a-z-]{1,32}$"), ("issuer", DEPARTMENT_PATTERN), ("id", _ID))
    for name, pattern in patterns:
        value = raw.get(name)
        if isinstance(value, str) and matches(pattern, value) and not looks_like_identifier(value):
            facts[f"document_{name}"] = value
    try:
        signed = SignedDocument.model_validate(raw)
    except ValidationError as exc:
        raise MalformedDocument(describe(exc, "signed document")) from None
    body = {k: v for k, v in raw.items() if k != "signature"}
    try:
        message = _DOMAIN + canonical_json(body)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        raise MalformedDocument("the document cannot be put in canonical form") from None
    return signed, message, text


def _json_object(doc: object) -> tuple[dict[str, Any], str]:
    if isinstance(doc, SignedDocument):
        doc = doc.model_dump(mode="json")
    if isinstance(doc, Mapping):
        try:
            doc = json.dumps(doc, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            raise MalformedDocument("the document is not JSON data") from None
    if isinstance(doc, bytes):
        try:
            doc = doc.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedDocument("the document is not UTF-8 text") from None
    if not isinstance(doc, str):
        raise MalformedDocument("a document is JSON text, bytes or a mapping")
    if len(doc) > MAX_DOCUMENT_BYTES:
        raise MalformedDocument(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        parsed = json.loads(doc, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise MalformedDocument("the document is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise MalformedDocument("the document is not a JSON object")
    return parsed, doc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two members with one name parse differently in different JSON libraries: refuse them.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _signature_bytes(text: str) -> bytes:
    """The 64 bytes of a signature in canonical, unpadded base64url (the only text that
    re-encodes to itself, so no two signature texts are the same signature)."""
    try:
        raw = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        raise MalformedDocument("the signature is not base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise MalformedDocument("the signature is not canonical base64url")
    return raw
