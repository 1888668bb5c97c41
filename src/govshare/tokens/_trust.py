"""Trust between departments: public key documents and the keys a store trusts.

One trust mechanism for everything another department signs: its key document lists its
token-signing keys (use ``"tokens"``) and its document-signing keys (use ``"documents"``), and
``Tokens.trust`` stores them once. Each key verifies only what its use names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, Field, ValidationError
from sqlalchemy import Connection, bindparam, select

from govshare._models import Record, describe
from govshare.crypto import VerifyKey
from govshare.exceptions import InputError
from govshare.storage import Prepared
from govshare.tokens._tables import token_trusted_keys
from govshare.types import DepartmentId, KeyId

__all__ = [
    "KEY_DOC_FORMAT",
    "KEY_USES",
    "TOKEN_KEY",
    "KeyUse",
    "PublicKeyDocument",
    "TrustedKey",
    "parse_key_document",
    "stored_trusted_key",
    "stored_trusted_raw",
]

TOKEN_KEY: Final = "token-signing"  # noqa: S105 - a key *name*, not a secret
KEY_DOC_FORMAT: Final = "govshare.public-keys.v2"
_OLD_FORMAT: Final = "govshare.token-keys.v1"  # token keys only; still accepted
_PASERK_PUBLIC: Final = "k4.public."
KeyUse = Literal["tokens", "documents"]
"""What a trusted key may verify: access tokens, or signed exchange documents."""
KEY_USES: Final[tuple[KeyUse, ...]] = ("tokens", "documents")


_t = token_trusted_keys
# Built once: it runs in every deciding transaction that checks a foreign signature.
_TRUSTED = Prepared(
    select(_t.c.department, _t.c.public_key).where(
        _t.c.kid == bindparam("kid"), _t.c.status == "active", _t.c.use == bindparam("use")
    )
)


class PublicKeyEntry(Record):
    """One public key in a key document (never secret material)."""

    kid: KeyId
    type: Literal["ed25519"]
    use: KeyUse = "tokens"
    public_key: Annotated[str, Field(pattern=r"^k4\.public\.[A-Za-z0-9_-]{43}$")]
    status: Literal["active", "retired"]
    created: AwareDatetime

    def verify_key(self) -> VerifyKey:
        """The Ed25519 key, checked against the fingerprint inside its key id.

        Raises:
            InputError: the key does not decode or does not match its key id.
        """
        raw = base64.urlsafe_b64decode(self.public_key.removeprefix(_PASERK_PUBLIC) + "=")
        key = VerifyKey(raw)
        if not self.kid.endswith("-" + key.fingerprint()):
            raise InputError(f"key {self.kid!r} does not match its public key's fingerprint")
        return key


class PublicKeyDocument(Record):
    """A department's public keys, as ``KeyRing.export_public()`` writes them.

    Format ``govshare.public-keys.v2`` names each key's ``use``; the older
    ``govshare.token-keys.v1`` (token keys only, no ``use``) is still accepted.
    """

    format: Literal["govshare.public-keys.v2", "govshare.token-keys.v1"]
    department: DepartmentId
    keys: Annotated[tuple[PublicKeyEntry, ...], Field(max_length=1000)]


class TrustedKey(Record):
    """A public key this store accepts signatures from, for one use (tokens or documents)."""

    kid: str
    department: str
    use: KeyUse = "tokens"
    key: VerifyKey
    model_config = Record.model_config | {"arbitrary_types_allowed": True}


def paserk_public(key: VerifyKey) -> str:
    """The PASERK ``k4.public.`` text of an Ed25519 public key."""
    return _PASERK_PUBLIC + base64.urlsafe_b64encode(key.raw).rstrip(b"=").decode("ascii")


def parse_key_document(doc: str | bytes | Mapping[str, Any]) -> PublicKeyDocument:
    """Validate a key document (JSON text or an already parsed mapping).

    Raises:
        InputError: it is not a valid govshare token key document, or a key does not match its id.
    """
    try:
        data = json.loads(doc) if isinstance(doc, str | bytes) else dict(doc)
        parsed = PublicKeyDocument.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe(exc, "public key document")) from None
    except (ValueError, TypeError):
        raise InputError("the public key document is not a JSON object") from None
    for entry in parsed.keys:
        entry.verify_key()
        if parsed.format == _OLD_FORMAT and entry.use != "tokens":
            raise InputError("a govshare.token-keys.v1 document holds token keys only")
    return parsed


def stored_trusted_raw(conn: Connection, kid: str) -> tuple[str, bytes] | None:
    """``(department, raw public key)`` of the active trusted token key *kid*, if any (no key
    object is built: this runs in every deciding transaction)."""
    row = _TRUSTED.first(conn, {"kid": kid, "use": "tokens"})
    return None if row is None else (str(row[0]), bytes(row[1]))


def stored_trusted_key(conn: Connection, kid: str, use: KeyUse = "tokens") -> TrustedKey | None:
    """The active trusted key *kid* for *use* in the store, if any."""
    row = _TRUSTED.first(conn, {"kid": kid, "use": use})
    if row is None:
        return None
    return TrustedKey(kid=kid, department=str(row[0]), use=use, key=VerifyKey(bytes(row[1])))


def now_iso(now: datetime) -> str:
    """RFC 3339 UTC text."""
    return now.astimezone(UTC).isoformat().replace("+00:00", "Z")
