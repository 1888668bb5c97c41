"""Full verification of a stored log: entries, tree nodes, head, checkpoints and a given checkpoint."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from contextlib import closing
from typing import Any

from sqlalchemy import Connection, func, select

from govshare.audit._merkle import (
    EMPTY_ROOT,
    consistency_path,
    frontier,
    range_hash,
    root_from_frontier,
    verify_consistency,
)
from govshare.audit._proofs import SignedCheckpoint, VerifyReport
from govshare.audit._tables import audit_entries, audit_head, audit_nodes
from govshare.crypto import VerifyKey
from govshare.exceptions import LogTampered, SignatureError

__all__ = ["verify_stored_log"]

_EMBEDDED_SEQ = re.compile(rb',"seq":(\d+)\}$')


def verify_stored_log(
    conn: Connection,
    *,
    origin: str,
    key: VerifyKey,
    checkpoints: Sequence[SignedCheckpoint],
    since: SignedCheckpoint | None,
) -> VerifyReport:
    """Recompute the log from its stored entries and check everything that commits to it.

    Raises:
        LogTampered: an entry, node, head or checkpoint disagrees; names the first entry found.
        SignatureError: a stored checkpoint or *since* is not signed by *key*.
        ProofError: *since* is not consistent with the log.
    """
    leaves = _check_entries(conn)
    size = len(leaves)
    head_size, head_root, head_edge = conn.execute(
        select(audit_head.c.size, audit_head.c.root_hash, audit_head.c.frontier)
    ).one()
    if size < head_size:
        raise LogTampered(
            f"entries {size} to {head_size - 1} are missing (the log was truncated)",
            index=size,
            kind="deleted",
        )
    if size > head_size:
        raise LogTampered(
            f"entries {head_size} to {size - 1} were added outside the log",
            index=head_size,
            kind="inserted",
        )
    levels = _levels(leaves)
    nodes_checked = _check_nodes(conn, levels)
    root = _root_at(levels, size)
    if not hmac.compare_digest(root, bytes(head_root)):
        raise LogTampered(
            "the stored log head does not match the entries", index=None, kind="nodes"
        )
    edge = b"".join(levels[lv][ix] for lv, ix in frontier(size))
    if head_edge is not None and not hmac.compare_digest(edge, bytes(head_edge)):
        raise LogTampered(
            "the stored log head's frontier does not match the entries", index=None, kind="nodes"
        )
    last_good = 0
    for cp in sorted(checkpoints, key=lambda c: c.size):
        _check_checkpoint(cp, origin, key, levels, size, last_good, what="stored checkpoint")
        last_good = cp.size
    if since is not None:
        _check_checkpoint(since, origin, key, levels, size, 0, what="the given checkpoint")
        proof = [_hash_of(levels, a, b) for a, b in consistency_path(since.size, size)]
        verify_consistency(since.size, size, proof, since.root_hash, root)
    return VerifyReport(
        size=size,
        root=root,
        entries_checked=size,
        nodes_checked=nodes_checked,
        checkpoints_checked=len(checkpoints) + (since is not None),
        since_size=since.size if since is not None else None,
    )


def _check_entries(conn: Connection) -> list[bytes]:
    query = select(audit_entries.c.seq, audit_entries.c.entry, audit_entries.c.leaf_hash)
    leaves: list[bytes] = []
    sha256 = hashlib.sha256
    with closing(
        conn.execution_options(yield_per=50_000).execute(query.order_by(audit_entries.c.seq))
    ) as result:
        for seq, entry, stored in result:
            _check_entry(conn, leaves, int(seq), _as_bytes(entry), _as_bytes(stored), sha256)
    return leaves


def _check_entry(
    conn: Connection, leaves: list[bytes], seq: int, entry: bytes, stored: bytes, sha256: Any
) -> None:
    expected = len(leaves)
    if seq != expected:
        raise LogTampered(
            f"entries {expected} to {seq - 1} are missing", index=expected, kind="deleted"
        )
    if not entry.endswith(b',"seq":%d}' % seq):
        _classify_misplaced(conn, seq)
    leaf = sha256(b"\x00" + entry).digest()
    if not hmac.compare_digest(leaf, stored):
        raise LogTampered(f"entry {seq} was modified", index=seq, kind="modified")
    leaves.append(leaf)


def _as_bytes(value: object) -> bytes:
    """Column value as bytes; a tampered row may hold text where bytes belong."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _classify_misplaced(conn: Connection, first: int) -> None:
    """Entry *first* holds bytes written for another position: say whether rows were reordered,
    deleted (and the rest renumbered) or inserted. Always raises LogTampered."""
    rows = conn.execute(
        select(audit_entries.c.seq, audit_entries.c.entry)
        .where(audit_entries.c.seq >= first)
        .order_by(audit_entries.c.seq)
    ).all()
    embedded = [_embedded_seq(_as_bytes(e)) for _, e in rows]
    positions = [int(s) for s, _ in rows]
    own = embedded[0]
    if own is None:
        raise LogTampered(f"entry {first} was modified", index=first, kind="modified")
    if sorted(e for e in embedded if e is not None) == positions:
        raise LogTampered(
            f"entry {first} holds entry {own}: entries were reordered",
            index=first,
            kind="reordered",
        )
    if own > first:
        raise LogTampered(
            f"entries {first} to {own - 1} were deleted and later entries renumbered",
            index=first,
            kind="deleted",
        )
    raise LogTampered(
        f"an entry was inserted at position {first} (it holds a copy of entry {own})"
        if own < first
        else f"entry {first} was modified",
        index=first,
        kind="inserted" if own < first else "modified",
    )


