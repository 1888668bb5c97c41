"""Property tests for govshare.audit._merkle, against a recursive reference taken from the RFC text.

The reference functions below transcribe RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 literally
(recursion over the tree, slices of the leaf list); the module under test must agree with them
on every tree up to a few hundred leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.audit import _merkle as mk
from govshare.exceptions import GovShareError, InputError, ProofError

MAX_LEAVES = 300
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@cache
def leaves(n: int) -> tuple[bytes, ...]:
    """Leaf hashes of ``n`` distinct entries (cached, as smaller trees are prefixes of larger)."""
    return tuple(mk.leaf_hash(b"entry-%d" % i) for i in range(n))


# --- reference implementation, straight from RFC 9162 -------------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: tuple[bytes, ...]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 over leaf hashes."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def shape(index: int, size: int) -> tuple[bool, ...] | None:
    """For each inclusion-path element, whether it is hashed in on the left; None if invalid."""
    if not 0 <= index < size:
        return None
    return tuple(start < index for start, _ in mk.inclusion_path(index, size))


def flip(value: bytes, bit: int) -> bytes:
    """Return ``value`` with bit ``bit`` (0 = most significant bit of byte 0) inverted."""
    out = bytearray(value)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def rejects(func: Callable[..., None], *args: Any) -> bool:
    """Whether calling ``func(*args)`` raises a GovShareError."""
    try:
        func(*args)
    except GovShareError:
        return True
    return False


sizes = st.integers(min_value=1, max_value=MAX_LEAVES)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return n, draw(st.integers(min_value=0, max_value=n - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(min_value=1, max_value=n)), n


# --- roots and ranges ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(n=st.integers(min_value=0, max_value=MAX_LEAVES))
def test_merkle_root_matches_rfc_reference(n: int) -> None:
    """merkle_root equals the RFC's recursive MTH for every size."""
    assert mk.merkle_root(leaves(n)) == ref_mth(leaves(n))


@PROPERTY_SETTINGS
@given(data=st.data(), n=sizes)
def test_range_hash_and_perfect_nodes_agree_with_slices(data: st.DataObject, n: int) -> None:
    """For every range in an RFC proof, range_hash over perfect nodes equals MTH of the slice."""
    d = leaves(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    m = data.draw(st.integers(min_value=1, max_value=n))
    ranges = [*mk.inclusion_path(index, n), *mk.consistency_path(m, n), (0, n)]

    def node(level: int, k: int) -> bytes:
        return mk.merkle_root(d[k << level : (k + 1) << level])

    for start, end in ranges:
        nodes = mk.perfect_nodes(start, end)
        covered = [i for level, k in nodes for i in range(k << level, (k + 1) << level)]
        assert covered == list(range(start, end))
        assert len(nodes) == (end - start).bit_count()
        assert mk.range_hash(start, end, node) == mk.merkle_root(d[start:end])


@PROPERTY_SETTINGS
@given(n=st.integers(min_value=0, max_value=MAX_LEAVES))
def test_frontier_covers_the_tree_and_gives_the_root(n: int) -> None:
    """frontier(n) is perfect_nodes(0, n), and root_from_frontier gives merkle_root."""
    d = leaves(n)
    front = mk.frontier(n)
    assert front == mk.perfect_nodes(0, n)
    hashes = [mk.merkle_root(d[k << lv : (k + 1) << lv]) for lv, k in front]
    assert mk.root_from_frontier(n, hashes) == mk.merkle_root(d)


# --- incremental append -------------------------------------------------------------------------


def all_perfect_nodes(d: tuple[bytes, ...]) -> dict[tuple[int, int], bytes]:
    """Every perfect node of level >= 1 in the tree of ``d``, computed from the leaves."""
    out: dict[tuple[int, int], bytes] = {}
    level = 1
    while (1 << level) <= len(d):
        for k in range(len(d) >> level):
            out[level, k] = mk.merkle_root(d[k << level : (k + 1) << level])
        level += 1
    return out


@PROPERTY_SETTINGS
@given(n=st.integers(min_value=0, max_value=MAX_LEAVES), data=st.data())
def test_append_nodes_over_random_batches_builds_the_whole_tree(
    n: int, data: st.DataObject
) -> None:
    """Appending in random batches yields each perfect node exactly once and the right roots."""
    d = leaves(n)
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=n), max_size=12)))
    store: dict[tuple[int, int], bytes] = {(0, i): x for i, x in enumerate(d)}
    created: list[tuple[int, int]] = []
    size = 0
    for cut in [*cuts, n]:
        front = [store[node] for node in mk.frontier(size)]
        nodes, root = mk.append_nodes(size, front, d[size:cut])
        for level, k, value in nodes:
            created.append((level, k))
            store[level, k] = value
        assert root == mk.merkle_root(d[:cut])
        size = cut
    expected = all_perfect_nodes(d)
    assert sorted(created) == sorted(expected)  # each node once, none missing or extra
    assert {node: store[node] for node in expected} == expected


