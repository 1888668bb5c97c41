"""Reading pseudonyms back: ``<scheme code><key version>.<lower-case hex>`` over whole columns.

The input blocks and the output strings themselves are the identifiers layer's packed forms
(:func:`govshare.identifiers.pack_blocks`, :func:`govshare.identifiers.hex_strings`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from govshare.exceptions import InputError
from govshare.identifiers import U8, Bool, fixed_width, present_mask

__all__ = ["body_matrix", "parse_pseudonyms"]


def parse_pseudonyms(values: pa.LargeStringArray, code: str) -> tuple[pa.Array, pa.Array, Bool]:
    """Split ``<code><version>.<hex>`` strings: (versions int64, hex bodies, well-formed mask).

    Raises:
        InputError: a present value is not a pseudonym of this scheme (the row is named).
    """
    pattern = rf"^{code}(?P<version>[1-9][0-9]{{0,8}})\.(?P<body>[0-9a-f]+)$"
    parts = pc.extract_regex(values, pattern=pattern)
    present = present_mask(values)
    matched = present_mask(parts)
    bad = present & ~matched
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} value(s) are not {code!r} pseudonyms (first at row {row}); "
            "a pseudonym's prefix names its scheme and key version"
        )
    versions = pc.cast(pc.struct_field(parts, "version"), pa.int64())
    bodies = pc.struct_field(parts, "body").cast(pa.large_string())
    return versions, bodies, present


def body_matrix(bodies: pa.LargeStringArray, hex_width: int) -> tuple[U8, Bool]:
    """The hex bodies as an ``(n, hex_width)`` matrix and which rows have exactly that width."""
    return fixed_width(bodies, hex_width)
