"""Known-answer and edge-case tests for govshare.audit._merkle.

The vectors are published RFC 6962 test data, stored in ``tests/vectors/merkle/`` with their
provenance in ``tests/vectors/README.md``; :func:`load_vectors` is the only code that reads them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govshare.audit import _merkle as mk
from govshare.exceptions import GovShareError, InputError, IntegrityError, ProofError

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "merkle"


def load_vectors(name: str) -> Any:
    """Return the parsed JSON vector file ``tests/vectors/merkle/<name>``."""
    return json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))


def h(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string)


def hs(hex_strings: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hex_strings]


def b64(value: str) -> bytes:
    return base64.b64decode(value)


HASHER = load_vectors("rfc6962_hasher.json")
TREE = load_vectors("reference_tree.json")
PROOFS = load_vectors("proofs.json")
EDGES = load_vectors("verify_edge_cases.json")
PROBES = load_vectors("transparency_dev_testdata.json")

LEAF_INPUTS = hs(TREE["leaf_inputs_hex"])
LEAVES = [mk.leaf_hash(entry) for entry in LEAF_INPUTS]
ROOTS = hs(TREE["root_by_size"])
NODES = [hs(level) for level in TREE["node_hashes_by_level"]]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def _error(func: Callable[..., None], *args: Any) -> type[Exception] | None:
    """Return the class of the GovShareError ``func(*args)`` raises, or None if it returns."""
    try:
        func(*args)
    except GovShareError as exc:
        return type(exc)
    return None


def _id(case: dict[str, Any]) -> str:
    keys = ("index", "size") if "index" in case else ("size1", "size2")
    return "-".join(f"{k}{case[k]}" for k in keys)


# --- hashing ------------------------------------------------------------------------------------


def test_empty_root_vector() -> None:
    """EMPTY_ROOT and the root of no leaves are SHA-256 of the empty string."""
    assert h(HASHER["empty_root"]) == mk.EMPTY_ROOT == mk.merkle_root([])
    assert mk.HASH_SIZE == 32


@pytest.mark.parametrize("case", HASHER["leaves"], ids=lambda c: c["desc"])
def test_leaf_hash_vectors(case: dict[str, str]) -> None:
    """leaf_hash matches the published RFC 6962 leaf hashes."""
    assert mk.leaf_hash(h(case["entry_hex"])) == h(case["hash"])


def test_node_hash_vector_with_short_children_is_refused() -> None:
    """node_hash refuses the upstream 4-byte-children vector, as it only combines 32-byte hashes."""
    case = HASHER["nodes"][0]
    with pytest.raises(InputError):
        mk.node_hash(h(case["left_hex"]), h(case["right_hex"]))


def test_reference_leaf_hashes() -> None:
    """leaf_hash of the eight reference inputs gives the published level-0 node hashes."""
    assert NODES[0] == LEAVES


def test_reference_interior_nodes() -> None:
    """node_hash of two published children gives the published parent at every level."""
    for level in range(1, len(NODES)):
        for index, parent in enumerate(NODES[level]):
            left, right = NODES[level - 1][2 * index : 2 * index + 2]
            assert mk.node_hash(left, right) == parent


@pytest.mark.parametrize("size", range(9))
def test_root_for_every_size(size: int) -> None:
    """merkle_root of the first `size` reference leaves equals the published root."""
    assert mk.merkle_root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("size", range(9))
def test_frontier_matches_published_compact_trees(size: int) -> None:
    """frontier(size) names exactly the published compact-tree hashes, which give the root."""
    expected = hs(TREE["frontier_hashes_by_size"][size])
    assert [NODES[level][index] for level, index in mk.frontier(size)] == expected
    assert mk.root_from_frontier(size, expected) == ROOTS[size]


def test_append_one_by_one_reproduces_every_node_and_root() -> None:
    """Appending the reference leaves one at a time creates every published node and root."""
    frontier: list[bytes] = []
    created: dict[tuple[int, int], bytes] = {}
    for size in range(8):
        nodes, root = mk.append_nodes(size, frontier, [LEAVES[size]])
        created.update({(level, index): node for level, index, node in nodes})
        assert root == ROOTS[size + 1]
        frontier = hs(TREE["frontier_hashes_by_size"][size + 1])
    expected = {(lv, i): x for lv in range(1, 4) for i, x in enumerate(NODES[lv])}
    assert created == expected


def test_range_hash_from_published_nodes() -> None:
    """range_hash over the published perfect nodes gives the published root of every size."""
    for size in range(9):
        assert mk.range_hash(0, size, lambda lv, i: NODES[lv][i]) == ROOTS[size]


# --- inclusion proofs ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", PROOFS["inclusion"], ids=_id)
def test_inclusion_proof_generation(case: dict[str, Any]) -> None:
    """inclusion_proof reproduces each published inclusion proof."""
    assert mk.inclusion_proof(LEAVES, case["index"], case["size"]) == hs(case["proof"])


@pytest.mark.parametrize("case", PROOFS["inclusion"], ids=_id)
def test_inclusion_proof_verification(case: dict[str, Any]) -> None:
    """verify_inclusion accepts each published proof against the published root."""
    index, size = case["index"], case["size"]
    mk.verify_inclusion(LEAVES[index], index, size, hs(case["proof"]), ROOTS[size])


def _inclusion_corruptions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    """The probes of transparency-dev/merkle cmd/proofgen invalidInclusionProof."""
    probes = [
        ("index - 1", leaf, index - 1, size, proof, root),
        ("index + 1", leaf, index + 1, size, proof, root),
        ("index ^ 2", leaf, index ^ 2, size, proof, root),
        ("size * 2", leaf, index, size * 2, proof, root),
        ("size // 2", leaf, index, size // 2, proof, root),
        ("wrong leaf", b"WrongLeaf", index, size, proof, root),
        ("empty root", leaf, index, size, proof, mk.EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root),
        ("trailing root", leaf, index, size, [*proof, root], root),
        ("preceding garbage", leaf, index, size, [b"", *proof], root),
        ("preceding root", leaf, index, size, [root, *proof], root),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 3", leaf, index, size, bad, root))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        probes.append(
            ("inserted component", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)
        )
    return probes


@pytest.mark.parametrize("case", PROOFS["inclusion"], ids=_id)
def test_corrupted_inclusion_proofs_fail(case: dict[str, Any]) -> None:
    """Every upstream corruption of a published inclusion proof is rejected."""
    index, size = case["index"], case["size"]
    probes = _inclusion_corruptions(index, size, hs(case["proof"]), ROOTS[size], LEAVES[index])
    got = {desc: _error(mk.verify_inclusion, *args) for desc, *args in probes}
    want = {desc: InputError if p_index < 0 else ProofError for desc, _, p_index, *_ in probes}
    assert got == want


@pytest.mark.parametrize("case", EDGES["inclusion"], ids=_id)
def test_inclusion_edge_vectors(case: dict[str, Any]) -> None:
    """verify_inclusion gives the upstream verdict on its invalid-input and single-entry probes."""
    args = (h(case["leaf_hash"]), case["index"], case["size"], hs(case["proof"]), h(case["root"]))
    if case["want_err"]:
        with pytest.raises(ProofError):
            mk.verify_inclusion(*args)
    else:
        mk.verify_inclusion(*args)


# --- consistency proofs -------------------------------------------------------------------------


@pytest.mark.parametrize("case", PROOFS["consistency"], ids=_id)
def test_consistency_proof_generation(case: dict[str, Any]) -> None:
    """consistency_proof reproduces each published consistency proof."""
    assert mk.consistency_proof(LEAVES, case["size1"], case["size2"]) == hs(case["proof"])


@pytest.mark.parametrize("case", PROOFS["consistency"], ids=_id)
def test_consistency_proof_verification(case: dict[str, Any]) -> None:
    """verify_consistency accepts each published proof against the published roots."""
    s1, s2 = case["size1"], case["size2"]
    mk.verify_consistency(s1, s2, hs(case["proof"]), ROOTS[s1], ROOTS[s2])


def _consistency_corruptions(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    """The probes of transparency-dev/merkle cmd/proofgen invalidConsistencyProof."""
    wrong = b"WrongRoot"
    probes = [
        ("size1 - 1", size1 - 1, size2, proof, root1, root2),
        ("size1 + 1", size1 + 1, size2, proof, root1, root2),
        ("size1 ^ 2", size1 ^ 2, size2, proof, root1, root2),
        ("size2 * 2", size1, size2 * 2, proof, root1, root2),
        ("size2 // 2", size1, size2 // 2, proof, root1, root2),
        ("wrong root1", size1, size2, proof, wrong, root2),
        ("wrong root2", size1, size2, proof, root1, wrong),
        ("swapped roots", size1, size2, proof, root2, root1),
        ("empty proof", size1, size2, [], root1, root2),
        ("trailing garbage", size1, size2, [*proof, b""], root1, root2),
        ("trailing root1", size1, size2, [*proof, root1], root1, root2),
        ("trailing root2", size1, size2, [*proof, root2], root1, root2),
        ("preceding garbage", size1, size2, [b"", *proof], root1, root2),
        ("preceding root1", size1, size2, [root1, *proof], root1, root2),
        ("preceding root2", size1, size2, [root2, *proof], root1, root2),
        ("preceding proof[0]", size1, size2, [proof[0], *proof], root1, root2),
        ("truncated proof", size1, size2, proof[:-1], root1, root2),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 4", size1, size2, bad, root1, root2))
    return probes


@pytest.mark.parametrize("case", [c for c in PROOFS["consistency"] if c["proof"]], ids=_id)
def test_corrupted_consistency_proofs_fail(case: dict[str, Any]) -> None:
    """Every upstream corruption of a published, non-empty consistency proof is rejected."""
    s1, s2 = case["size1"], case["size2"]
    probes = _consistency_corruptions(s1, s2, hs(case["proof"]), ROOTS[s1], ROOTS[s2])
    got = {desc: _error(mk.verify_consistency, *args) for desc, *args in probes}
    assert got == dict.fromkeys(got, ProofError)


@pytest.mark.parametrize("case", EDGES["consistency"], ids=_id)
def test_consistency_edge_vectors(case: dict[str, Any]) -> None:
    """verify_consistency gives govshare's recorded verdict on the upstream edge-case table."""
    args = (case["size1"], case["size2"], hs(case["proof"]), h(case["root1"]), h(case["root2"]))
    if case["want_err"]:
        with pytest.raises(ProofError):
            mk.verify_consistency(*args)
    else:
        mk.verify_consistency(*args)


