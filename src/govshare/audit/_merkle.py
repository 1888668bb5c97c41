"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and incremental append.

The tree is the one of RFC 9162 §2.1.1 with SHA-256: a leaf hash is ``SHA-256(0x00 || entry)``,
an interior node is ``SHA-256(0x01 || left || right)``, the root of ``n > 1`` leaves splits them at
``k``, the largest power of two smaller than ``n``, and the empty tree's root is ``SHA-256(b"")``.

Two ways of naming a subtree are used throughout:

* a *range* ``(start, end)`` is the half-open leaf range ``D[start:end]`` whose hash is
  ``MTH(D[start:end])``; proofs are lists of such ranges (:func:`inclusion_path`,
  :func:`consistency_path`);
* a *node* ``(level, index)`` is the perfect, aligned subtree covering leaves
  ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. A store keeps
  only these (:func:`append_nodes`) and answers any range from them (:func:`range_hash`).

Errors: a proof, root or hash that fails to verify raises :class:`~govshare.exceptions.ProofError`
(an :class:`~govshare.exceptions.IntegrityError`); an argument the caller got wrong (a negative
size, an index outside the tree when *generating* a proof, a hash that is not 32 bytes when
*computing*) raises :class:`~govshare.exceptions.InputError`. Roots are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from govshare.exceptions import InputError, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "append_nodes",
    "consistency_path",
    "consistency_proof",
    "frontier",
    "inclusion_path",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "perfect_nodes",
    "range_hash",
    "root_from_frontier",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root of the tree with no leaves: ``SHA-256(b"")`` (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

Range = tuple[int, int]
Node = tuple[int, int]


# --- hashing ---------------------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || entry)`` of one log entry.

    Raises:
        Nothing; any ``bytes`` value (including empty) is a valid entry.
    """
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``.

    Raises:
        InputError: ``left`` or ``right`` is not :data:`HASH_SIZE` bytes long.
    """
    _check_hash(left, "left")
    _check_hash(right, "right")
    return _sha256(_NODE_PREFIX + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return ``MTH(D[0:n])`` for the given leaf hashes (RFC 9162 §2.1.1).

    The tree is reduced level by level: adjacent pairs are hashed and an unpaired last node is
    carried up unchanged, which yields exactly the RFC's split at the largest power of two. The
    empty sequence gives :data:`EMPTY_ROOT`. Runs in O(n) hashes with no recursion.

    Raises:
        InputError: a leaf hash is not :data:`HASH_SIZE` bytes long.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    _check_hashes(level, "leaf hash")
    return _reduce(level)


def _reduce(level: list[bytes]) -> bytes:
    """Hash a non-empty, already validated level of nodes up to its MTH."""
    sha, prefix = _sha256, _NODE_PREFIX
    while len(level) > 1:
        carry = level[-1] if len(level) & 1 else None
        pairs = iter(level)
        level = [sha(prefix + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        if carry is not None:
            level.append(carry)
    return level[0]


# --- tree shapes -------------------------------------------------------------------------------


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, size: int) -> list[Range]:
    """Return the leaf ranges whose hashes form ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1).

    The ranges are half-open ``(start, end)`` and listed in proof order, from the leaf's sibling
    up to the child of the root. A tree of one leaf has an empty path.

    Raises:
        InputError: ``size`` is negative or ``index`` is not in ``[0, size)``.
    """
    _check_size(size, "size")
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} is outside a tree of {size} leaves")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            path.append((mid, end))
            end = mid
        else:
            path.append((start, mid))
            start = mid
    path.reverse()
    return path


def consistency_path(size1: int, size2: int) -> list[Range]:
    """Return the leaf ranges whose hashes form ``PROOF(size1, D[0:size2])`` (RFC 9162 §2.1.4.1).

    The ranges are half-open and in proof order. When ``size1 == 0`` or ``size1 == size2`` the
    proof is empty.

    Raises:
        InputError: a size is negative or ``size1 > size2``.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 > size2:
        raise InputError(f"size1 ({size1}) is larger than size2 ({size2})")
    if size1 in (0, size2):
        return []
    path: list[Range] = []
    start, end, m, whole = 0, size2, size1, True
    # SUBPROOF(m, D[start:end], whole), unrolled: each step records the sibling subtree.
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append((start, end))
    path.reverse()
    return path


def perfect_nodes(start: int, end: int) -> list[Node]:
    """Return the perfect subtrees ``(level, index)`` whose hashes make up ``MTH(D[start:end])``.

    Following the RFC split, the range decomposes into one perfect, aligned subtree per set bit
    of ``end - start``, largest (leftmost) first. ``start`` must be aligned as every range in an
    RFC proof is: a multiple of the smallest power of two not less than ``end - start``. The
    empty range gives an empty list.

    Raises:
        InputError: the range is negative, reversed or not aligned.
    """
    _check_size(start, "start")
    if end < start:
        raise InputError(f"range end {end} is before its start {start}")
    n = end - start
    if n and start % (1 << (n - 1).bit_length()):
        raise InputError(f"range [{start}, {end}) is not aligned as in an RFC 6962 tree")
    nodes: list[Node] = []
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def range_hash(start: int, end: int, node: Callable[[int, int], bytes]) -> bytes:
    """Return ``MTH(D[start:end])`` built from stored perfect subtrees.

    ``node(level, index)`` must return the hash of that perfect subtree (level 0 = leaf hash);
    only the nodes of :func:`perfect_nodes` are requested. The empty range gives
    :data:`EMPTY_ROOT`.

    Raises:
        InputError: the range is invalid (see :func:`perfect_nodes`) or ``node`` returned a
            value that is not :data:`HASH_SIZE` bytes long.
    """
    nodes = perfect_nodes(start, end)
    if not nodes:
        return EMPTY_ROOT
    hashes = [node(level, index) for level, index in nodes]
    _check_hashes(hashes, "stored node hash")
    return _fold_right(hashes)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine validated subtree hashes, largest first, into the hash of their union."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(_NODE_PREFIX + h + acc).digest()
    return acc


# --- proof generation --------------------------------------------------------------------------


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the tree of the first ``size`` leaves.

    This is the reference generator from the leaves: it hashes O(size) nodes.

    Raises:
        InputError: ``size`` is negative or exceeds ``len(leaf_hashes)``, ``index`` is not in
            ``[0, size)``, or a leaf hash is not :data:`HASH_SIZE` bytes long.
    """
    path = inclusion_path(index, size)
    _check_available(leaf_hashes, size)
    return [merkle_root(leaf_hashes[s:e]) for s, e in path]


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int, size2: int) -> list[bytes]:
    """Return the consistency proof between the trees of the first ``size1`` and ``size2`` leaves.

    This is the reference generator from the leaves: it hashes O(size2) nodes. The proof is
    empty when ``size1 == 0`` or ``size1 == size2``.

    Raises:
        InputError: a size is negative, ``size1 > size2``, ``size2`` exceeds
            ``len(leaf_hashes)``, or a leaf hash is not :data:`HASH_SIZE` bytes long.
    """
    path = consistency_path(size1, size2)
    _check_available(leaf_hashes, size2)
    return [merkle_root(leaf_hashes[s:e]) for s, e in path]


# --- verification ------------------------------------------------------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Implements RFC 9162 §2.1.3.2 step by step; returns ``None`` when the proof verifies. As in
    the RFC, a proof binds ``root`` but not ``size``: the same proof and root can verify for a
    neighbouring size whose path hashes the same way, so take ``(size, root)`` only from a
    signed checkpoint.

    Raises:
        InputError: ``index`` or ``size`` is negative.
        ProofError: ``index >= size``; ``leaf_hash``, ``root`` or a proof element is not
            :data:`HASH_SIZE` bytes long; the proof is too long or too short; or the computed
            root differs from ``root``.
    """
    _check_size(index, "index")
    _check_size(size, "size")
    if index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    _check_proof_hashes([leaf_hash, root], "leaf hash or root")
    _check_proof_hashes(proof, "proof element")
    _check_proof_length(len(proof), len(inclusion_path(index, size)))
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:  # unreachable after the length check; kept to follow the RFC exactly
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _sha256(_NODE_PREFIX + p + r).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _sha256(_NODE_PREFIX + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if not hmac.compare_digest(r, root):
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` leaves with ``root2`` extends the one with ``root1``.

    Implements RFC 9162 §2.1.4.2 for ``0 < size1 < size2`` and treats the edge cases like
    transparency-dev/merkle's ``proof.VerifyConsistency`` before its 2024 change: equal sizes
    need an empty proof and equal roots; ``size1 == 0`` needs an empty proof and then holds,
    since the empty tree is a prefix of every tree. Unlike Go, ``root1`` must then be
    :data:`EMPTY_ROOT`, the only root a tree of size 0 has. Returns ``None`` when it verifies.
    As with inclusion, the proof binds the roots, not ``size2``: take sizes and roots only from
    signed checkpoints.

    Raises:
        InputError: a size is negative.
        ProofError: ``size2 < size1``; a root or proof element is not :data:`HASH_SIZE` bytes
            long; the proof is empty, too long or too short; or a computed root differs.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    _check_proof_hashes([root1, root2], "root")
    _check_proof_hashes(proof, "proof element")
    if size2 < size1:
        raise ProofError(f"tree size went down from {size1} to {size2}")
    if size1 == 0 and not hmac.compare_digest(root1, EMPTY_ROOT):
        raise ProofError("root1 is not the root of the empty tree")
    if size1 == size2:
        _check_proof_length(len(proof), 0)
        if not hmac.compare_digest(root1, root2):
            raise ProofError(f"two different roots for the same tree size {size1}")
        return
    if size1 == 0:
        _check_proof_length(len(proof), 0)
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_proof_length(len(proof), len(consistency_path(size1, size2)))
    _chain_consistency(size1, size2, proof, root1, root2)


def _chain_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 §2.1.4.2 steps 2-7 for ``0 < size1 < size2`` and a non-empty proof."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:  # unreachable after the length check; kept to follow the RFC exactly
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    ok1 = hmac.compare_digest(fr, root1)
    ok2 = hmac.compare_digest(sr, root2)
    if not (ok1 and ok2):
        raise ProofError("consistency proof does not lead to the expected roots")


# --- incremental append ------------------------------------------------------------------------


def frontier(size: int) -> list[Node]:
    """Return the perfect subtrees ``(level, index)`` on the right edge of a tree of ``size``.

    There is one per set bit of ``size``, largest (leftmost) first; together they cover all
    ``size`` leaves, and their hashes are all a store needs to append (:func:`append_nodes`) or
    to compute the root (:func:`root_from_frontier`).

    Raises:
        InputError: ``size`` is negative.
    """
    _check_size(size, "size")
    return perfect_nodes(0, size)


def root_from_frontier(size: int, frontier_hashes: Sequence[bytes]) -> bytes:
    """Return the root of a tree of ``size`` leaves from its frontier hashes.

    ``frontier_hashes`` are the hashes of :func:`frontier` ``(size)``, in that order; a size of
    0 gives :data:`EMPTY_ROOT`.

    Raises:
        InputError: ``size`` is negative, the number of hashes is not the number of set bits of
            ``size``, or a hash is not :data:`HASH_SIZE` bytes long.
    """
    _check_frontier(size, frontier_hashes)
    return _fold_right(frontier_hashes) if size else EMPTY_ROOT


def append_nodes(
    old_size: int, frontier_hashes: Sequence[bytes], new_leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """Append leaves to a tree known only by its frontier; return the new nodes and root.

    ``frontier_hashes`` are the hashes of :func:`frontier` ``(old_size)``. The result lists every
    perfect node of level >= 1 completed by the new leaves as ``(level, index, hash)``, in the
    order they are completed, and the root of the tree of ``old_size + len(new_leaf_hashes)``
    leaves. Costs O(len(new_leaf_hashes) + log(old_size)) hashes.

    Raises:
        InputError: ``old_size`` is negative, the frontier does not match ``old_size``, or a hash
            is not :data:`HASH_SIZE` bytes long.
    """
    _check_frontier(old_size, frontier_hashes)
    new = list(new_leaf_hashes)
    _check_hashes(new, "leaf hash")
    stack = list(frontier_hashes)
    created: list[tuple[int, int, bytes]] = []
    sha, prefix, n = _sha256, _NODE_PREFIX, old_size
    for h in new:
        n += 1
        level, m = 0, n
        # Each trailing zero bit of the new size closes one perfect subtree on the right edge.
        while not m & 1:
            h = sha(prefix + stack.pop() + h).digest()
            level, m = level + 1, m >> 1
            created.append((level, m - 1, h))
        stack.append(h)
    root = _fold_right(stack) if stack else EMPTY_ROOT
    return created, root


# --- validation helpers ------------------------------------------------------------------------


def _check_size(value: int, name: str) -> None:
    if value < 0:
        raise InputError(f"{name} must not be negative, got {value}")


def _check_hash(value: bytes, name: str) -> None:
    if len(value) != HASH_SIZE:
        raise InputError(f"{name} must be {HASH_SIZE} bytes, got {len(value)}")


def _check_hashes(values: Sequence[bytes], name: str) -> None:
    # set(map(len, ...)) runs at C speed: ~20 ms for a million leaves, against ~50 ms for any().
    if values and set(map(len, values)) != {HASH_SIZE}:
        raise InputError(f"every {name} must be {HASH_SIZE} bytes")


def _check_proof_hashes(values: Sequence[bytes], name: str) -> None:
    if any(len(v) != HASH_SIZE for v in values):
        raise ProofError(f"every {name} must be {HASH_SIZE} bytes")


def _check_proof_length(got: int, want: int) -> None:
    if got > want:
        raise ProofError(f"proof is too long: {got} hashes, expected {want}")
    if got < want:
        raise ProofError(f"proof is too short: {got} hashes, expected {want}")


def _check_available(leaf_hashes: Sequence[bytes], size: int) -> None:
    if size > len(leaf_hashes):
        raise InputError(f"tree size {size} exceeds the {len(leaf_hashes)} leaves given")


def _check_frontier(size: int, frontier_hashes: Sequence[bytes]) -> None:
    _check_size(size, "size")
    if len(frontier_hashes) != size.bit_count():
        raise InputError(
            f"a tree of {size} leaves has {size.bit_count()} frontier hashes, "
            f"got {len(frontier_hashes)}"
        )
    _check_hashes(frontier_hashes, "frontier hash")
