"""Randomness for releases: the operating system's CSPRNG, and a seeded path for tests only.

Every draw on a release path comes from a CSPRNG (:func:`govshare.crypto.random_bytes`: the OS
for small requests, a fresh AES-256-CTR stream keyed from the OS for large ones). The only way to make it repeatable is
:func:`deterministic_noise`, meant for statistical tests (exported through :mod:`govshare.testing`);
it is a context manager so a seed can never outlive the block that set it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from numpy.typing import NDArray

from govshare.crypto import random_bytes

__all__ = ["deterministic_noise", "random_uint64", "uniform_open_closed"]

_TEST_GENERATOR: ContextVar[np.random.Generator | None] = ContextVar(
    "govshare_dp_test_generator", default=None
)
_MANTISSA = 2.0**-53


def random_uint64(n: int) -> NDArray[np.uint64]:
    """*n* uniformly random 64-bit words from the OS CSPRNG (or the test generator in tests)."""
    generator = _TEST_GENERATOR.get()
    raw = generator.bytes(8 * n) if generator is not None else random_bytes(8 * n)
    return np.frombuffer(raw, dtype=np.uint64).copy()


def uniform_open_closed(n: int) -> NDArray[np.float64]:
    """*n* uniforms on the grid ``{1, 2, …, 2**53} / 2**53`` (never 0, so ``log`` is finite)."""
    words = random_uint64(n) >> np.uint64(11)
    return (words.astype(np.float64) + 1.0) * _MANTISSA


@contextmanager
def deterministic_noise(seed: int) -> Iterator[None]:
    """Make every DP draw inside the block repeatable from *seed* (tests only: never in production).

    A seeded release is not private: anyone who knows the seed can subtract the noise. That is why
    this lives behind :mod:`govshare.testing` and is not a parameter of any query.
    """
    token = _TEST_GENERATOR.set(np.random.Generator(np.random.PCG64(seed)))
    try:
        yield
    finally:
        _TEST_GENERATOR.reset(token)
