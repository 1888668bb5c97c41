"""Exact integer codes for a large fixed-width string privacy unit (e.g. a pseudonym column),
computed in cache-sized partitions.

``pd.factorize`` of millions of distinct strings builds one hash table that outgrows the CPU
caches, so its time grows about twice as fast as the rows. Here every row's bytes are hashed
(a cheap, unkeyed mix of its 8-byte words), the top bits of the hash pick a partition (a radix
sort lists each partition's rows), and each partition is encoded on its own: sorted by hash, a
new code wherever the hash or the bytes change. Equal strings have equal hashes, so they always
land in the same partition and get the same code, and the bytes are compared, so different
strings never share a code: the codes identify persons exactly, whatever the hash does.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from govshare._arrow import large_strings, string_buffers

__all__ = ["PARTITION_ROWS", "fixed_width_string_codes"]

PARTITION_ROWS: Final = 1 << 16  # rows per partition: its hash table stays in the L2 cache
_CHUNK: Final = 1 << 16  # rows hashed per step
_MAX_PARTITION_BITS: Final = 16  # partition ids are uint16 (NumPy radix-sorts them)
_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)


def fixed_width_string_codes(
    series: pd.Series, *, partition_rows: int = PARTITION_ROWS
) -> NDArray[np.int64] | None:
    """Codes ``0..persons-1`` (equal strings, equal codes) for an Arrow-backed string column
    whose values all have the same byte length (at least 8) and no nulls; None for any other
    column, or one small enough for a single hash table (the caller factorises it)."""
    n = len(series)
    if n <= partition_rows or not _arrow_strings(series):
        return None
    matrix = _fixed_width_matrix(series)
    if matrix is None:
        return None
    bits = min(max(int(-(-n // max(partition_rows, 1)) - 1).bit_length(), 1), _MAX_PARTITION_BITS)
    hashes = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _CHUNK):  # chunk by chunk: each chunk's words stay in the cache
        hashes[start : start + _CHUNK] = _hash_rows(matrix[start : start + _CHUNK])
    part = (hashes >> np.uint64(64 - bits)).astype(np.uint16)
    order = np.argsort(part, kind="stable")  # O(n) radix sort; input order within a partition
    ends = np.cumsum(np.bincount(part, minlength=1 << bits))
    del part
    rows = matrix.view(f"V{matrix.shape[1]}").reshape(n)
    codes = np.empty(n, dtype=np.int64)
    start, next_code = 0, 0
    for end in ends.tolist():
        if end > start:
            positions = order[start:end]
            local, distinct = _encode_partition(rows, positions, hashes[positions])
            local += next_code
            codes[positions] = local
            next_code += distinct
        start = end
    return codes


def _encode_partition(
    rows: NDArray[np.void], positions: NDArray[np.intp], hashes: NDArray[np.uint64]
) -> tuple[NDArray[np.int64], int]:
    """Codes ``0..distinct-1`` for the rows at *positions* (increasing), and *distinct*.

    Rows are sorted by hash (ties in position order) and a new code starts wherever the hash or
    the bytes change. Should two different strings share a hash bucket here, their rows could
    interleave in that order, so the partition is then encoded by a full sort of its bytes.
    """
    k = len(positions)
    position_bits = max((k - 1).bit_length(), 1)
    packed = hashes >> np.uint64(position_bits)
    packed <<= np.uint64(position_bits)
    packed |= np.arange(k, dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << position_bits) - 1)).astype(np.intp)
    packed >>= np.uint64(position_bits)
    # Read the rows in position order (a forward sweep), then reorder them within the cache.
    values = np.take(np.take(rows, positions), order)
    same_hash = packed[1:] == packed[:-1]
    same_bytes = values[1:] == values[:-1]
    if bool((same_hash & ~same_bytes).any()):
        _, inverse = np.unique(rows[positions], return_inverse=True)
        return inverse.astype(np.int64, copy=False), int(inverse.max()) + 1
    starts = np.empty(k, dtype=np.int64)
    starts[0] = 1
    np.logical_not(same_hash, out=starts[1:], casting="unsafe")
    sorted_codes = np.cumsum(starts) - 1
    local = np.empty(k, dtype=np.int64)
    local[order] = sorted_codes
    return local, int(sorted_codes[-1]) + 1


def _arrow_strings(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        kind = dtype.pyarrow_dtype
        return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))
    return False


def _fixed_width_matrix(series: pd.Series) -> NDArray[np.uint8] | None:
    """The column's bytes as an ``(n, width)`` view when every value has that length."""
    array = large_strings(pa.array(series.array, from_pandas=True))
    if array.null_count:
        return None
    offsets, data = string_buffers(array)
    n = len(array)
    width = int(offsets[1] - offsets[0])
    if width < 8 or int(offsets[-1] - offsets[0]) != n * width:
        return None
    if not bool((np.diff(offsets) == width).all()):
        return None
    first = int(offsets[0])
    return data[first : first + n * width].reshape(n, width)


def _hash_rows(block: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """A 64-bit mix of each row's 8-byte words (the last word overlaps when width % 8)."""
    rows, width = block.shape
    starts = list(range(0, width - 7, 8))
    if width % 8:
        starts.append(width - 8)
    mixed = np.zeros(rows, dtype=np.uint64)
    word = np.empty(rows, dtype=np.uint64)
    for at in starts:
        view = np.ndarray((rows,), dtype="<u8", buffer=block, offset=at, strides=(width,))
        word[...] = view
        mixed ^= word
        mixed *= _GOLDEN
        mixed ^= mixed >> np.uint64(29)
    return mixed