# --- verbatim upstream probe files --------------------------------------------------------------


@pytest.mark.parametrize("entry", PROBES["inclusion"], ids=lambda e: e["path"])
def test_transparency_dev_inclusion_probe_files(entry: dict[str, Any]) -> None:
    """Each verbatim testdata/inclusion probe gets its upstream verdict (and matches the tree)."""
    p = entry["probe"]
    proof = [b64(x) for x in p["proof"] or []]
    args = (b64(p["leafHash"]), p["leafIdx"], p["treeSize"], proof, b64(p["root"]))
    if p["wantErr"]:
        with pytest.raises(ProofError):
            mk.verify_inclusion(*args)
        return
    mk.verify_inclusion(*args)
    if p["desc"] == "happy path":
        assert mk.inclusion_proof(LEAVES, p["leafIdx"], p["treeSize"]) == proof


@pytest.mark.parametrize("entry", PROBES["consistency"], ids=lambda e: e["path"])
def test_transparency_dev_consistency_probe_files(entry: dict[str, Any]) -> None:
    """Each verbatim testdata/consistency happy path verifies and matches the generator."""
    p = entry["probe"]
    proof = [b64(x) for x in p["proof"] or []]
    assert not p["wantErr"]
    mk.verify_consistency(p["size1"], p["size2"], proof, b64(p["root1"]), b64(p["root2"]))
    assert mk.consistency_proof(LEAVES, p["size1"], p["size2"]) == proof


