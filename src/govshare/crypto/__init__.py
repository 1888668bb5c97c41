"""The only code in govshare that touches ``cryptography`` primitives.

Small, boring and tested against published vectors: Ed25519 handles, passphrase sealing
(scrypt + AES-256-GCM) and SHA-256.
"""

from __future__ import annotations

from govshare.crypto._ed25519 import SigningKey, VerifyKey
from govshare.crypto._sealed import ScryptParams, new_salt, open_sealed, seal
from govshare.crypto._secret import SECRET_ACCESS, SecretAccess
from govshare.crypto._secret_key import SecretKey

__all__ = [
    "SECRET_ACCESS",
    "ScryptParams",
    "SecretAccess",
    "SecretKey",
    "SigningKey",
    "VerifyKey",
    "new_salt",
    "open_sealed",
    "seal",
]
