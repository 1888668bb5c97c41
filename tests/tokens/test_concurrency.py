"""max_uses holds exactly when 8 processes race to use one token (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govshare import Workspace
from tests.conftest import Target
from tests.tokens._workers import race_verify
from tests.tokens.conftest import PURPOSE

PROCESSES = 8
ATTEMPTS = 3
MAX_USES = 5


@pytest.mark.slow
def test_eight_processes_get_exactly_max_uses(
    holder: Workspace, make_token: Callable[..., str], target: Target, tmp_path: Path
) -> None:
    """8 processes trying 3 uses each of a 5-use token: exactly 5 accepted, 19 TokenReplayed."""
    # The workers use the system clock, so the token is issued for the real time.
    token = make_token(max_uses=MAX_USES, now=datetime.now(UTC))
    assert holder.tokens.introspect(token, now=datetime.now(UTC))["active"] is True
    # fork: the workers start at once, with govshare already imported (each still opens its
    # own workspace and connections, so nothing of the parent's store is shared).
    ctx = multiprocessing.get_context("fork")
    start, queue = ctx.Event(), ctx.Queue()
    args = (target.url, target.schema, str(tmp_path / "govshare.keys"), token,
            holder.department, PURPOSE, ATTEMPTS, start, queue)  # fmt: skip
    procs = [ctx.Process(target=race_verify, args=args) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    start.set()
    results: list[tuple[int, int]] = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    assert sum(a for a, _ in results) == MAX_USES
    assert sum(r for _, r in results) == PROCESSES * ATTEMPTS - MAX_USES
    assert holder.tokens.introspect(token, now=datetime.now(UTC)) == {"active": False}
    events = [r.event for r in holder.audit.entries() if r.event.type.startswith("token.")]
    assert sum(e.type == "token.accepted" for e in events) == MAX_USES
    assert (
        sum(e.data.get("reason") == "TokenReplayed" for e in events)
        == PROCESSES * ATTEMPTS - MAX_USES
    )
    holder.audit.verify()