# --- edge cases ---------------------------------------------------------------------------------


def test_proof_error_is_an_integrity_error() -> None:
    """A failed verification can be caught as the IntegrityError family."""
    with pytest.raises(IntegrityError):
        mk.verify_inclusion(LEAVES[0], 0, 1, [], ROOTS[2])


def test_size_one_tree() -> None:
    """A one-leaf tree has the leaf hash as root, an empty inclusion path and verifies."""
    assert mk.merkle_root(LEAVES[:1]) == LEAVES[0]
    assert mk.inclusion_path(0, 1) == []
    assert mk.inclusion_proof(LEAVES, 0, 1) == []
    mk.verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (8, 8), (9, 8)])
def test_inclusion_index_out_of_range(index: int, size: int) -> None:
    """An index outside the tree is an InputError to generate and a ProofError to verify."""
    with pytest.raises(InputError):
        mk.inclusion_path(index, size)
    with pytest.raises(InputError):
        mk.inclusion_proof(LEAVES, index, size)
    with pytest.raises(ProofError):
        mk.verify_inclusion(LEAVES[0], index, size, [], mk.EMPTY_ROOT)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mk.inclusion_path(-1, 4),
        lambda: mk.inclusion_path(0, -1),
        lambda: mk.consistency_path(-1, 4),
        lambda: mk.consistency_path(0, -1),
        lambda: mk.consistency_path(5, 4),
        lambda: mk.consistency_proof(LEAVES, 5, 4),
        lambda: mk.frontier(-1),
        lambda: mk.perfect_nodes(-1, 2),
        lambda: mk.perfect_nodes(3, 2),
        lambda: mk.verify_inclusion(LEAVES[0], -1, 2, [], ROOTS[2]),
        lambda: mk.verify_inclusion(LEAVES[0], 0, -2, [], ROOTS[2]),
        lambda: mk.verify_consistency(-1, 2, [], ROOTS[0], ROOTS[2]),
        lambda: mk.verify_consistency(1, -2, [], ROOTS[1], ROOTS[2]),
        lambda: mk.append_nodes(-1, [], []),
    ],
)
def test_negative_or_reversed_arguments_are_input_errors(call: Any) -> None:
    """Negative sizes and reversed ranges are caller bugs reported as InputError."""
    with pytest.raises(InputError):
        call()


