"""The one seam that makes differential-privacy noise repeatable: for statistical tests only.

**WARNING:** noise drawn while a seed is set is predictable from the seed, so a release made then
is not private. The only public way in is :func:`govshare.testing.deterministic_noise`, a context
manager that warns each time it is entered and cannot outlive its block. Nothing else sets it.
"""

from __future__ import annotations

from contextvars import ContextVar

import numpy as np

__all__ = ["TEST_GENERATOR"]

TEST_GENERATOR: ContextVar[np.random.Generator | None] = ContextVar(
    "govshare_test_noise_generator", default=None
)
"""The seeded generator in force, or None (the default: every draw comes from the CSPRNG)."""