def _embedded_seq(entry: bytes) -> int | None:
    found = _EMBEDDED_SEQ.search(entry)
    return int(found.group(1)) if found else None


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every perfect subtree hash, level by level (level 0 = the leaves)."""
    levels = [leaves]
    sha256 = hashlib.sha256
    current = leaves
    while len(current) > 1:
        current = [
            sha256(b"\x01" + current[i] + current[i + 1]).digest()
            for i in range(0, len(current) - 1, 2)
        ]
        levels.append(current)
    return levels


def _check_nodes(conn: Connection, levels: list[list[bytes]]) -> int:
    expected_count = sum(len(level) for level in levels[1:])
    stored_count = conn.execute(select(func.count()).select_from(audit_nodes)).scalar_one()
    query = select(audit_nodes.c.level, audit_nodes.c.idx, audit_nodes.c.hash).order_by(
        audit_nodes.c.level, audit_nodes.c.idx
    )
    with closing(conn.execution_options(yield_per=50_000).execute(query)) as result:
        for level, idx, stored in result:
            _check_node(levels, int(level), int(idx), bytes(stored))
    if stored_count != expected_count:
        raise LogTampered(
            f"the log should have {expected_count} stored tree nodes but has {stored_count}",
            index=None,
            kind="nodes",
        )
    return int(stored_count)


def _check_node(levels: list[list[bytes]], level: int, idx: int, stored: bytes) -> None:
    if level < 1 or level >= len(levels) or idx >= len(levels[level]):
        raise LogTampered(
            f"a stored tree node (level {level}, index {idx}) lies outside the log",
            index=None,
            kind="nodes",
        )
    if not hmac.compare_digest(levels[level][idx], stored):
        first, last = idx << level, ((idx + 1) << level) - 1
        raise LogTampered(
            f"entries {first} to {last}: the stored tree disagrees with them "
            "(an entry and its hash were rewritten together)",
            index=first,
            kind="nodes",
        )


def _hash_of(levels: list[list[bytes]], start: int, end: int) -> bytes:
    if end == start:
        return EMPTY_ROOT
    return range_hash(start, end, lambda level, idx: levels[level][idx])


def _root_at(levels: list[list[bytes]], size: int) -> bytes:
    return root_from_frontier(size, [levels[lv][ix] for lv, ix in frontier(size)])


def _check_checkpoint(
    cp: SignedCheckpoint,
    origin: str,
    key: VerifyKey,
    levels: list[list[bytes]],
    size: int,
    last_good: int,
    *,
    what: str,
) -> None:
    if cp.origin != origin:
        # The store names itself differently from what signed it: its origin was altered, or the
        # checkpoint is another log's. Either way the log is not what the checkpoint says.
        raise SignatureError(f"{what} is for another log than the one this store names")
    try:
        cp.verify(key, name=origin)
    except SignatureError:
        raise SignatureError(f"{what} of size {cp.size} is not signed by this log's key") from None
    if cp.size > size:
        raise LogTampered(
            f"entries {size} to {cp.size - 1} are missing: {what} covers {cp.size} entries",
            index=size,
            kind="deleted",
        )
    if not hmac.compare_digest(_hash_of(levels, 0, cp.size), cp.root_hash):
        # Entries before last_good match an earlier checkpoint, so the change lies after it.
        raise LogTampered(
            f"entries {last_good} to {cp.size - 1} differ from what {what} of size {cp.size} "
            "committed to (entries and stored hashes were rewritten together)",
            index=last_good,
            kind="checkpoint",
        )
