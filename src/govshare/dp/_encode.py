"""Turning a frame's privacy unit and group columns into integer codes, vectorised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from govshare.dp._string_units import fixed_width_string_codes
from govshare.exceptions import InputError
from govshare.identifiers import shown

__all__ = ["encode_groups", "encode_unit", "key_index", "values_of"]


def encode_unit(frame: pd.DataFrame, column: str) -> NDArray[np.int64]:
    """Integer codes of the privacy unit, one per row.

    Raises:
        InputError: the column is missing or holds nulls.
    """
    if column not in frame.columns:
        raise InputError(f"the privacy unit column {shown(column)} is not in the frame")
    dense = _dense_integer_codes(frame[column])
    if dense is None:  # pseudonyms and other fixed-width strings: partitioned, exact
        dense = fixed_width_string_codes(frame[column])
    if dense is not None:
        return dense
    codes, _ = pd.factorize(frame[column], use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) and codes.min() < 0:
        raise InputError(
            f"the privacy unit column {shown(column)} has nulls: drop or fill them first"
        )
    return codes


def _dense_integer_codes(series: pd.Series) -> NDArray[np.int64] | None:
    """The values themselves (or ``value - min``) for a NumPy integer column whose values span
    less than twice its length.

    Such codes identify persons exactly like factorised ones (bounding needs equal codes for equal
    persons and non-negative values, not consecutive ones) and cost a pass or two instead of a hash
    table that outgrows the CPU caches on tens of millions of rows. Other columns return None.
    The result may be a read-only view of the column: nothing writes to it.
    """
    if not isinstance(series.dtype, np.dtype) or series.dtype.kind not in "iu" or len(series) == 0:
        return None
    values = series.to_numpy()
    low, high = int(values.min()), int(values.max())
    limit = 2 * len(values)
    if low >= 0 and high < limit:
        return values.astype(np.int64, copy=False)
    if high - low >= limit:
        return None
    if values.dtype == np.uint64:  # may exceed int64: subtract before converting
        return (values - np.uint64(low)).astype(np.int64)
    codes: NDArray[np.int64] = np.subtract(values, np.int64(low), dtype=np.int64)
    return codes


def _check_columns(frame: pd.DataFrame, by: Sequence[str]) -> None:
    for column in by:
        if column not in frame.columns:
            raise InputError(f"group column {shown(column)} is not in the frame")
        dtype = frame[column].dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iub":  # NumPy ints and bools: no nulls
            continue
        if frame[column].isna().any():
            raise InputError(
                f"group column {shown(column)} has nulls: fill them with a public label first"
            )


def key_index(keys: Sequence[Any], by: Sequence[str]) -> pd.Index:
    """The public keys as an index (a MultiIndex for several group columns).

    Raises:
        InputError: keys are empty, duplicated, null, or of the wrong arity.
    """
    if isinstance(keys, str | bytes) or not isinstance(keys, Sequence | pd.Index | np.ndarray):
        raise InputError("keys must be a list of group keys")
    if len(keys) == 0:
        raise InputError("keys must not be empty")
    if len(by) == 1:  # one group column: accept plain values or 1-tuples
        keys = [k[0] if isinstance(k, tuple) and len(k) == 1 else k for k in keys]
    try:
        index = (
            pd.Index(list(keys), name=by[0])
            if len(by) == 1
            else pd.MultiIndex.from_tuples([tuple(k) for k in keys], names=list(by))
        )
    except (TypeError, ValueError):
        raise InputError(
            f"each key must be a tuple of {len(by)} values, one per group column"
        ) from None
    if index.has_duplicates:
        raise InputError("keys must be unique")
    if (index.isna() if len(by) == 1 else index.to_frame().isna().any(axis=1)).any():
        raise InputError("keys must not be null")
    return index


def encode_groups(
    frame: pd.DataFrame, by: Sequence[str], keys: pd.Index | None
) -> tuple[NDArray[np.int64], pd.Index]:
    """Group codes per row (-1 for rows outside the public *keys*) and the index they refer to.

    Raises:
        InputError: a group column is missing or holds nulls.
    """
    _check_columns(frame, by)
    if keys is not None:
        if len(by) == 1:
            codes = keys.get_indexer(pd.Index(frame[by[0]]))
        else:
            codes = keys.get_indexer(pd.MultiIndex.from_frame(frame[list(by)]))
        return np.asarray(codes, dtype=np.int64), keys
    if len(by) == 1:
        codes, uniques = pd.factorize(frame[by[0]], sort=True)
        return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=by[0])
    index = pd.MultiIndex.from_frame(frame[list(by)])
    codes, uniques = pd.factorize(index, sort=True)
    return np.asarray(codes, dtype=np.int64), pd.MultiIndex.from_tuples(
        list(uniques), names=list(by)
    )


def values_of(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    """The column as float64, refusing non-numeric, NaN and infinite values.

    Raises:
        InputError: the column is missing, not numeric, or holds NaN/inf/nulls.
    """
    if column not in frame.columns:
        raise InputError(f"value column {shown(column)} is not in the frame")
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise InputError(f"value column {shown(column)} is not numeric")
    if not isinstance(series.dtype, np.dtype) and series.isna().any():  # nullable dtypes
        raise InputError(_has_nulls(column))
    values = series.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():  # one pass in the usual case; tell NaN from inf only here
        if np.isnan(values).any():
            raise InputError(_has_nulls(column))
        raise InputError(f"value column {shown(column)} has infinite values")
    return values


def _has_nulls(column: str) -> str:
    return f"value column {column!r} has nulls or NaN: drop or fill them first"
