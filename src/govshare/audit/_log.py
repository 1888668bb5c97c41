"""AuditLog: the append-only, Merkle-tree-backed event log of one department's store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    LargeBinary,
    TextClause,
    bindparam,
    select,
    text,
    update,
)

from govshare._clock import Clock, SystemClock, utc_iso
from govshare._models import STORED, build
from govshare.audit._events import EVENT_TYPE, AuditEvent, AuditRecord, entry_bytes
from govshare.audit._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    append_nodes,
    consistency_path,
    frontier,
    inclusion_path,
    perfect_nodes,
    range_hash,
)
from govshare.audit._note import Checkpoint, sign_note
from govshare.audit._proofs import (
    ConsistencyProof,
    InclusionProof,
    SignedCheckpoint,
    VerifyReport,
)
from govshare.audit._tables import audit_checkpoints, audit_entries, audit_head, audit_nodes
from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import InputError
from govshare.storage import Prepared, Store
from govshare.types import matches

__all__ = ["AuditLog"]

_Node = tuple[int, int]
_PAGE = 10_000
_FIND_PAGE = 100_000


class AuditLog:
    """The tamper-evident log: events in an RFC 6962 Merkle tree, with signed checkpoints.

    Appends run inside the caller's transaction when given one (``conn=``), so a state change and
    its audit event commit or roll back together. Writers are serialised by the log head row, so
    concurrent processes produce one gap-free sequence.

    Args:
        store: where entries, tree nodes and checkpoints live.
        origin: the log's name in checkpoints (unique per log).
        signer: the department's signing key (needed for :meth:`checkpoint`).
        actor: default actor of recorded events.
        clock: time source (inject a frozen clock in tests).
    """

    def __init__(
        self,
        store: Store,
        *,
        origin: str,
        signer: SigningKey | None = None,
        public_key: VerifyKey | None = None,
        actor: str = "govshare",
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self.origin = origin
        self._signer = signer
        self._public_key = public_key or (signer.verify_key if signer else None)
        self._actor = actor
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"AuditLog(origin={self.origin!r}, store={self._store!r})"

    def close(self) -> None:
        """Release the store's connections (for logs from :func:`govshare.open_audit_log`)."""
        self._store.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def verify_key(self) -> VerifyKey:
        """The public key that signs this log's checkpoints.

        Raises:
            InputError: the log was opened with neither a signer nor a public key.
        """
        if self._public_key is None:
            raise InputError("this audit log was opened without its public key")
        return self._public_key

    # -- writing --------------------------------------------------------------------------------

    def record(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        *,
        actor: str | None = None,
        time: datetime | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Build an :class:`AuditEvent` and append it; returns its sequence number.

        Raises:
            InputError: the type or data are invalid, or data holds a raw personal identifier.
            NaiveDatetimeError: *time* has no timezone.
        """
        if time is not None and time.tzinfo is None:
            from govshare.exceptions import NaiveDatetimeError

            raise NaiveDatetimeError("audit event time must be timezone-aware")
        event = build(
            AuditEvent,
            type=type,
            actor=actor or self._actor,
            time=time or self._clock.now(),
            data=data or {},
        )
        return self.append(event, conn=conn)

    def append(self, event: AuditEvent, *, conn: Connection | None = None) -> int:
        """Append one event; returns its sequence number (0-based leaf index).

        Raises:
            InputError: *event* is not an :class:`AuditEvent`.
        """
        return self.append_many([event], conn=conn).start

    def append_many(self, events: Sequence[AuditEvent], *, conn: Connection | None = None) -> range:
        """Append *events* in order, atomically; returns their sequence numbers.

        Raises:
            InputError: an item is not an :class:`AuditEvent`.
        """
        if not all(isinstance(e, AuditEvent) for e in events):
            raise InputError("append takes AuditEvent objects (build them with AuditLog.record)")
        if not events:
            return range(0)
        if conn is not None:
            return _append(conn, events)
        with self._store.transaction() as own:
            return _append(own, events)

    # -- reading --------------------------------------------------------------------------------

    def size(self) -> int:
        """The number of entries."""
        with self._store.read() as conn:
            return _head(conn)[0]

    def root(self, size: int | None = None) -> bytes:
        """The Merkle root of the first *size* entries (default: all).

        Raises:
            InputError: *size* is negative or larger than the log.
        """
        with self._store.read() as conn:
            current, current_root = _head(conn)
            size = current if size is None else size
            _check_size(size, current)
            return current_root if size == current else _range(conn, 0, size)

    def get(self, seq: int) -> AuditRecord:
        """The entry at position *seq*.

        Raises:
            InputError: there is no such entry.
        """
        records = list(self.entries(seq, seq + 1))
        if not records:
            raise InputError(f"the log has no entry {seq}")
        return records[0]

    def tail(self, n: int = 10) -> list[AuditRecord]:
        """The last *n* entries, oldest first."""
        size = self.size()
        return list(self.entries(max(0, size - n), size))

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[AuditRecord]:
        """Entries ``start <= seq < stop`` in order, parsed (no verification: see :meth:`verify`)."""
        for seq, entry, leaf in self.raw_entries(start, stop):
            yield AuditRecord(seq=seq, event=_parse_entry(entry), leaf_hash=leaf)

    def raw_entries(
        self, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """``(seq, entry bytes, stored leaf hash)`` for ``start <= seq < stop``, unverified.

        The entry bytes are exactly what was hashed, so an auditor can recompute every leaf.
        Reads in pages of 10,000 entries, each in its own short read transaction.
        """
        stop = self.size() if stop is None else stop
        for page in range(start, stop, _PAGE):
            query = (
                select(audit_entries.c.seq, audit_entries.c.entry, audit_entries.c.leaf_hash)
                .where(audit_entries.c.seq >= page, audit_entries.c.seq < min(stop, page + _PAGE))
                .order_by(audit_entries.c.seq)
            )
            with self._store.read() as conn:
                rows = conn.execute(query).all()
            for seq, entry, leaf in rows:
                yield int(seq), bytes(entry), bytes(leaf)

    def find(
        self, types: Sequence[str], start: int = 0, stop: int | None = None
    ) -> Iterator[AuditRecord]:
        """Entries of the given event *types* with ``start <= seq < stop``, in order, unverified.

        The database picks candidate entries by their bytes (the type is the last field of an
        entry's event, so ``"type":"<t>"},"seq":`` marks it); each candidate is then parsed and
        kept only if its type is exactly one of *types*; a candidate that does not parse (a
        tampered row: :meth:`verify` names it) is skipped. Much faster than :meth:`entries` when
        the wanted types are rare, as a compliance check's are.

        Raises:
            InputError: a type is not a valid event type.
        """
        wanted = set(types)
        if not all(isinstance(t, str) and matches(EVENT_TYPE, t) for t in wanted):
            raise InputError("find takes event types such as 'consent.granted'")
        if not wanted:
            return
        needles = sorted(b'"type":"%s"},"seq":' % t.encode("ascii") for t in wanted)
        stop = self.size() if stop is None else stop
        query = _find_query(self._store.backend, len(needles))
        params: dict[str, Any] = {f"n{k}": n for k, n in enumerate(needles)}
        for page in range(start, stop, _FIND_PAGE):
            params.update(lo=page, hi=min(stop, page + _FIND_PAGE))
            with self._store.read() as conn:
                rows = conn.execute(query, params).all()
            for seq, entry, leaf in rows:
                event = _parse_unverified(entry)
                if event is not None and event.type in wanted:
                    yield AuditRecord(seq=int(seq), event=event, leaf_hash=bytes(leaf))

    # -- checkpoints and proofs -----------------------------------------------------------------

    def checkpoint(self, *, conn: Connection | None = None) -> SignedCheckpoint:
        """Sign and store a checkpoint of the log as it is now (C2SP tlog-checkpoint).

        With *conn* the checkpoint covers the caller's transaction's own events too, and is
        stored (or rolled back) with them: a release manifest carries one that includes the
        release's event.

        Raises:
            InputError: the log was opened without a signer.
        """
        signer = self._require_signer()
        if conn is not None:
            return self._checkpoint(conn, signer)
        with self._store.transaction() as own:
            return self._checkpoint(own, signer)

    def _checkpoint(self, conn: Connection, signer: SigningKey) -> SignedCheckpoint:
        size, root = _head(conn)
        body = Checkpoint(origin=self.origin, size=size, root_hash=root)
        note = sign_note(body.body(), self.origin, signer)
        conn.execute(
            audit_checkpoints.insert().values(
                size=size, note=note.to_text(), created_at=utc_iso(self._clock.now())
            )
        )
        return SignedCheckpoint(body, note)

    def checkpoints(self, conn: Connection | None = None) -> list[SignedCheckpoint]:
        """Every stored checkpoint, oldest first (signatures not checked: see :meth:`verify`)."""
        query = select(audit_checkpoints.c.note).order_by(audit_checkpoints.c.id)
        if conn is not None:
            return [_stored_checkpoint(t) for (t,) in conn.execute(query)]
        with self._store.read() as own:
            return [_stored_checkpoint(t) for (t,) in own.execute(query)]

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The most recent stored checkpoint, if any."""
        found = self.checkpoints()
        return found[-1] if found else None

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Prove entry *index* is in the tree of *size* entries (default: the current size).

        Served from stored tree nodes: O(log² n) node reads, no leaf scan.

        Raises:
            InputError: *index* or *size* is out of range.
        """
        with self._store.read() as conn:
            current = _head(conn)[0]
            size = current if size is None else size
            _check_size(size, current)
            if not 0 <= index < size:
                raise InputError(f"index {index} is outside a tree of {size} entries")
            path = inclusion_path(index, size)
            hashes = _range_hashes(conn, [(index, index + 1), *path, (0, size)])
        return InclusionProof(
            index=index,
            size=size,
            leaf_hash=hashes[(index, index + 1)],
            proof=tuple(hashes[r] for r in path),
            root=hashes[(0, size)],
        )

    def consistency_proof(self, size1: int, size2: int | None = None) -> ConsistencyProof:
        """Prove the tree of *size1* entries is a prefix of the tree of *size2* (default: now).

        Raises:
            InputError: the sizes are out of range or out of order.
        """
        with self._store.read() as conn:
            current = _head(conn)[0]
            size2 = current if size2 is None else size2
            _check_size(size2, current)
            if not 0 <= size1 <= size2:
                raise InputError(f"need 0 <= size1 <= size2, got {size1} and {size2}")
            path = consistency_path(size1, size2)
            hashes = _range_hashes(conn, [*path, (0, size1), (0, size2)])
        return ConsistencyProof(
            size1=size1,
            size2=size2,
            root1=hashes[(0, size1)],
            root2=hashes[(0, size2)],
            proof=tuple(hashes[r] for r in path),
        )

    # -- verification and witnessing ------------------------------------------------------------

    def verify(
        self, since: SignedCheckpoint | str | None = None, *, key: VerifyKey | None = None
    ) -> VerifyReport:
        """Recompute the whole log from its stored entries and check everything that commits to it.

        Checks, in order: entries are gap-free and each sits at the position it was written for;
        each entry hashes to its stored leaf hash; every stored tree node and the head match the
        recomputed tree; every stored checkpoint is signed by this log's key and matches the tree
        at its size; and, if *since* is given (a checkpoint an auditor kept), that it is signed,
        matches, and is consistent with the log now (a consistency proof is built and verified).

        Args:
            since: a checkpoint (object or note text) the log must still be consistent with.
            key: the log's public key (default: this workspace's own).

        Raises:
            LogTampered: names the first entry found modified, deleted, inserted or reordered.
            SignatureError: a checkpoint is not signed by the log's key.
            ProofError: *since* is not consistent with the log.
            InputError: *since* is malformed or belongs to another log.
        """
        from govshare.audit._verify import verify_stored_log

        if isinstance(since, str):
            since = SignedCheckpoint.from_text_unverified(since)
        key = key or self.verify_key
        with self._store.read() as conn:
            return verify_stored_log(
                conn, origin=self.origin, key=key, checkpoints=self.checkpoints(conn), since=since
            )

    def cosign(
        self,
        checkpoint: SignedCheckpoint | str,
        *,
        log_key: VerifyKey,
        proof: Sequence[bytes] | ConsistencyProof | None = None,
    ) -> SignedCheckpoint:
        """Witness another department's checkpoint: verify it, check it extends what this log
        witnessed before for the same origin, add this department's cosignature, and record it.

        Args:
            checkpoint: the other log's signed checkpoint.
            log_key: that log's public key.
            proof: a consistency proof from the last checkpoint witnessed for that origin
                (not needed the first time or when the size did not change).

        Raises:
            SignatureError: the checkpoint is not signed by *log_key*.
            IntegrityError: it contradicts an earlier witnessed checkpoint (a rollback or a split
                view), or the consistency proof is missing or wrong. Nothing is stored then.
        """
        from govshare.audit._witness import witness

        if isinstance(checkpoint, str):
            checkpoint = SignedCheckpoint.from_text_unverified(checkpoint)
        signer = self._require_signer()
        now = self._clock.now()
        with self._store.transaction() as conn:
            cosigned = witness(
                conn,
                checkpoint,
                log_key=log_key,
                proof=proof,
                name=self.origin,
                signer=signer,
                timestamp=int(now.timestamp()),
                created_at=utc_iso(now),
            )
            self.record(
                "audit.cosigned",
                {"origin": checkpoint.origin, "size": checkpoint.size},
                conn=conn,
            )
        return cosigned

    def _require_signer(self) -> SigningKey:
        if self._signer is None:
            raise InputError("this audit log was opened without a signing key")
        return self._signer


def _head(conn: Connection) -> tuple[int, bytes]:
    row = conn.execute(select(audit_head.c.size, audit_head.c.root_hash)).one()
    return int(row[0]), bytes(row[1])


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise InputError(f"size {size} is outside a log of {current} entries")


# Statements built once and run straight on the driver: SQLAlchemy's per-execution work costs
# more than SQLite's for an append of a few rows.
_BUMP_SIZE = Prepared(
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(size=audit_head.c.size + bindparam("n", type_=BigInteger))
    .returning(audit_head.c.size, audit_head.c.frontier)
)
_SET_ROOT = Prepared(
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(root_hash=bindparam("root"), frontier=bindparam("frontier"))
)
_INSERT_ENTRIES = Prepared(
    audit_entries.insert().values(
        seq=bindparam("seq"), entry=bindparam("entry"), leaf_hash=bindparam("leaf_hash")
    )
)
_INSERT_NODES = Prepared(
    audit_nodes.insert().values(
        level=bindparam("level"), idx=bindparam("idx"), hash=bindparam("hash")
    )
)
_LEAVES = text("SELECT seq, leaf_hash FROM audit_entries WHERE seq IN :seqs").bindparams(
    bindparam("seqs", expanding=True)
)


@lru_cache(maxsize=512)
def _nodes_query(count: int) -> TextClause:
    """SELECT of *count* (level, idx) nodes; each OR term is one primary-key lookup.

    (SQLite scans the table for a row-value IN over (level, idx), so the terms are spelled out.)
    """
    terms = " OR ".join(f"(level = :l{k} AND idx = :i{k})" for k in range(count))
    return text(f"SELECT level, idx, hash FROM audit_nodes WHERE {terms}")  # noqa: S608 - no input


@lru_cache(maxsize=64)
def _find_query(backend: str, count: int) -> TextClause:
    """SELECT of entries in ``[lo, hi)`` whose bytes contain one of *count* needles."""
    contains = "instr(entry, :n{k}) > 0" if backend == "sqlite" else "position(:n{k} in entry) > 0"
    terms = " OR ".join(contains.format(k=k) for k in range(count))
    return text(
        "SELECT seq, entry, leaf_hash FROM audit_entries "  # noqa: S608 - no input
        f"WHERE seq >= :lo AND seq < :hi AND ({terms}) ORDER BY seq"
    ).bindparams(*(bindparam(f"n{k}", type_=LargeBinary) for k in range(count)))


def _append(conn: Connection, events: Sequence[AuditEvent]) -> range:
    n = len(events)
    # The UPDATE takes the head row's lock first (PostgreSQL), so the size read here is final.
    new_size, stored_edge = _BUMP_SIZE.first(conn, {"n": n})
    old_size = new_size - n
    entries = [entry_bytes(old_size + i, e) for i, e in enumerate(events)]
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + e).digest() for e in entries]
    edge = frontier(old_size)
    known = _split_frontier(edge, stored_edge) if stored_edge is not None else None
    if known is None:  # a store from before revision 0005, or a damaged head: read the nodes
        known = _fetch_nodes(conn, edge)
    nodes, root = append_nodes(old_size, [known[k] for k in edge], leaves)
    known.update(((0, old_size + i), h) for i, h in enumerate(leaves))
    known.update(((lv, ix), h) for lv, ix, h in nodes)
    new_edge = b"".join(known[k] for k in frontier(new_size))
    _INSERT_ENTRIES.run_many(
        conn,
        [
            {"seq": old_size + i, "entry": e, "leaf_hash": h}
            for i, (e, h) in enumerate(zip(entries, leaves, strict=True))
        ],
    )
    _INSERT_NODES.run_many(conn, [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in nodes])
    _SET_ROOT.rows(conn, {"root": root, "frontier": new_edge})
    return range(old_size, new_size)


def _split_frontier(edge: Sequence[_Node], stored: bytes) -> dict[_Node, bytes] | None:
    """The stored frontier as ``{node: hash}``, or None if it does not fit *edge*."""
    stored = bytes(stored)
    if len(stored) != HASH_SIZE * len(edge):
        return None
    return {k: stored[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i, k in enumerate(edge)}


def _fetch_nodes(conn: Connection, keys: Sequence[_Node]) -> dict[_Node, bytes]:
    """Stored hashes of perfect subtrees: level 0 from the entries, higher levels from the nodes."""
    found: dict[_Node, bytes] = {}
    leaves = sorted({ix for lv, ix in keys if lv == 0})
    inner = sorted({(lv, ix) for lv, ix in keys if lv > 0})
    if leaves:
        rows = conn.execute(_LEAVES, {"seqs": leaves})
        found.update(((0, int(s)), bytes(h)) for s, h in rows)
    if inner:
        params: dict[str, int] = {}
        for k, (lv, ix) in enumerate(inner):
            params[f"l{k}"], params[f"i{k}"] = lv, ix
        nodes = conn.execute(_nodes_query(len(inner)), params)
        found.update(((int(lv), int(ix)), bytes(h)) for lv, ix, h in nodes)
    missing = [k for k in keys if k not in found]
    if missing:
        from govshare.exceptions import LogTampered

        level, idx = missing[0]
        raise LogTampered(
            f"the stored tree node at level {level}, index {idx} is missing",
            index=idx << level,
            kind="deleted" if level == 0 else "nodes",
        )
    return found


def _range_hashes(
    conn: Connection, ranges: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    needed = sorted({n for start, end in ranges if end > start for n in perfect_nodes(start, end)})
    known = _fetch_nodes(conn, needed)
    out: dict[tuple[int, int], bytes] = {}
    for start, end in ranges:
        out[(start, end)] = (
            EMPTY_ROOT if end == start else range_hash(start, end, lambda lv, ix: known[(lv, ix)])
        )
    return out


def _range(conn: Connection, start: int, end: int) -> bytes:
    return _range_hashes(conn, [(start, end)])[(start, end)]


def _parse_entry(entry: bytes) -> AuditEvent:
    import json

    doc = json.loads(entry)
    return AuditEvent.model_validate(doc["event"], context=STORED)


def _parse_unverified(entry: object) -> AuditEvent | None:
    """The event in a stored entry, or None if the row no longer holds a valid entry."""

    from pydantic import ValidationError

    raw = bytes(entry) if isinstance(entry, bytes | bytearray | memoryview) else str(entry).encode()
    try:
        return _parse_entry(raw)
    except (ValueError, KeyError, TypeError, ValidationError):
        return None


def _stored_checkpoint(text: str) -> SignedCheckpoint:
    return SignedCheckpoint.from_text_unverified(text)
