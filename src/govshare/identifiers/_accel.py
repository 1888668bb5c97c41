"""The optional compiled kernels (``_native.c``), or None where they were not built.

govshare installs and works without a C compiler: every kernel has a NumPy implementation that
gives identical results (``tests/identifiers/test_native.py`` checks they agree), only slower.
Set ``GOVSHARE_NO_NATIVE=1`` to use the NumPy code even where the kernels exist.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

import numpy.typing as npt

if TYPE_CHECKING:
    from typing_extensions import Buffer

    # NumPy's stubs declare the buffer protocol only on Python 3.12+, so name arrays too.
    Bytes: TypeAlias = Buffer | npt.NDArray[Any]

__all__ = ["Kernels", "native"]


class Kernels(Protocol):
    """The typed face of ``_native`` (its one declaration; ``_native.c`` has the contracts)."""

    def resident_ids(self, matrix: Bytes, codes: Bytes, blocks: Bytes, tag: bytes, /) -> None: ...

    def hex_rows(self, prefix: bytes, digests: Bytes, valid: Bytes, out: Bytes, /) -> None: ...


def _load() -> Kernels | None:
    if os.environ.get("GOVSHARE_NO_NATIVE", "") not in ("", "0"):
        return None
    try:  # by name: the compiled module has no Python source for type checkers to read
        module = importlib.import_module("govshare.identifiers._native")
    except ImportError:
        return None
    return cast(Kernels, module)


native: Kernels | None = _load()
