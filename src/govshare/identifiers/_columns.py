"""Arrow plumbing: string columns in and out as NumPy byte matrices, without a Python object per row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from govshare._arrow import large_strings, string_buffers
from govshare.exceptions import InputError

__all__ = [
    "U8",
    "Column",
    "fixed_width",
    "from_arrow",
    "from_series",
    "matrix_to_strings",
    "to_series",
]

U8 = npt.NDArray[np.uint8]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Column:
    """One string column as Arrow ``large_string`` plus which rows were not strings at all."""

    values: pa.LargeStringArray
    not_string: Bool  # non-null values of another type (numbers, bytes, ...): reported, not coerced


def from_series(series: pd.Series) -> Column:
    """The column as one ``large_string`` array (zero-copy for pandas' Arrow-backed strings).

    Raises:
        InputError: *series* is not a pandas Series.
    """
    if not isinstance(series, pd.Series):
        raise InputError(f"expected a pandas Series, got {type(series).__name__}")
    n = len(series)
    not_string = np.zeros(n, dtype=np.bool_)
    if isinstance(series.dtype, pd.StringDtype | pd.ArrowDtype) or series.dtype == object:
        try:
            array = pa.array(series.array, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = None
        if array is not None and (
            pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        ):
            return Column(large_strings(array), not_string)
        if array is not None and pa.types.is_null(array.type):
            return Column(pa.nulls(n, pa.large_string()), not_string)
    # Mixed or non-string values: the slow, per-element path (never taken for string columns).
    values = np.asarray(series.to_numpy(), dtype=object)
    is_str = np.fromiter((isinstance(v, str) for v in values), dtype=np.bool_, count=n)
    present = ~pd.isna(series).to_numpy(dtype=np.bool_)
    not_string = present & ~is_str
    kept = [v if ok else None for v, ok in zip(values.tolist(), is_str.tolist(), strict=True)]
    return Column(pa.array(kept, type=pa.large_string()), not_string)


def from_arrow(values: pa.Array | pa.ChunkedArray) -> Column:
    """An Arrow array as a :class:`Column`: strings as they are, any other type as "not a string"
    where present (as :func:`from_series` treats a non-string Series).

    Raises:
        InputError: *values* is not an Arrow array.
    """
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        raise InputError(f"expected an Arrow array, got {type(values).__name__}")
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return Column(large_strings(values), np.zeros(len(values), dtype=np.bool_))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return Column(pa.nulls(len(values), pa.large_string()), present_mask(values))


def present_mask(values: pa.Array) -> Bool:
    """True where the value is not null."""
    if values.null_count == 0:
        return np.ones(len(values), dtype=np.bool_)
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=np.bool_)


def fixed_width(values: pa.LargeStringArray, width: int) -> tuple[U8, Bool]:
    """An ``(n, width)`` byte matrix of the rows whose UTF-8 length is *width*, and that mask.

    Other rows hold zeros. When every row has that length the matrix is a zero-copy view of
    the data buffer.
    """
    offsets, data = string_buffers(values)
    n = len(values)
    lengths = np.diff(offsets)
    fits = lengths == width
    if n and bool(fits.all()):
        start = int(offsets[0])
        return data[start : start + n * width].reshape(n, width), fits
    starts = np.where(fits, offsets[:-1], 0)
    matrix = np.zeros((n, width), dtype=np.uint8)
    if data.size >= width:
        gathered = data[starts[:, None] + np.arange(width)]
        matrix[fits] = gathered[fits]
    return matrix, fits


def matrix_to_strings(matrix: U8, valid: Bool) -> pa.LargeStringArray:
    """A ``large_string`` array whose row *i* is ``matrix[i]`` (ASCII) where *valid*, else null.

    Null rows keep their bytes zeroed; the data buffer is the matrix itself, so no Python object
    is made per row.
    """
    n, width = matrix.shape
    data = np.ascontiguousarray(matrix)
    if not valid.all():
        data = data.copy() if data is matrix else data
        data[~valid] = 0
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    null_count = int(n - np.count_nonzero(valid))
    validity = (
        None if null_count == 0 else pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    )
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), validity, null_count
    )


def to_series(values: pa.Array | pa.ChunkedArray, like: pd.Series) -> pd.Series:
    """Wrap *values* as a pandas Series with *like*'s index and name and an Arrow string dtype.

    Keeps *like*'s dtype when it is already a pandas string dtype backed by Arrow (``str`` or
    ``string[pyarrow]``); otherwise uses pandas' default ``str`` dtype.
    """
    dtype = like.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    if not isinstance(values, pa.ChunkedArray):
        values = pa.chunked_array([values])
    array = pd.arrays.ArrowStringArray(values, dtype=dtype)  # type: ignore[call-arg]
    return pd.Series(array, index=like.index, name=like.name, copy=False)
