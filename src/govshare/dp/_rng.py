"""Randomness for releases: the operating system's CSPRNG, and a seeded path for tests only.

Every draw on a release path comes from a CSPRNG (:func:`govshare.crypto.random_bytes`: the OS
for small requests, a fresh AES-256-CTR stream keyed from the OS for large ones). The only way to
make it repeatable is :func:`govshare.testing.deterministic_noise` (through the base layer's
``govshare._noise`` seam), meant for statistical tests; it is a context manager, so a seed can
never outlive the block that set it.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from govshare._noise import TEST_GENERATOR
from govshare.crypto import random_bytes

__all__ = ["random_uint64", "seeded_generator", "uniform_open_closed"]
_MANTISSA = 2.0**-53
# Words per CSPRNG request. Requests of a MiB or more cost about 8 times as much per byte here:
# their temporary buffers are mapped from the OS and page-faulted afresh on every call, where
# 256 KiB ones are reused from the heap.
_CHUNK: Final = 1 << 15


def random_uint64(n: int) -> NDArray[np.uint64]:
    """*n* uniformly random 64-bit words from the OS CSPRNG (or the test generator in tests),
    drawn in requests of at most 256 KiB (each large one its own AES-CTR stream)."""
    generator = TEST_GENERATOR.get()
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _CHUNK):
        size = min(_CHUNK, n - start)
        raw = generator.bytes(8 * size) if generator is not None else random_bytes(8 * size)
        out[start : start + size] = np.frombuffer(raw, dtype=np.uint64)
    return out


def uniform_open_closed(n: int) -> NDArray[np.float64]:
    """*n* uniforms on the grid ``{1, …, 2**53} / 2**53`` (to place a quantile in its interval)."""
    words = random_uint64(n) >> np.uint64(11)
    return (words.astype(np.float64) + 1.0) * _MANTISSA


def seeded_generator() -> np.random.Generator | None:
    """The seeded test generator in force (``govshare.testing.deterministic_noise``), or None."""
    return TEST_GENERATOR.get()
