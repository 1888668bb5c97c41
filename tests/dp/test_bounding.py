"""Contribution bounding: per-person limits hold, and one heavy person cannot move a release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.dp import MemoryLedger, Query
from govshare.dp._bounding import bound_contributions


@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=80),
    max_groups=st.integers(1, 3),
    max_rows=st.integers(1, 3),
)
def test_bounding_respects_both_limits_and_keeps_what_it_may(
    pairs: list[tuple[int, int]], max_groups: int, max_rows: int
) -> None:
    """Each person keeps <= max_groups groups, <= max_rows rows per group, and exactly
    min(rows, max_rows) rows in each group it keeps."""
    persons = np.array([p for p, _ in pairs], dtype=np.int64)
    groups = np.array([g for _, g in pairs], dtype=np.int64)
    bounded = bound_contributions(persons, groups, 5, max_groups=max_groups, max_rows=max_rows)
    kept = pd.DataFrame({"p": persons[bounded.rows], "g": groups[bounded.rows]})
    every = pd.DataFrame({"p": persons, "g": groups})
    per_pair = kept.value_counts()
    assert (per_pair <= max_rows).all()
    assert (kept.groupby("p")["g"].nunique() <= max_groups).all()
    available = every.value_counts()
    for (p, g), n in per_pair.items():
        assert n == min(available[(p, g)], max_rows)
    groups_per_person = every.groupby("p")["g"].nunique()
    kept_groups = kept.groupby("p")["g"].nunique()
    assert (kept_groups == groups_per_person.clip(upper=max_groups)).all()
    assert (bounded.groups == groups[bounded.rows]).all()
    assert bounded.persons_per_group.sum() == len(per_pair)


@pytest.mark.slow
def test_one_person_with_a_million_rows_moves_a_count_by_at_most_the_bound() -> None:
    """Adding a person with 10^6 rows changes each group's pre-noise count by at most max_rows and
    touches at most max_groups groups (the other persons are within bounds, so unaffected)."""
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"p": np.arange(20_000), "g": rng.integers(0, 10, 20_000)})
    heavy = pd.DataFrame({"p": np.full(1_000_000, -1), "g": rng.integers(0, 10, 1_000_000)})
    with_heavy = pd.concat([base, heavy], ignore_index=True)

    def exact_counts(frame: pd.DataFrame) -> np.ndarray:
        q = Query(
            frame,
            privacy_unit="p",
            dataset="d",
            ledger=MemoryLedger(),
            requester="analyst",
            max_groups=2,
            max_rows=3,
        )
        bounded, _, groups = q._bound(["g"], None, None)
        return np.bincount(bounded.groups, minlength=len(groups))

    without = exact_counts(base)
    for _ in range(3):
        diff = exact_counts(with_heavy) - without
        assert (diff >= 0).all()
        assert diff.max() == 3
        assert (diff > 0).sum() == 2
        assert diff.sum() == 6


def test_bounding_choices_are_random_not_first_rows() -> None:
    """With max_rows=1, which of a person's rows is kept varies between calls (CSPRNG priorities)."""
    persons = np.zeros(100, dtype=np.int64)
    groups = np.zeros(100, dtype=np.int64)
    chosen = {
        int(bound_contributions(persons, groups, 1, max_groups=1, max_rows=1).rows[0])
        for _ in range(20)
    }
    assert len(chosen) > 5


def _check_bounded(
    persons: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    max_groups: int,
    max_rows: int,
    **kw: int,
) -> np.ndarray:
    """Bound, assert every cap and the keep-what-it-may rule, and return the kept rows."""
    bounded = bound_contributions(
        persons, groups, n_groups, max_groups=max_groups, max_rows=max_rows, **kw
    )
    assert (np.diff(bounded.rows) > 0).all()
    assert (bounded.groups == groups[bounded.rows]).all()
    every = pd.DataFrame({"p": persons, "g": groups})
    kept = every.iloc[bounded.rows]
    per_pair = kept.value_counts()
    available = every.value_counts()
    assert (per_pair.to_numpy() == np.minimum(available[per_pair.index], max_rows)).all()
    kept_groups = kept.groupby("p")["g"].nunique()
    wanted = every.groupby("p")["g"].nunique().clip(upper=max_groups)
    assert kept_groups.reindex(wanted.index, fill_value=0).equals(wanted)
    pairs = per_pair.index.get_level_values("g").to_numpy()
    assert (bounded.persons_per_group == np.bincount(pairs, minlength=n_groups)).all()
    return bounded.rows


