"""Purpose-bound access tokens: PASETO v4.public with an RFC 9396-style authorization detail.

A requesting department presents a token saying which categories of data it may get from which
department, for which purpose and legal basis, until when and how many times; the holding
department verifies it offline with the issuer's public key (``ws.tokens.verify``) and refuses
anything outside it with an :class:`~govshare.InvalidToken` subclass naming the reason.
"""

from __future__ import annotations

from govshare.tokens._agreements import AgreementLookup, AgreementScope, AgreementStatus
from govshare.tokens._models import DETAIL_TYPE, AuthorizationDetail, Claims, Grant
from govshare.tokens._tokens import DEFAULT_LEEWAY, MAX_TTL, Tokens
from govshare.tokens._trust import (
    KEY_DOC_FORMAT,
    KEY_USES,
    TOKEN_KEY,
    KeyUse,
    PublicKeyDocument,
    TrustedKey,
)

__all__ = [
    "DEFAULT_LEEWAY",
    "DETAIL_TYPE",
    "KEY_DOC_FORMAT",
    "KEY_USES",
    "MAX_TTL",
    "TOKEN_KEY",
    "AgreementLookup",
    "AgreementScope",
    "AgreementStatus",
    "AuthorizationDetail",
    "Claims",
    "Grant",
    "KeyUse",
    "PublicKeyDocument",
    "Tokens",
    "TrustedKey",
]
