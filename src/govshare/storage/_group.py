"""GroupCommit: many small write transactions of one process share one durable commit.

A caller hands over a *work* function; work that arrives while a commit is in flight waits and
joins the next one, so N concurrent callers pay for one BEGIN / COMMIT instead of N. Nothing is
weakened: a call returns only after the transaction holding its work has committed, and if that
commit fails, every call in it fails with the error (none is reported as done).

Work functions follow one contract. ``work(conn)`` runs inside the shared transaction and returns
``(outcome, records)``: *outcome* is handed back to the caller (a result, or an exception object
for an *expected* refusal, which must have written nothing), and *records* are passed, for the
whole batch in order, to the ``finish`` hook just before the commit (the audit append). A work
function that *raises* instead has perhaps written part of its work: the batch is rolled back
and every work in it is run again alone, in its own transaction, so only the faulty one fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Connection

from govshare.exceptions import InputError

__all__ = ["DEFAULT_MAX_BATCH", "GATHER_SECONDS", "GroupCommit", "Work"]

R = TypeVar("R")
Work = Callable[[Connection], tuple[Any, Sequence[R]]]
DEFAULT_MAX_BATCH: Final = 1000
GATHER_SECONDS: Final = 0.002
"""How long a leader waits for works announced with :meth:`GroupCommit.preparing`."""


class _Item:
    __slots__ = ("done", "error", "key", "outcome", "work")

    def __init__(self, work: Work[Any], key: str) -> None:
        self.work = work
        self.key = key
        self.done = False
        self.outcome: Any = None
        self.error: BaseException | None = None


class GroupCommit(Generic[R]):
    """The group committer of one store and one ``finish`` hook (thread-safe).

    Args:
        begin: opens the write transaction: a context manager yielding a
            :class:`~sqlalchemy.Connection` that commits on normal exit (``Store.transaction``).
        finish: called once per batch with its connection and every work's records, in order,
            before the commit.
        max_batch: at most this many works share one transaction.
    """

    def __init__(
        self,
        begin: Callable[[], Any],
        finish: Callable[[Connection, list[R]], None],
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise InputError("max_batch is a positive integer")
        self._begin = begin
        self._finish = finish
        self._max = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Item] = []
        self._busy = False
        self._coming = 0

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """Say that a work is being prepared (e.g. a token's signature checked) and will be
        handed over soon: a leader about to commit waits for it, briefly (at most
        ``GATHER_SECONDS``), so it joins this commit instead of paying for the next one."""
        with self._cond:
            self._coming += 1
        try:
            yield
        finally:
            with self._cond:
                self._coming -= 1
                self._cond.notify_all()

    def run(self, work: Work[R], *, key: str = "") -> Any:
        """Run *work* in the next shared transaction; returns its outcome once committed.

        *key* orders works inside a batch (row locks are then taken in one order by every
        process, so batches cannot deadlock each other); equal keys keep their arrival order.

        Raises:
            Exception: whatever *work* raised when run alone, or the shared commit's error.
        """
        return self.run_many([(key, work)])[0]

    def run_many(self, works: Sequence[tuple[str, Work[R]]]) -> list[Any]:
        """Run every ``(key, work)`` in shared transactions; returns their outcomes in order.

        Raises:
            Exception: the first error a work raised when run alone, or the commit's error.
        """
        items = [_Item(work, key) for key, work in works]
        if not items:
            return []
        with self._cond:
            self._queue.extend(items)
            while not all(i.done for i in items) and self._busy:
                self._cond.wait()
            lead = not all(i.done for i in items)
            if lead:
                self._busy = True
        if lead:
            self._lead(items)
        for item in items:
            if item.error is not None:
                raise item.error
        return [item.outcome for item in items]

    def _lead(self, mine: list[_Item]) -> None:
        """Commit batches from the queue until all of *mine* are done, then hand over."""
        try:
            while not all(i.done for i in mine):
                with self._cond:
                    deadline = time.monotonic() + GATHER_SECONDS
                    while self._coming and len(self._queue) < self._max:
                        left = deadline - time.monotonic()
                        if left <= 0 or not self._cond.wait(left):
                            break
                    batch = self._queue[: self._max]
                    del self._queue[: self._max]
                self._commit(sorted(batch, key=lambda i: i.key))
                with self._cond:
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _commit(self, batch: list[_Item]) -> None:
        try:
            failed_in_work = self._together(batch)
        except BaseException as exc:
            for item in batch:
                item.error, item.done = exc, True
            raise
        if failed_in_work:
            for item in batch:
                self._alone(item)

    def _together(self, batch: list[_Item]) -> bool:
        """Run *batch* in one transaction; True if a work raised (the batch was rolled back)."""
        outcomes: list[Any] = []
        records: list[R] = []
        try:
            with self._begin() as conn:
                for item in batch:
                    try:
                        outcome, found = item.work(conn)
                    except Exception:
                        if len(batch) == 1:
                            raise
                        raise _WorkFailed() from None
                    outcomes.append(outcome)
                    records.extend(found)
                self._finish(conn, records)
        except _WorkFailed:
            return True
        except Exception as exc:  # the work of a lone item, the finish hook or the commit
            for item in batch:
                item.error, item.done = exc, True
            return False
        for item, outcome in zip(batch, outcomes, strict=True):
            item.outcome, item.done = outcome, True
        return False

    def _alone(self, item: _Item) -> None:
        try:
            with self._begin() as conn:
                outcome, found = item.work(conn)
                self._finish(conn, list(found))
        except Exception as exc:
            item.error = exc
        else:
            item.outcome = outcome
        item.done = True


class _WorkFailed(Exception):
    """A work raised inside a shared batch (internal: the batch is re-run item by item)."""
