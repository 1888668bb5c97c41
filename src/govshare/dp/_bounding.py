"""Per-person contribution bounding, vectorised: at most ``max_rows`` rows per person per group and
at most ``max_groups`` groups per person, each chosen uniformly at random with CSPRNG priorities.

The choice only affects accuracy, never privacy: whichever rows are kept, one person still adds at
most ``max_groups * max_rows`` rows to a release, which is what the noise is calibrated to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from govshare.dp._rng import random_uint64

__all__ = ["Bounded", "bound_contributions"]


@dataclass(frozen=True)
class Bounded:
    """The rows that survive bounding.

    Attributes:
        rows: positions (into the input) of the kept rows.
        groups: the group code of each kept row.
        persons_per_group: how many distinct persons each group code kept.
    """

    rows: NDArray[np.intp]
    groups: NDArray[np.int64]
    persons_per_group: NDArray[np.int64]


def bound_contributions(
    persons: NDArray[np.int64],
    groups: NDArray[np.int64],
    n_groups: int,
    *,
    max_groups: int,
    max_rows: int,
) -> Bounded:
    """Keep at most *max_rows* rows per (person, group) and *max_groups* groups per person.

    *persons* and *groups* are non-negative integer codes, one per row; *groups* are below
    *n_groups*.
    """
    n_persons = int(persons.max()) + 1 if len(persons) else 0
    pair = persons * np.int64(n_groups) + groups
    row_order = _random_order_within(pair, n_persons * n_groups)
    sorted_pair = pair[row_order]
    starts = _starts(sorted_pair)
    keep_rows = _rank(starts) < max_rows

    # One entry per (person, group) pair, in (person, group) order; choose max_groups per person.
    pair_rows = row_order[starts]
    pair_persons = persons[pair_rows]
    pair_order = _random_order_within(pair_persons, n_persons)
    pair_keep = np.empty(len(pair_rows), dtype=bool)
    pair_keep[pair_order] = _rank(_starts(pair_persons[pair_order])) < max_groups
    pair_index = np.cumsum(starts) - 1
    keep_rows &= pair_keep[pair_index]

    # Kept rows in input order without a second sort: O(n) scatter into a mask.
    mask = np.zeros(len(pair), dtype=bool)
    mask[row_order[keep_rows]] = True
    rows = np.flatnonzero(mask)
    kept_groups = groups[rows]
    persons_per_group = np.bincount(groups[pair_rows[pair_keep]], minlength=n_groups)
    return Bounded(rows, kept_groups, persons_per_group.astype(np.int64))


def _random_order_within(keys: NDArray[np.int64], key_space: int) -> NDArray[np.intp]:
    """Positions sorted by *keys*, ties broken by CSPRNG priorities (one sort when the keys fit)."""
    random = random_uint64(len(keys))
    key_bits = max(int(key_space - 1).bit_length(), 1)
    if key_bits <= 40:  # pack key and >= 24 random bits into one uint64 and sort once
        packed = (keys.astype(np.uint64) << np.uint64(64 - key_bits)) | (
            random >> np.uint64(key_bits)
        )
        return np.argsort(packed)
    return np.lexsort((random, keys))


def _starts(sorted_keys: NDArray[np.int64]) -> NDArray[np.bool_]:
    starts = np.empty(len(sorted_keys), dtype=bool)
    if len(sorted_keys):
        starts[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    return starts


def _rank(starts: NDArray[np.bool_]) -> NDArray[np.intp]:
    """0-based position of each element within its run of equal keys."""
    index = np.arange(len(starts))
    run_start = np.maximum.accumulate(np.where(starts, index, 0))
    return index - run_start
