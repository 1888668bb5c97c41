"""The only code in govshare that touches ``cryptography`` primitives.

Small, boring and tested against published vectors: Ed25519 handles, passphrase sealing
(scrypt + AES-256-GCM), SHA-256, the pseudonym primitives (single-block AES/SM4 PRPs,
HMAC-SHA256/HMAC-SM3, AES-SIV), and AES-256-GCM wrapping of keys that travel to remote workers.

Key handles never show their material; exporting it takes the ``SECRET_ACCESS`` capability,
which lives in :mod:`govshare.hazmat` so that every export is a visible, deliberate call.
"""

from __future__ import annotations

from govshare.crypto._ed25519 import SigningKey, VerifyKey
from govshare.crypto._prf import (
    BLOCK_SIZE,
    BlockCipher,
    HmacDigest,
    hmac_many,
    prp_decrypt_blocks,
    prp_encrypt_blocks,
)
from govshare.crypto._random import random_bytes
from govshare.crypto._sealed import ScryptParams, new_salt, open_sealed, seal
from govshare.crypto._secret import SecretAccess, refuse_pickle
from govshare.crypto._secret_key import SecretKey
from govshare.crypto._siv import siv_decrypt_many, siv_encrypt_many
from govshare.crypto._wrap import WrappingKey

__all__ = [
    "BLOCK_SIZE",
    "BlockCipher",
    "HmacDigest",
    "ScryptParams",
    "SecretAccess",
    "SecretKey",
    "SigningKey",
    "VerifyKey",
    "WrappingKey",
    "hmac_many",
    "new_salt",
    "open_sealed",
    "prp_decrypt_blocks",
    "prp_encrypt_blocks",
    "random_bytes",
    "refuse_pickle",
    "seal",
    "siv_decrypt_many",
    "siv_encrypt_many",
]
