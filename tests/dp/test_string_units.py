"""Fixed-width string privacy units get exact codes from the partitioned encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.dp._encode import encode_unit
from govshare.dp._string_units import _encode_partition, fixed_width_string_codes
from govshare.exceptions import InputError


def _same_partition(codes: np.ndarray, values: pd.Series) -> None:
    """Equal values have equal codes and different values different codes; codes are dense."""
    reference, _ = pd.factorize(values)
    pairs = np.unique(np.stack([codes, reference]), axis=1)
    assert pairs.shape[1] == len(np.unique(codes)) == len(np.unique(reference))
    assert codes.min() == 0
    assert codes.max() == len(np.unique(codes)) - 1


@given(
    pool=st.lists(
        st.text(alphabet="ab0\x00é", min_size=9, max_size=9).map(lambda s: s.encode()),
        min_size=1,
        max_size=40,
    ),
    picks=st.lists(st.integers(0, 1000), min_size=2, max_size=400),
    partition_rows=st.sampled_from([1, 3, 16, 1000]),
)
@settings(max_examples=150, deadline=None)
def test_codes_identify_values_exactly(
    pool: list[bytes], picks: list[int], partition_rows: int
) -> None:
    """For any fixed-width strings and any partition size, codes are a relabelling of values."""
    same_width = [p for p in pool if len(p) == len(pool[0])]
    values = pd.Series([same_width[i % len(same_width)].decode() for i in picks], dtype="str")
    codes = fixed_width_string_codes(values, partition_rows=partition_rows)
    if len(values) <= partition_rows:
        assert codes is None
        return
    assert codes is not None
    _same_partition(codes, values)


def test_pseudonym_column_across_many_partitions() -> None:
    """Pseudonym-like strings over hundreds of partitions, several rows per person."""
    rng = np.random.default_rng(3)
    pool = pd.Series([f"ap1.{int(v):032x}" for v in rng.integers(0, 2**62, 5000)], dtype="str")
    values = pd.Series(pool.array.take(rng.integers(0, 5000, 40_000)))
    codes = fixed_width_string_codes(values, partition_rows=100)
    assert codes is not None
    _same_partition(codes, values)


def test_hash_collisions_fall_back_to_an_exact_sort() -> None:
    """Different strings sharing a hash (forced here) still get different codes, in any order."""
    words = np.frombuffer(b"AAAAAAAABBBBBBBBAAAAAAAACCCCCCCCBBBBBBBB", dtype=np.uint8)
    rows = words.reshape(5, 8).view("V8").reshape(5)
    local, distinct = _encode_partition(rows, np.arange(5), np.zeros(5, dtype=np.uint64))
    assert distinct == 3
    assert local[0] == local[2]
    assert local[1] == local[4]
    assert len({int(local[0]), int(local[1]), int(local[3])}) == 3


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["abcdefgh", "abcdefghi"] * 50, dtype="str"),  # widths differ
        pd.Series(["abcdefg"] * 100, dtype="str"),  # narrower than one word
        pd.Series(["abcdefgh", None] * 50, dtype="str"),  # nulls: the caller reports them
        pd.Series(["abcdefgh"] * 100, dtype=object),  # not Arrow-backed
        pd.Series(["abcdefgh"] * 10, dtype="str"),  # small: one hash table is fine
    ],
)
def test_other_columns_are_left_to_factorize(values: pd.Series) -> None:
    assert fixed_width_string_codes(values, partition_rows=16) is None


def test_encode_unit_uses_it_and_still_reports_nulls() -> None:
    """Large pseudonym columns are encoded exactly; a null unit is still a clear error."""
    rng = np.random.default_rng(5)
    pool = pd.Series([f"ap1.{int(v):032x}" for v in rng.integers(0, 2**62, 3000)], dtype="str")
    values = pd.Series(pool.array.take(rng.integers(0, 3000, 200_000)))
    codes = encode_unit(pd.DataFrame({"pid": values}), "pid")
    _same_partition(codes, values)
    with_null = pd.concat([values, pd.Series([None], dtype="str")], ignore_index=True)
    with pytest.raises(InputError, match="nulls"):
        encode_unit(pd.DataFrame({"pid": with_null}), "pid")
