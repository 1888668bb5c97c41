"""Per-person contribution bounding, vectorised: at most ``max_rows`` rows per person per group and
at most ``max_groups`` groups per person, each chosen uniformly at random with CSPRNG priorities.

The choice only affects accuracy, never privacy: whichever rows are kept, one person still adds at
most ``max_groups * max_rows`` rows to a release, which is what the noise is calibrated to.

Large inputs are bounded in partitions by person: a hash of the person code picks one of a power
of two of partitions, a two-pass radix partition (O(n), over cache-sized chunks) lists each
partition's rows, and each partition is bounded on its own. Every row of a person lands in the same
partition, so bounding a partition is exactly bounding those persons: the per-person caps, the
CSPRNG choice of rows and groups, and so the sensitivity are unchanged. Partitions of about
:data:`PARTITION_ROWS` rows keep the random sorts and their temporaries inside the CPU caches, which
makes the whole linear in practice instead of a cache-missing O(n log n) sort of the full input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from govshare.dp._rng import random_uint64

__all__ = ["PARTITION_ROWS", "Bounded", "bound_contributions"]

# About 64k rows per partition: a block's sort keys, order and masks take a few MiB, within L2.
PARTITION_ROWS: Final = 1 << 16
# A stable argsort of uint16 keys is NumPy's O(n) radix sort, so at most 2**16 partitions.
_MAX_PARTITION_BITS: Final = 16
# Fibonacci hashing: the top bits of code * 2**64/phi spread any code pattern over the partitions.
_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
# Rows per step of the partitioning passes: a chunk's keys, order and targets stay in L2.
_CHUNK: Final = 1 << 16


@dataclass(frozen=True)
class Bounded:
    """The rows that survive bounding.

    Attributes:
        rows: positions (into the input) of the kept rows, increasing.
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
    partition_rows: int = PARTITION_ROWS,
) -> Bounded:
    """Keep at most *max_rows* rows per (person, group) and *max_groups* groups per person.

    *persons* and *groups* are non-negative integer codes, one per row; *groups* are below
    *n_groups*. *partition_rows* is the target size of the partitions bounded one at a time (a
    performance knob only: any value gives the same distribution of kept rows).
    """
    persons = np.asarray(persons, dtype=np.int64)  # the bit tricks below need 64-bit codes
    groups = np.asarray(groups, dtype=np.int64)
    n = len(persons)
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return Bounded(empty, np.zeros(0, dtype=np.int64), np.zeros(n_groups, dtype=np.int64))
    highest = int(persons.max())
    if _bits(highest) + _bits(n_groups - 1) > 62:  # sparse codes: make them dense
        persons = np.unique(persons, return_inverse=True)[1].astype(np.int64)
        highest = int(persons.max())
    layout = _Layout.of(highest, n_groups, _partition_bits(n, partition_rows))
    skip_groups = max_groups >= n_groups  # nobody can exceed max_groups: no choice to make
    if layout.part_bits == 0:  # one partition: no gathers at all
        keys = layout.block_keys(persons, groups)
        local, kept_pairs = _bound_block(keys, layout, max_groups, max_rows, skip_groups)
        rows = np.sort(local)
    else:
        mask = np.zeros(n, dtype=bool)
        pair_blocks = []
        for part, keys in _partitions(persons, groups, layout):
            local, pairs = _bound_block(keys, layout, max_groups, max_rows, skip_groups)
            mask[part[local]] = True
            pair_blocks.append(pairs)
        kept_pairs = np.concatenate(pair_blocks)
        rows = np.flatnonzero(mask)
    kept_codes = (kept_pairs & np.uint64((1 << layout.group_bits) - 1)).astype(np.intp)
    persons_per_group = np.bincount(kept_codes, minlength=n_groups)
    return Bounded(rows, groups[rows], persons_per_group.astype(np.int64))


def _bits(value: int) -> int:
    """Bits needed for the non-negative integers up to *value* (at least 1)."""
    return max(value.bit_length(), 1)