def test_generation_needs_enough_leaves() -> None:
    """Generating a proof for a tree larger than the leaves given is an InputError."""
    with pytest.raises(InputError):
        mk.inclusion_proof(LEAVES, 0, 9)
    with pytest.raises(InputError):
        mk.consistency_proof(LEAVES, 1, 9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mk.merkle_root([LEAVES[0], b"short"]),
        lambda: mk.merkle_root([LEAVES[0] + b"\x00"]),
        lambda: mk.node_hash(LEAVES[0], b""),
        lambda: mk.inclusion_proof([*LEAVES[:3], b"x"], 0, 4),
        lambda: mk.range_hash(0, 2, lambda lv, i: b"\x00" * 31),
        lambda: mk.root_from_frontier(3, [NODES[1][0], b"x"]),
        lambda: mk.append_nodes(1, [LEAVES[0]], [b"x" * 33]),
        lambda: mk.append_nodes(1, [b"x"], [LEAVES[1]]),
    ],
)
def test_wrong_length_hashes_are_input_errors_when_computing(call: Any) -> None:
    """Computing over a hash that is not 32 bytes is an InputError."""
    with pytest.raises(InputError):
        call()


def test_wrong_length_hashes_are_proof_errors_when_verifying() -> None:
    """Verifying a leaf, root or proof element that is not 32 bytes is a ProofError."""
    proof = hs(PROOFS["inclusion"][1]["proof"])
    with pytest.raises(ProofError):
        mk.verify_inclusion(LEAVES[0][:31], 0, 8, proof, ROOTS[8])
    with pytest.raises(ProofError):
        mk.verify_inclusion(LEAVES[0], 0, 8, proof, ROOTS[8] + b"\x00")
    with pytest.raises(ProofError):
        mk.verify_inclusion(LEAVES[0], 0, 8, [proof[0][:31], *proof[1:]], ROOTS[8])
    cproof = mk.consistency_proof(LEAVES, 3, 7)
    with pytest.raises(ProofError):
        mk.verify_consistency(3, 7, [*cproof[:-1], cproof[-1] + b"\x00"], ROOTS[3], ROOTS[7])
    with pytest.raises(ProofError):
        mk.verify_consistency(3, 7, cproof, ROOTS[3][:16], ROOTS[7])


