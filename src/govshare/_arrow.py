"""Arrow string columns as NumPy views, shared by the capabilities that read them in bulk."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

__all__ = ["large_strings", "string_buffers"]


def large_strings(array: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    """*array* as one ``large_string`` array (no copy when it already is one chunk of that type)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return array


def string_buffers(
    values: pa.LargeStringArray,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """The offsets (``n + 1``, absolute into data) and data bytes of *values*, as NumPy views."""
    _, offsets_buf, data_buf = values.buffers()
    n = len(values)
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=values.offset + n + 1)
    offsets = offsets[values.offset :]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data