def _partition_bits(n: int, partition_rows: int) -> int:
    """log2 of the number of partitions: the least power of two with <= *partition_rows* each."""
    if n <= partition_rows:
        return 0
    return min(_bits(-(-n // max(partition_rows, 1)) - 1), _MAX_PARTITION_BITS)


@dataclass(frozen=True)
class _Layout:
    """How a row's (person, group) becomes one uint64 sort key within its partition.

    The person code is first mixed by an odd multiplier modulo ``2**person_bits`` (a bijection);
    the mixed code's top *part_bits* name the partition and the rest, above *group_bits* of group
    code, form the key. Dropping the partition bits keeps keys short, which leaves room for the
    random tie-break and the row position in one sortable word.
    """

    person_bits: int
    part_bits: int
    group_bits: int

    @classmethod
    def of(cls, highest_person: int, n_groups: int, part_bits: int) -> _Layout:
        person_bits = _bits(highest_person)
        return cls(person_bits, min(part_bits, person_bits), _bits(n_groups - 1))

    @property
    def local_bits(self) -> int:
        """Bits of a person code within its partition."""
        return self.person_bits - self.part_bits

    def mix(self, persons: NDArray[np.int64]) -> NDArray[np.uint64]:
        mixed = persons.view(np.uint64) * _GOLDEN
        mixed &= np.uint64((1 << self.person_bits) - 1)
        return mixed

    def block_keys(
        self, persons: NDArray[np.int64], groups: NDArray[np.int64]
    ) -> NDArray[np.uint64]:
        """Keys of whole partitions' rows (with one partition the code needs no mixing)."""
        local = persons.astype(np.uint64)
        local <<= np.uint64(self.group_bits)
        local |= groups.view(np.uint64)
        return local


def _partitions(
    persons: NDArray[np.int64], groups: NDArray[np.int64], layout: _Layout
) -> Iterator[tuple[NDArray[np.integer[Any]], NDArray[np.uint64]]]:
    """Each non-empty partition's rows (increasing positions) and their sort keys; all of a
    person's rows are in the same partition.

    A two-pass radix partition over cache-sized chunks: the first pass hashes and counts, the
    second sorts each chunk by partition and copies each piece to its place, so every memory
    access is sequential or within one chunk (a global sort and gather would miss the caches).
    """
    n, parts = len(persons), 1 << layout.part_bits
    part = np.empty(n, dtype=np.uint8 if layout.part_bits <= 8 else np.uint16)
    keys = np.empty(
        n, dtype=np.uint32 if layout.local_bits + layout.group_bits <= 32 else np.uint64
    )
    chunks = range(0, n, _CHUNK)
    counts = np.empty((len(chunks), parts), dtype=np.intp)
    local_mask = np.uint64((1 << layout.local_bits) - 1)
    for i, start in enumerate(chunks):
        stop = start + _CHUNK
        mixed = layout.mix(persons[start:stop])
        part[start:stop] = mixed >> np.uint64(layout.local_bits)
        mixed &= local_mask
        mixed <<= np.uint64(layout.group_bits)
        mixed |= groups[start:stop].view(np.uint64)
        keys[start:stop] = mixed
        counts[i] = np.bincount(part[start:stop], minlength=parts)
    totals = counts.sum(axis=0)
    ends = np.cumsum(totals)
    # Where chunk i's piece of partition k goes, minus where that piece starts within the chunk.
    shift = ends - totals + np.cumsum(counts, axis=0) - counts
    shift -= np.cumsum(counts, axis=1) - counts
    rows: NDArray[np.integer[Any]] = np.empty(n, dtype=np.int32 if n < 2**31 else np.intp)
    sorted_keys = np.empty_like(keys)
    for i, start in enumerate(chunks):
        stop = start + _CHUNK
        chunk_part = part[start:stop]
        order = np.argsort(chunk_part, kind="stable")  # radix sort within the chunk
        target = shift[i][chunk_part[order]]
        target += np.arange(len(order))
        sorted_keys[target] = keys[start:stop][order]
        rows[target] = order + start
    del part, keys
    start = 0
    for end in ends.tolist():
        if end > start:
            yield rows[start:end], sorted_keys[start:end].astype(np.uint64)
        start = end


def _bound_block(
    keys: NDArray[np.uint64], layout: _Layout, max_groups: int, max_rows: int, skip_groups: bool
) -> tuple[NDArray[np.intp], NDArray[np.uint64]]:
    """Bound whole persons' rows, given their ``local person << group_bits | group`` keys.

    Returns the positions (into *keys*) of the kept rows, and the key of each kept (person, group)
    pair.
    """
    row_order, sorted_keys = _random_order_within(keys, layout.local_bits + layout.group_bits)
    run_starts, lengths = _runs(sorted_keys)
    pair_keys = sorted_keys[run_starts]  # one per (person, group) pair, sorted by person
    keep_rows = _first_of_runs(run_starts, lengths, max_rows)
    if not skip_groups:
        persons = pair_keys >> np.uint64(layout.group_bits)
        chosen = _choose_groups(persons, layout.local_bits, max_groups)
        keep_rows = keep_rows[np.repeat(chosen, np.minimum(lengths, max_rows))]
        pair_keys = pair_keys[chosen]
    return row_order[keep_rows], pair_keys


def _choose_groups(
    persons: NDArray[np.uint64], person_bits: int, max_groups: int
) -> NDArray[np.bool_]:
    """Which pairs to keep: *max_groups* of each person's, at random (*persons* sorted)."""
    chosen = np.zeros(len(persons), dtype=bool)
    if max_groups == 1:  # the pair of least random priority in each person's run, without a sort
        starts, _ = _runs(persons)
        chosen[_least_random_in_runs(starts, len(persons))] = True
    else:
        order, sorted_persons = _random_order_within(persons, person_bits)
        starts, lengths = _runs(sorted_persons)
        chosen[order[_first_of_runs(starts, lengths, max_groups)]] = True
    return chosen


def _least_random_in_runs(run_starts: NDArray[np.intp], m: int) -> NDArray[np.intp]:
    """For each run of ``m`` positions starting at *run_starts*, one position chosen uniformly at
    random: the least CSPRNG priority (a tie needs equal random high bits and goes to the earlier
    position)."""
    pos_bits = _bits(m - 1)
    priority = random_uint64(m)
    priority >>= np.uint64(pos_bits)
    priority <<= np.uint64(pos_bits)
    priority |= np.arange(m, dtype=np.uint64)
    least = np.minimum.reduceat(priority, run_starts)
    return (least & np.uint64((1 << pos_bits) - 1)).astype(np.intp)


def _random_order_within(
    keys: NDArray[np.uint64], key_bits: int
) -> tuple[NDArray[np.intp], NDArray[np.uint64]]:
    """Positions sorted by *keys* (below ``2**key_bits``) with ties in CSPRNG-random order, and the
    sorted keys.

    When key, at least 24 random bits and the position fit in one uint64, that word is sorted
    directly (NumPy's vectorised sort); otherwise an argsort orders key and random bits packed
    together, or a lexsort the two apart when the key alone is too wide.
    """
    m = len(keys)
    key_bits = max(key_bits, 1)  # never shift a uint64 by 64
    pos_bits = _bits(m - 1)
    random = random_uint64(m)
    if key_bits + pos_bits <= 40:
        random >>= np.uint64(key_bits + pos_bits)
        random <<= np.uint64(pos_bits)
        random |= np.arange(m, dtype=np.uint64)
        random |= keys << np.uint64(64 - key_bits)
        random.sort()
        order = (random & np.uint64((1 << pos_bits) - 1)).astype(np.intp)
        return order, random >> np.uint64(64 - key_bits)
    if key_bits <= 40:
        random >>= np.uint64(key_bits)
        random |= keys << np.uint64(64 - key_bits)
        order = np.argsort(random)
    else:
        order = np.lexsort((random, keys))
    return order, keys[order]


def _runs(sorted_keys: NDArray[np.uint64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start positions and lengths of the runs of equal keys."""
    m = len(sorted_keys)
    starts = np.empty(m, dtype=bool)
    starts[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    run_starts = np.flatnonzero(starts)
    lengths = np.diff(run_starts, append=m)
    return run_starts, lengths


def _first_of_runs(
    run_starts: NDArray[np.intp], lengths: NDArray[np.intp], limit: int
) -> NDArray[np.intp]:
    """Positions of the first *limit* elements of every run, run by run."""
    if limit == 1:
        return run_starts
    taken = np.minimum(lengths, limit)
    first = np.repeat(run_starts - np.cumsum(taken) + taken, taken)
    return first + np.arange(len(first))