@pytest.mark.parametrize(("index", "size"), [(0, 2), (2, 3), (5, 8), (6, 7)])
def test_inclusion_proof_one_too_long_or_short(index: int, size: int) -> None:
    """An inclusion proof with one hash more or fewer is rejected."""
    proof = mk.inclusion_proof(LEAVES, index, size)
    for bad in ([*proof, SOME_HASH], [SOME_HASH, *proof], proof[:-1], proof[1:]):
        with pytest.raises(ProofError):
            mk.verify_inclusion(LEAVES[index], index, size, bad, ROOTS[size])


@pytest.mark.parametrize(("size1", "size2"), [(1, 2), (2, 5), (3, 7), (4, 8), (6, 7)])
def test_consistency_proof_one_too_long_or_short(size1: int, size2: int) -> None:
    """A consistency proof with one hash more or fewer is rejected."""
    proof = mk.consistency_proof(LEAVES, size1, size2)
    for bad in ([*proof, SOME_HASH], [SOME_HASH, *proof], proof[:-1], proof[1:]):
        with pytest.raises(ProofError):
            mk.verify_consistency(size1, size2, bad, ROOTS[size1], ROOTS[size2])


@pytest.mark.parametrize("size", range(9))
def test_equal_sizes_need_empty_proof_and_equal_roots(size: int) -> None:
    """size1 == size2 verifies only with an empty proof and identical roots."""
    assert mk.consistency_path(size, size) == []
    assert mk.consistency_proof(LEAVES, size, size) == []
    mk.verify_consistency(size, size, [], ROOTS[size], ROOTS[size])
    with pytest.raises(ProofError):
        mk.verify_consistency(size, size, [ROOTS[size]], ROOTS[size], ROOTS[size])
    with pytest.raises(ProofError):
        mk.verify_consistency(size, size, [], ROOTS[size], SOME_HASH)


@pytest.mark.parametrize("size2", range(9))
def test_size1_zero_needs_empty_proof_and_the_empty_root(size2: int) -> None:
    """From size 0 an empty proof verifies if root1 is EMPTY_ROOT; a proof or other root fails."""
    assert mk.consistency_path(0, size2) == []
    assert mk.consistency_proof(LEAVES, 0, size2) == []
    mk.verify_consistency(0, size2, [], mk.EMPTY_ROOT, ROOTS[size2])
    with pytest.raises(ProofError):
        mk.verify_consistency(0, size2, [mk.EMPTY_ROOT], mk.EMPTY_ROOT, ROOTS[size2])
    with pytest.raises(ProofError):
        mk.verify_consistency(0, size2, [], SOME_HASH, ROOTS[size2])


def test_consistency_refuses_shrinking_trees_and_empty_proofs() -> None:
    """size2 < size1 and an empty proof for 0 < size1 < size2 are ProofErrors."""
    with pytest.raises(ProofError):
        mk.verify_consistency(2, 1, [], ROOTS[2], ROOTS[1])
    with pytest.raises(ProofError):
        mk.verify_consistency(1, 2, [], ROOTS[1], ROOTS[2])


def test_perfect_nodes_refuses_unaligned_ranges() -> None:
    """perfect_nodes and range_hash refuse a range that no RFC proof contains."""
    with pytest.raises(InputError):
        mk.perfect_nodes(1, 3)
    with pytest.raises(InputError):
        mk.range_hash(2, 5, lambda lv, i: NODES[lv][i])
    assert mk.perfect_nodes(4, 7) == [(1, 2), (0, 6)]
    assert mk.perfect_nodes(5, 5) == []


def test_root_from_frontier_refuses_wrong_count() -> None:
    """A frontier whose length is not the popcount of the size is an InputError."""
    with pytest.raises(InputError):
        mk.root_from_frontier(3, [NODES[1][0]])
    with pytest.raises(InputError):
        mk.append_nodes(4, [], [LEAVES[4]])
