"""Randomness for releases: the operating system's CSPRNG, and a seeded path for tests only.

Every draw on a release path comes from a CSPRNG (:func:`govshare.crypto.random_bytes`: the OS
for small requests, a fresh AES-256-CTR stream keyed from the OS for large ones). The only way to
make it repeatable is :func:`govshare.testing.deterministic_noise` (through the base layer's
``govshare._noise`` seam), meant for statistical tests; it is a context manager, so a seed can
never outlive the block that set it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from govshare._noise import TEST_GENERATOR
from govshare.crypto import random_bytes

__all__ = ["random_uint64", "seeded_generator", "uniform_open_closed"]
_MANTISSA = 2.0**-53


def random_uint64(n: int) -> NDArray[np.uint64]:
    """*n* uniformly random 64-bit words from the OS CSPRNG (or the test generator in tests)."""
    generator = TEST_GENERATOR.get()
    raw = generator.bytes(8 * n) if generator is not None else random_bytes(8 * n)
    return np.frombuffer(raw, dtype=np.uint64).copy()


def uniform_open_closed(n: int) -> NDArray[np.float64]:
    """*n* uniforms on the grid ``{1, …, 2**53} / 2**53`` (to place a quantile in its interval)."""
    words = random_uint64(n) >> np.uint64(11)
    return (words.astype(np.float64) + 1.0) * _MANTISSA


def seeded_generator() -> np.random.Generator | None:
    """The seeded test generator in force (``govshare.testing.deterministic_noise``), or None."""
    return TEST_GENERATOR.get()
