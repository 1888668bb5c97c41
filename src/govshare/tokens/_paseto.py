"""PASETO v4.public through pyseto, with the strict parsing pyseto leaves to its caller.

pyseto signs and verifies (Ed25519 over PASETO's pre-authentication encoding); this module adds
what a verifier must refuse before any key is touched: another version or purpose, non-canonical
base64url (pyseto's decoder skips stray characters), oversized input and a footer that is not a
small JSON object naming a key id.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from typing import Any, Final

import pyseto
from pyseto import Key
from pyseto.key_interface import KeyInterface

from govshare.crypto import SecretAccess, SigningKey, VerifyKey
from govshare.exceptions import MalformedToken, TokenSignatureInvalid

__all__ = [
    "HEADER",
    "MAX_TOKEN_LENGTH",
    "open_verified",
    "pae",
    "private_key",
    "public_key",
    "sign",
    "split",
    "unverified_kid",
    "verify",
]

HEADER: Final = "v4.public."
MAX_TOKEN_LENGTH: Final = 8192
_MAX_FOOTER: Final = 512
_SIGNATURE_SIZE: Final = 64
_SHAPE = re.compile(r"^v4\.public\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?$")
_KNOWN_HEADER = re.compile(r"^(v[1-4])\.(local|public)\.")


def private_key(key: SigningKey) -> KeyInterface:
    """A pyseto v4.public signing key for *key* (kept private to this package).

    pyseto signs with the raw seed, so this is the one place outside govshare.crypto that takes
    the export capability; the seed goes straight into pyseto's key object.
    """
    return Key.from_asymmetric_key_params(4, d=key.private_bytes(SecretAccess()))


def public_key(key: VerifyKey) -> KeyInterface:
    """A pyseto v4.public verification key for *key*."""
    return Key.from_asymmetric_key_params(4, x=key.raw)


def sign(key: KeyInterface, payload: bytes, footer: bytes = b"", implicit: bytes = b"") -> str:
    """The v4.public token of *payload* and *footer*, bound to the *implicit* assertion."""
    return pyseto.encode(key, payload, footer=footer, implicit_assertion=implicit).decode("ascii")


def split(token: object) -> tuple[bytes, bytes]:
    """``(signed message + signature, footer)`` of a v4.public token, decoded strictly.

    Raises:
        MalformedToken: not a string, too long, another version or purpose, or not canonical
            base64url.
    """
    if not isinstance(token, str):
        raise MalformedToken("a token is a string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
    match = _SHAPE.fullmatch(token)
    if match is None:
        known = _KNOWN_HEADER.match(token)
        if known and known.group(0) != HEADER:
            raise MalformedToken(f"expected a v4.public token, got {known.group(0)[:-1]}")
        raise MalformedToken(
            "not a PASETO v4.public token (expected v4.public.<payload>[.<footer>])"
        )
    body = _b64decode(match.group(1))
    if len(body) <= _SIGNATURE_SIZE:
        raise MalformedToken("the token's payload is too short to hold a signature")
    footer = _b64decode(match.group(2)) if match.group(2) else b""
    return body, footer


def unverified_kid(footer: bytes) -> str:
    """The key id named by a footer ``{"kid": "…"}`` -- NOT yet authenticated by any signature.

    Raises:
        MalformedToken: the footer is missing, too long, or not exactly ``{"kid": <string>}``.
    """
    if not footer:
        raise MalformedToken("the token has no footer naming its key id")
    if len(footer) > _MAX_FOOTER:
        raise MalformedToken("the token's footer is too long")
    try:
        doc: Any = json.loads(footer)
    except (ValueError, RecursionError):
        raise MalformedToken("the token's footer is not JSON") from None
    if not isinstance(doc, dict) or set(doc) != {"kid"} or not isinstance(doc["kid"], str):
        raise MalformedToken('the token\'s footer must be exactly {"kid": "<key id>"}')
    return doc["kid"]


def verify(key: KeyInterface, token: str, implicit: bytes = b"") -> tuple[bytes, bytes]:
    """Verify a v4.public *token* with *key* and *implicit*; returns ``(payload, footer)``.

    Raises:
        MalformedToken: the token is not a well-formed v4.public token.
        TokenSignatureInvalid: the signature does not verify (forged, altered, other key, or
            another implicit assertion).
    """
    split(token)
    try:
        decoded = pyseto.decode(key, token, implicit_assertion=implicit)
    except (pyseto.PysetoError, ValueError):
        raise TokenSignatureInvalid("the token's signature does not verify") from None
    payload, footer = decoded.payload, decoded.footer
    # pyseto returns bytes when no deserializer is given.
    assert isinstance(payload, bytes)
    assert isinstance(footer, bytes)
    return payload, footer


def open_verified(key: VerifyKey, body: bytes, footer: bytes, implicit: bytes = b"") -> bytes:
    """The payload of a v4.public token already :func:`split`, once its signature verifies.

    PASETO v4.public verification is one Ed25519 check of ``PAE(header, message, footer,
    implicit)``; doing it here on the bytes :func:`split` decoded saves decoding the token
    twice. ``tests/tokens/test_vectors.py`` runs the official vectors through it and pyseto.

    Raises:
        TokenSignatureInvalid: the signature does not verify (forged, altered, other key, or
            another implicit assertion).
    """
    message, signature = body[:-_SIGNATURE_SIZE], body[-_SIGNATURE_SIZE:]
    if not key.verify(signature, pae(_HEADER_BYTES, message, footer, implicit)):
        raise TokenSignatureInvalid("the token's signature does not verify")
    return message


def pae(*pieces: bytes) -> bytes:
    """PASETO's pre-authentication encoding: the count and each piece, with LE64 lengths."""
    out = [struct.pack("<Q", len(pieces))]
    for piece in pieces:
        out += (struct.pack("<Q", len(piece)), piece)
    return b"".join(out)


_HEADER_BYTES: Final = HEADER.encode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict, unpadded base64url: the only encoding that re-encodes to exactly *text*."""
    if len(text) % 4 == 1:
        raise MalformedToken("the token is not valid base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedToken("the token is not valid base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise MalformedToken("the token is not canonical base64url")
    return raw
