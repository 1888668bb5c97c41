"""Encoding: unit codes equal exactly for equal persons on every path; nulls and NaN refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govshare.dp._encode import encode_groups, encode_unit, values_of
from govshare.exceptions import InputError


def _same_partition(codes: np.ndarray, values: pd.Series) -> bool:
    """Whether *codes* group the rows exactly as the values do."""
    factorised, _ = pd.factorize(values)
    pairs = pd.DataFrame({"c": codes, "f": factorised}).drop_duplicates()
    return bool(pairs["c"].is_unique and pairs["f"].is_unique)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([7, 3, 7, -2, 3, 10], dtype=np.int64),  # dense: value - min
        pd.Series([-128, 127, 0, -128], dtype=np.int8),  # would overflow int8 if subtracted first
        pd.Series([2**64 - 1, 2**64 - 3, 2**64 - 1], dtype=np.uint64),  # beyond int64
        pd.Series([10**15, 1, 10**15, 5 * 10**17], dtype=np.int64),  # sparse: factorised
        pd.Series(["b", "a", "b", "c"]),  # not integers: factorised
    ],
)
def test_unit_codes_identify_persons_exactly(values: pd.Series) -> None:
    """Codes are non-negative, equal for equal values and different for different ones."""
    codes = encode_unit(pd.DataFrame({"u": values}), "u")
    assert codes.dtype == np.int64
    assert (codes >= 0).all()
    assert _same_partition(codes, values)


def test_dense_integer_units_skip_the_hash_table() -> None:
    """Integers spanning less than twice the row count become value - min."""
    codes = encode_unit(pd.DataFrame({"u": np.array([5, 9, 5, 6])}), "u")
    assert codes.tolist() == [0, 4, 0, 1]


def test_nullable_integer_units_with_missing_values_are_refused() -> None:
    """A nullable integer column with <NA> still raises, as any unit column with nulls does."""
    frame = pd.DataFrame({"u": pd.array([1, None, 2], dtype="Int64")})
    with pytest.raises(InputError, match="has nulls"):
        encode_unit(frame, "u")


@pytest.mark.parametrize("dtype", ["Int64", "boolean"])
def test_nullable_group_columns_with_missing_values_are_refused(dtype: str) -> None:
    """Nullable integer and boolean group columns (kind "i"/"b" but able to hold <NA>) are still
    checked for nulls."""
    values = [1, None, 2] if dtype == "Int64" else [True, None, False]
    frame = pd.DataFrame({"g": pd.array(values, dtype=dtype)})
    with pytest.raises(InputError, match="has nulls"):
        encode_groups(frame, ["g"], None)


def test_value_columns_name_nan_and_infinity_apart() -> None:
    """NaN is reported as a null, infinity as infinite; nullable floats with <NA> as nulls."""
    with pytest.raises(InputError, match="has nulls or NaN"):
        values_of(pd.DataFrame({"v": [1.0, np.nan]}), "v")
    with pytest.raises(InputError, match="infinite"):
        values_of(pd.DataFrame({"v": [1.0, np.inf]}), "v")
    with pytest.raises(InputError, match="has nulls or NaN"):
        values_of(pd.DataFrame({"v": pd.array([1.0, None], dtype="Float64")}), "v")
    assert values_of(pd.DataFrame({"v": np.array([1, 2], dtype=np.int32)}), "v").tolist() == [1, 2]