def test_append_nodes_to_empty_tree_with_no_leaves() -> None:
    """Appending nothing to nothing creates no nodes and gives the empty root."""
    assert mk.append_nodes(0, [], []) == ([], mk.EMPTY_ROOT)


# --- inclusion proofs ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(tree=tree_and_index())
def test_inclusion_proofs_match_reference_and_verify(tree: tuple[int, int]) -> None:
    """inclusion_proof equals the RFC's PATH and verifies against the root."""
    n, index = tree
    d = leaves(n)
    proof = mk.inclusion_proof(d, index, n)
    assert proof == ref_path(index, d)
    mk.verify_inclusion(d[index], index, n, proof, mk.merkle_root(d))


@PROPERTY_SETTINGS
@given(tree=tree_and_index(), data=st.data())
def test_inclusion_single_bit_flips_fail(tree: tuple[int, int], data: st.DataObject) -> None:
    """Flipping one bit of a proof element, the root or the leaf hash fails verification."""
    n, index = tree
    d = leaves(n)
    proof, root, leaf = mk.inclusion_proof(d, index, n), mk.merkle_root(d), d[index]
    bit = data.draw(st.integers(min_value=0, max_value=8 * mk.HASH_SIZE - 1))
    with pytest.raises(ProofError):
        mk.verify_inclusion(leaf, index, n, proof, flip(root, bit))
    with pytest.raises(ProofError):
        mk.verify_inclusion(flip(leaf, bit), index, n, proof, root)
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            mk.verify_inclusion(leaf, index, n, bad, root)


@PROPERTY_SETTINGS
@given(tree=tree_and_index())
def test_inclusion_index_off_by_one_fails(tree: tuple[int, int]) -> None:
    """The same proof never verifies for the neighbouring leaf index."""
    n, index = tree
    d = leaves(n)
    proof, root = mk.inclusion_proof(d, index, n), mk.merkle_root(d)
    for other in (index - 1, index + 1):
        assert rejects(mk.verify_inclusion, d[index], other, n, proof, root)


@PROPERTY_SETTINGS
@given(tree=tree_and_index())
def test_inclusion_size_off_by_one_fails_unless_the_path_shape_is_identical(
    tree: tuple[int, int],
) -> None:
    """A proof verifies for tree size n +/- 1 exactly when the RFC path has the same shape.

    RFC 6962 inclusion proofs bind the root, not the size: e.g. leaf 0 of a 3-leaf tree and of
    a 4-leaf tree hash their proofs identically, so the same (proof, root) verifies for both.
    Only the signed (size, root) pair of a checkpoint ties a root to one size.
    """
    n, index = tree
    d = leaves(n)
    proof, root = mk.inclusion_proof(d, index, n), mk.merkle_root(d)
    for other in (n - 1, n + 1):
        accepted = not rejects(mk.verify_inclusion, d[index], index, other, proof, root)
        assert accepted == (shape(index, other) == shape(index, n))


