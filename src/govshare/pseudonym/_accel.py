"""The optional compiled kernels (``_native.c``), or None where they were not built.

govshare installs and works without a C compiler: every kernel has a NumPy implementation that
gives identical results (``tests/pseudonym/test_native.py`` checks they agree), only slower.
Set ``GOVSHARE_NO_NATIVE=1`` to use the NumPy code even where the kernels exist.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["native"]


def _load() -> ModuleType | None:
    if os.environ.get("GOVSHARE_NO_NATIVE", "") not in ("", "0"):
        return None
    try:
        from govshare.pseudonym import _native
    except ImportError:
        return None
    return _native


native: ModuleType | None = _load()
