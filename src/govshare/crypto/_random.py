"""Bulk cryptographically secure random bytes.

:func:`os.urandom` runs at about 150 MB/s here, which dominates DP contribution bounding on tens
of millions of rows. For large requests the bytes are instead the AES-256-CTR keystream under a
fresh 256-bit key and 128-bit counter block drawn from :func:`os.urandom` for that call alone (the
construction of NIST SP 800-90A's CTR_DRBG output function, without reseeding because every call
is a new instance): indistinguishable from random as long as AES is a PRP, and about 20 times
faster. Small requests keep using the OS directly.
"""

from __future__ import annotations

import os
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from govshare.exceptions import InputError

__all__ = ["random_bytes"]

_DIRECT_MAX: Final = 1 << 16
# One AES-CTR instance never produces more than 2**32 blocks (64 GiB), far below its limits.
_MAX_REQUEST: Final = 1 << 36


def random_bytes(n: int) -> bytes:
    """*n* bytes from a CSPRNG: the OS for small requests, a fresh AES-256-CTR stream for large.

    Raises:
        InputError: *n* is negative or larger than 64 GiB.
    """
    if not 0 <= n <= _MAX_REQUEST:
        raise InputError("random_bytes takes 0 to 2**36 bytes")
    if n <= _DIRECT_MAX:
        return os.urandom(n)
    encryptor = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
    return encryptor.update(bytes(n)) + encryptor.finalize()