# --- consistency proofs -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(sizes_=two_sizes())
def test_consistency_proofs_match_reference_and_verify(sizes_: tuple[int, int]) -> None:
    """consistency_proof equals the RFC's PROOF and verifies against both roots."""
    m, n = sizes_
    d = leaves(n)
    proof = mk.consistency_proof(d, m, n)
    assert proof == (ref_subproof(m, d, True) if m < n else [])
    mk.verify_consistency(m, n, proof, mk.merkle_root(d[:m]), mk.merkle_root(d))


@PROPERTY_SETTINGS
@given(sizes_=two_sizes(), data=st.data())
def test_consistency_single_bit_flips_fail(sizes_: tuple[int, int], data: st.DataObject) -> None:
    """Flipping one bit of a proof element or of either root fails verification."""
    m, n = sizes_
    d = leaves(n)
    proof, root1, root2 = mk.consistency_proof(d, m, n), mk.merkle_root(d[:m]), mk.merkle_root(d)
    bit = data.draw(st.integers(min_value=0, max_value=8 * mk.HASH_SIZE - 1))
    with pytest.raises(ProofError):
        mk.verify_consistency(m, n, proof, flip(root1, bit), root2)
    with pytest.raises(ProofError):
        mk.verify_consistency(m, n, proof, root1, flip(root2, bit))
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            mk.verify_consistency(m, n, bad, root1, root2)


@PROPERTY_SETTINGS
@given(sizes_=two_sizes())
def test_consistency_size1_off_by_one_fails(sizes_: tuple[int, int]) -> None:
    """A non-trivial proof never verifies for size1 - 1 or size1 + 1."""
    m, n = sizes_
    d = leaves(n)
    proof, root1, root2 = mk.consistency_proof(d, m, n), mk.merkle_root(d[:m]), mk.merkle_root(d)
    if m == n:
        return  # the empty proof for equal sizes is covered by the edge-case tests
    for other in (m - 1, m + 1):
        assert rejects(mk.verify_consistency, other, n, proof, root1, root2)


@PROPERTY_SETTINGS
@given(sizes_=two_sizes())
def test_consistency_size2_off_by_one_fails_unless_the_path_shape_is_identical(
    sizes_: tuple[int, int],
) -> None:
    """A proof verifies for size2 +/- 1 exactly when leaf size1-1's path has the same shape.

    As for inclusion, the proof binds the roots, not size2: the proof from 2 to 3 leaves also
    "verifies" from 2 to 4 against the 3-leaf root, since both hash the same way.
    """
    m, n = sizes_
    d = leaves(n)
    proof, root1, root2 = mk.consistency_proof(d, m, n), mk.merkle_root(d[:m]), mk.merkle_root(d)
    if m == n:
        return
    for other in (n - 1, n + 1):
        accepted = not rejects(mk.verify_consistency, m, other, proof, root1, root2)
        assert accepted == (other > m and shape(m - 1, other) == shape(m - 1, n))


def test_every_single_bit_flip_fails_in_small_trees() -> None:
    """Exhaustively, no single-bit change to any proof element verifies for trees up to 9 leaves."""
    for n in range(1, 10):
        d = leaves(n)
        root = mk.merkle_root(d)
        for index in range(n):
            proof = mk.inclusion_proof(d, index, n)
            for i in range(len(proof)):
                for bit in range(8 * mk.HASH_SIZE):
                    bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
                    assert rejects(mk.verify_inclusion, d[index], index, n, bad, root)
        for m in range(1, n):
            proof = mk.consistency_proof(d, m, n)
            root1 = mk.merkle_root(d[:m])
            for i in range(len(proof)):
                for bit in range(8 * mk.HASH_SIZE):
                    bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
                    assert rejects(mk.verify_consistency, m, n, bad, root1, root)


def test_generation_rejects_out_of_range_index_for_all_small_trees() -> None:
    """Generating a proof for index == size or beyond is an InputError at every small size."""
    for n in range(0, 20):
        for index in (n, n + 1, n + 7):
            with pytest.raises(InputError):
                mk.inclusion_proof(leaves(n), index, n)
