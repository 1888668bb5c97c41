"""GroupCommit on a real store: shared transactions, per-work failures, failed commits."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from govshare.exceptions import InputError, StorageError
from govshare.storage import GroupCommit, Store


@pytest.fixture
def store(tmp_path: Path) -> Any:
    """A SQLite store with one scratch table."""
    s = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    with s.transaction() as conn:
        conn.execute(text("CREATE TABLE scratch (k TEXT PRIMARY KEY)"))
    yield s
    s.close()


def _insert(key: str, fail: bool = False) -> Any:
    def work(conn: Connection) -> tuple[str, list[str]]:
        conn.execute(text("INSERT INTO scratch (k) VALUES (:k)"), {"k": key})
        if fail:
            raise InputError("this work fails after writing")
        return key, [key]

    return work


def _keys(store: Store) -> list[str]:
    with store.read() as conn:
        return [r[0] for r in conn.execute(text("SELECT k FROM scratch ORDER BY k"))]


def test_a_failing_work_fails_alone(store: Store) -> None:
    """A work that raises after writing is undone and fails alone; the rest of its batch
    commits, and the finish hook sees only committed works' records."""
    finished: list[str] = []
    group: GroupCommit[str] = GroupCommit(store.transaction, lambda c, r: finished.extend(r))
    works = [("a", _insert("a")), ("b", _insert("b", fail=True)), ("c", _insert("c"))]
    with pytest.raises(InputError):
        group.run_many(works)
    assert _keys(store) == ["a", "c"]
    assert sorted(finished) == ["a", "c"]
    assert group.run(_insert("d")) == "d"


def test_a_failed_finish_fails_every_work(store: Store) -> None:
    """When the hook before the commit fails, nothing of the batch is written and every work
    in it reports the error."""

    def failing(conn: Connection, records: list[str]) -> None:
        raise StorageError("the log refused the batch")

    group: GroupCommit[str] = GroupCommit(store.transaction, failing)
    with pytest.raises(StorageError):
        group.run_many([("a", _insert("a")), ("b", _insert("b"))])
    assert _keys(store) == []


def test_threads_share_a_commit_and_each_gets_its_outcome(store: Store) -> None:
    """8 threads whose works arrive while a commit is held all commit, in at most 2
    transactions, each thread getting its own outcome back."""
    opened: list[int] = []
    release = threading.Event()

    def begin() -> Any:
        opened.append(1)
        if len(opened) == 1:
            release.wait(30)
        return store.transaction()

    group: GroupCommit[str] = GroupCommit(begin, lambda c, r: None)
    outcomes: dict[str, str] = {}

    def one(key: str) -> None:
        outcomes[key] = group.run(_insert(key), key=key)

    threads = [threading.Thread(target=one, args=(f"k{i}",)) for i in range(8)]
    threads[0].start()
    while not opened:
        threading.Event().wait(0.001)
    for t in threads[1:]:
        t.start()
    while len(group._queue) < 7:
        threading.Event().wait(0.001)
    release.set()
    for t in threads:
        t.join()
    assert outcomes == {f"k{i}": f"k{i}" for i in range(8)}
    assert len(opened) == 2
    assert _keys(store) == sorted(outcomes)


def test_max_batch_must_be_positive(store: Store) -> None:
    """max_batch is a positive integer."""
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InputError):
            GroupCommit(store.transaction, lambda c, r: None, max_batch=bad)  # type: ignore[arg-type]
