"""A department's keys: named, versioned, encrypted at rest (scrypt + AES-256-GCM).

Key objects are handles: no key bytes in repr, str, pickle or logs. Raw key material leaves only
through :mod:`govshare.hazmat`.
"""

from __future__ import annotations

from govshare.keys._keyfile import (
    MAX_KEY_FILE_BYTES,
    MAX_SCRYPT_MEMORY,
    PASSPHRASE_ENV,
    InsecureKeyFileWarning,
)
from govshare.keys._keyring import (
    DOCUMENT_KEY,
    PUBLIC_KEY_FORMAT,
    PUBLIC_KEY_USES,
    KeyInfo,
    KeyRing,
)

__all__ = [
    "DOCUMENT_KEY",
    "MAX_KEY_FILE_BYTES",
    "MAX_SCRYPT_MEMORY",
    "PASSPHRASE_ENV",
    "PUBLIC_KEY_FORMAT",
    "PUBLIC_KEY_USES",
    "InsecureKeyFileWarning",
    "KeyInfo",
    "KeyRing",
]
