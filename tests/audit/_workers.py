"""Process entry points for the concurrency tests (importable by spawned children)."""

from __future__ import annotations

import sys

from govshare.audit import AuditLog
from govshare.storage import Store


def append_events(url: str, schema: str | None, origin: str, worker: int, count: int) -> None:
    """Append *count* events one transaction at a time, as worker *worker*."""
    store = Store.open(url, schema=schema, migrate=False)
    log = AuditLog(store, origin=origin, actor=f"worker-{worker}")
    for i in range(count):
        log.record("test.concurrent", {"worker": worker, "i": i})
    store.close()


def append_forever(url: str, origin: str) -> None:
    """Append batches until killed, printing the size after each committed batch."""
    store = Store.open(url, migrate=False)
    log = AuditLog(store, origin=origin, actor="writer")
    batch = 0
    while True:
        seqs = log.append_many([log_event(batch, i) for i in range(50)])
        print(seqs.stop, flush=True)
        batch += 1


def log_event(batch: int, i: int) -> object:
    """One event of the kill test."""
    from datetime import UTC, datetime

    from govshare.audit import AuditEvent

    return AuditEvent(
        type="test.kill", actor="writer", time=datetime.now(UTC), data={"b": batch, "i": i}
    )


if __name__ == "__main__":
    append_forever(sys.argv[1], sys.argv[2])
