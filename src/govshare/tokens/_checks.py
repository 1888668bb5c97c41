"""The checks and pieces behind Tokens: claim parsing, scope checks, narrowing, audit data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pyseto.key_interface import KeyInterface

from govshare._clock import utc_iso
from govshare.exceptions import AudienceMismatch, InputError, MalformedToken, PurposeMismatch
from govshare.identifiers import refuse_identifier
from govshare.keys import KeyInfo
from govshare.tokens import _paseto
from govshare.tokens._models import Claims
from govshare.types import DEPARTMENT_PATTERN, SLUG_PATTERN, matches

__all__ = [
    "check_scope",
    "consent_assertion",
    "department_id",
    "issued_event",
    "names",
    "narrower",
    "parse_claims",
    "sign_claims",
    "slug",
]


def sign_claims(signer: KeyInterface, kid: str, claims: Claims, implicit: bytes) -> str:
    """The v4.public token of *claims*, with footer ``{"kid": kid}``, bound to *implicit*."""
    payload = json.dumps(claims.to_payload(), separators=(",", ":"), sort_keys=True)
    footer = json.dumps({"kid": kid}, separators=(",", ":"))
    return _paseto.sign(signer, payload.encode(), footer.encode(), implicit)


def parse_claims(payload: bytes) -> Claims:
    """Verified payload bytes -> :class:`Claims`.

    Raises:
        MalformedToken: not a JSON object of well-formed claims.
    """
    try:
        doc = json.loads(payload)
        if not isinstance(doc, dict):
            raise MalformedToken("the token's claims are not a JSON object")
        return Claims.model_validate(doc)
    except ValidationError:
        raise MalformedToken("the token's claims are malformed") from None
    except (ValueError, RecursionError):
        raise MalformedToken("the token's claims are not JSON") from None


def check_scope(
    claims: Claims, audience: str, purpose: str, wanted: list[str] | None, action: str | None
) -> None:
    """Raise unless the token is for *audience* and grants *purpose*, *wanted* and *action*.

    Raises:
        AudienceMismatch: another audience.
        PurposeMismatch: another purpose, or categories / action not granted.
    """
    detail = claims.detail
    if claims.aud != audience:
        raise AudienceMismatch(f"token {claims.jti} is for another department")
    if detail.purpose != purpose:
        raise PurposeMismatch(f"token {claims.jti} does not grant purpose {purpose!r}")
    extra = sorted(set(wanted or ()) - set(detail.categories))
    if extra:
        raise PurposeMismatch(f"token {claims.jti} does not grant categories {extra}")
    if action is not None and action not in detail.actions:
        raise PurposeMismatch(f"token {claims.jti} does not grant action {action!r}")


def narrower(
    claims: Claims,
    categories: Iterable[str] | None,
    actions: Iterable[str] | None,
    dataset: str | None,
) -> dict[str, Any]:
    """The authorization detail of an exchanged token: the original, narrowed as asked.

    Raises:
        PurposeMismatch: a category, action or dataset asked for is not granted.
        InputError: a name is malformed.
    """
    detail = claims.detail.model_dump()
    for field, asked in (("categories", categories), ("actions", actions)):
        if asked is None:
            continue
        chosen = names(asked, field)
        wider = sorted(set(chosen) - set(detail[field]))
        if wider:
            raise PurposeMismatch(f"exchange can only narrow: {field} {wider} are not granted")
        detail[field] = chosen
    if dataset is not None:
        if detail["dataset"] not in (None, dataset):
            raise PurposeMismatch("exchange can only narrow: the token is for another dataset")
        detail["dataset"] = dataset
    detail.pop("type")
    return detail


def names(values: Iterable[str], what: str) -> list[str]:
    """*values* as a list of checked names.

    Raises:
        InputError: one string instead of a list, or a malformed name.
    """
    if isinstance(values, str):
        raise InputError(f"{what} is a list of names, not one string")
    found = list(values)
    for name in found:
        slug(name, what)
    return found


def department_id(value: object, what: str) -> None:
    """Raise :class:`InputError` unless *value* is a department id."""
    if not matches(DEPARTMENT_PATTERN, value):
        raise InputError(f"{what}: department ids are lower-case letters, digits and hyphens")


def slug(value: object, what: str) -> None:
    """Raise :class:`InputError` unless *value* is a name (lower-case, starts with a letter) that
    holds nothing shaped like a personal identifier (:class:`IdentifierInText` if it does)."""
    if not matches(SLUG_PATTERN, value):
        raise InputError(f"{what}: names are lower-case letters, digits, '.', '_' and '-'")
    refuse_identifier(value, what)  # type: ignore[arg-type]


def consent_assertion(consent_record: str | None, consent_hash: bytes | None) -> bytes:
    """The implicit assertion for a token resting on *consent_record* (empty for none).

    Raises:
        InputError: only one of the two is given, or the hash is not 16 to 64 bytes.
    """
    if consent_hash is None:
        if consent_record is not None:
            raise InputError("a token resting on a consent record needs consent_hash=")
        return b""
    if consent_record is None:
        raise InputError("consent_hash= needs the consent_record= it is the hash of")
    if not isinstance(consent_hash, bytes) or not 16 <= len(consent_hash) <= 64:
        raise InputError("consent_hash is 16 to 64 bytes (e.g. a SHA-256 digest)")
    return consent_hash


def issued_event(claims: Claims, key: KeyInfo) -> dict[str, Any]:
    """Audit data of an issued token: ids, scope, validity and limits, never the token itself.

    ``iat``/``nbf``/``exp`` and the signing key's creation time (``key_created``) let an auditor
    check token lifetimes and key rotation from the log alone, without the key file.
    """
    detail = claims.detail
    payload = claims.to_payload()
    data: dict[str, Any] = {
        "jti": claims.jti,
        "kid": key.kid,
        "key_created": utc_iso(key.created),
        "sub": claims.sub,
        "aud": claims.aud,
        "purpose": detail.purpose,
        "legal_basis": detail.legal_basis,
        "categories": list(detail.categories),
        "iat": payload["iat"],
        "nbf": payload["nbf"],
        "exp": payload["exp"],
        "max_uses": claims.max_uses,
    }
    for name in ("dataset", "consent_record", "agreement", "case_ref", "principal"):
        if getattr(detail, name) is not None:
            data[name] = getattr(detail, name)
    if claims.parent is not None:
        data["parent"] = claims.parent
    return data