@settings(max_examples=80, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), min_size=1, max_size=200),
    max_groups=st.integers(1, 3),
    max_rows=st.integers(1, 3),
    partition_rows=st.sampled_from([1, 2, 7, 64, 10_000]),
)
def test_partitioned_bounding_respects_the_caps_and_keeps_persons_within_them(
    pairs: list[tuple[int, int]], max_groups: int, max_rows: int, partition_rows: int
) -> None:
    """Whatever the partition size, no person exceeds the caps, each kept pair keeps
    min(rows, max_rows) rows, and a person within both caps keeps every one of their rows."""
    persons = np.array([p for p, _ in pairs], dtype=np.int64)
    groups = np.array([g for _, g in pairs], dtype=np.int64)
    rows = _check_bounded(persons, groups, 7, max_groups, max_rows, partition_rows=partition_rows)
    every = pd.DataFrame({"p": persons, "g": groups})
    within = (every.groupby("p")["g"].nunique() <= max_groups) & (
        every.value_counts().groupby(level="p").max() <= max_rows
    )
    wholly = np.flatnonzero(every["p"].map(within).to_numpy())
    assert np.isin(wholly, rows).all()


@pytest.mark.parametrize("partition_rows", [1, 100, 1 << 16, 1 << 30])
def test_many_partitions_bound_like_one(partition_rows: int) -> None:
    """On 50,000 rows, from one partition to one per possible person code, the caps hold and
    as many (person, group) pairs are kept as without partitions."""
    rng = np.random.default_rng(5)
    persons = rng.integers(0, 8_000, 50_000)
    groups = rng.integers(0, 30, 50_000)
    _check_bounded(persons, groups, 30, 2, 2, partition_rows=partition_rows)
    pairs = [
        bound_contributions(
            persons, groups, 30, max_groups=2, max_rows=2, partition_rows=size
        ).persons_per_group.sum()
        for size in (partition_rows, 1 << 30)
    ]
    assert pairs[0] == pairs[1]


def test_empty_input_keeps_nothing() -> None:
    """No rows: nothing kept, and a zero person count for every group."""
    empty = np.zeros(0, dtype=np.int64)
    bounded = bound_contributions(empty, empty, 3, max_groups=1, max_rows=1, partition_rows=1)
    assert len(bounded.rows) == len(bounded.groups) == 0
    assert bounded.persons_per_group.tolist() == [0, 0, 0]


def test_one_person_in_many_partitions_mode_is_bounded_once() -> None:
    """A single person (a single possible partition) with many rows still keeps one row per
    group in at most max_groups groups."""
    persons = np.zeros(1_000, dtype=np.int64)
    groups = np.arange(1_000, dtype=np.int64) % 10
    bounded = bound_contributions(persons, groups, 10, max_groups=3, max_rows=1, partition_rows=8)
    assert len(bounded.rows) == 3
    assert len(set(bounded.groups.tolist())) == 3


def test_sparse_person_codes_are_bounded_like_dense_ones() -> None:
    """Person codes near 2**62 (too wide to pack with the group) are made dense, not refused."""
    persons = np.array([2**62, 2**62, 5, 5, 5, 2**61], dtype=np.int64)
    groups = np.array([0, 1, 0, 0, 1, 1], dtype=np.int64)
    for partition_rows in (1, 1 << 16):
        _check_bounded(persons, groups, 2**20, 1, 2, partition_rows=partition_rows)


def test_partitioned_choices_are_uniform() -> None:
    """With many partitions, each of a person's 4 rows in a group is kept about equally often, and
    each of their 2 groups too (max_rows = max_groups = 1)."""
    rng = np.random.default_rng(9)
    others = rng.integers(1, 5_000, 20_000)
    persons = np.concatenate([np.zeros(8, dtype=np.int64), others])
    groups = np.concatenate([[0, 0, 0, 0, 1, 1, 1, 1], rng.integers(0, 2, 20_000)])
    chosen = np.zeros(8, dtype=np.int64)
    for _ in range(400):
        rows = bound_contributions(
            persons, groups, 2, max_groups=1, max_rows=1, partition_rows=512
        ).rows
        mine = rows[rows < 8]
        assert len(mine) == 1
        chosen[mine] += 1
    assert chosen.min() > 20  # expected 50 each; P(any < 21) is far below 1e-6
    assert 140 < chosen[:4].sum() < 260  # expected 200 per group


def test_narrow_integer_codes_are_accepted() -> None:
    """int32 person and group codes bound exactly like int64 ones."""
    persons = np.array([3, 3, 1, 0, 3], dtype=np.int32)
    groups = np.array([0, 1, 1, 0, 0], dtype=np.int32)
    _check_bounded(persons, groups, 2, 1, 1)


def test_query_on_integer_units_bounds_every_person_once_across_partitions() -> None:
    """A 200,000-row query with integer person ids (several partitions, rows outside the public
    keys) keeps exactly one row for every person with a row in the keys (max 1 group, 1 row)."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {"p": rng.integers(-50, 40_000, 200_000), "g": rng.integers(0, 12, 200_000)}
    )
    q = Query(frame, privacy_unit="p", dataset="d", ledger=MemoryLedger(), requester="analyst")
    bounded, rows, _ = q._bound(["g"], pd.Index(range(10), name="g"), None)
    kept = frame.iloc[rows]
    assert kept["p"].is_unique
    assert set(kept["p"]) == set(frame.loc[frame["g"] < 10, "p"])
    assert (bounded.persons_per_group == np.bincount(kept["g"], minlength=10)).all()
