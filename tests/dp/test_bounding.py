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
            frame, privacy_unit="p", dataset="d", ledger=MemoryLedger(), max_groups=2, max_rows=3
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
