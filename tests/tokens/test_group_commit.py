"""Group commit: concurrent verifies share commits without weakening max_uses or the audit trail."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govshare import Workspace
from govshare.exceptions import InvalidToken, StorageError, TokenReplayed
from govshare.testing import TEST_PASSPHRASE
from tests.conftest import Target
from tests.tokens._workers import race_verify_threads, verify_until_killed
from tests.tokens.conftest import PURPOSE

MakeToken = Callable[..., str]


def _accepted(ws: Workspace, jti: str | None = None) -> int:
    return sum(
        r.event.type == "token.accepted" and (jti is None or r.event.data.get("jti") == jti)
        for r in ws.audit.entries()
    )


def test_sixteen_threads_get_exactly_max_uses(holder: Workspace, make_token: MakeToken) -> None:
    """16 threads of one process trying 4 uses each of a 7-use token: exactly 7 accepted."""
    token = make_token(max_uses=7)
    results: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(16)

    def one() -> None:
        start.wait()
        for _ in range(4):
            try:
                holder.tokens.verify(token, audience=holder.department, purpose=PURPOSE)
                outcome = "accepted"
            except TokenReplayed:
                outcome = "replayed"
            with lock:
                results[outcome] += 1

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"accepted": 7, "replayed": 64 - 7}
    assert _accepted(holder) == 7
    refusals = [r.event.data.get("reason") for r in holder.audit.entries()]
    assert refusals.count("TokenReplayed") == 64 - 7
    holder.audit.verify()


@pytest.mark.slow
def test_eight_processes_of_four_threads_get_exactly_max_uses(
    holder: Workspace, make_token: MakeToken, target: Target, tmp_path: Path
) -> None:
    """8 processes x 4 threads x 2 attempts at a 9-use token: exactly 9 accepted, everywhere."""
    token = make_token(max_uses=9, now=datetime.now(UTC))
    ctx = multiprocessing.get_context("fork")
    start, queue = ctx.Event(), ctx.Queue()
    args = (target.url, target.schema, str(tmp_path / "govshare.keys"), token,
            holder.department, PURPOSE, 2, 4, start, queue)  # fmt: skip
    procs = [ctx.Process(target=race_verify_threads, args=args) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    results = [queue.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * 8
    assert (sum(a for a, _ in results), sum(r for _, r in results)) == (9, 64 - 9)
    assert _accepted(holder) == 9
    holder.audit.verify()


def test_concurrent_verifies_share_commits(
    local_holder: Workspace, local_make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verifies arriving while a commit is in flight join one later commit: 12 verifies from
    12 threads take at most 2 transactions when the first commit is held until all queued."""
    tokens = [local_make_token() for _ in range(12)]
    group: Any = local_holder.tokens._group
    begin = group._begin
    opened: list[int] = []
    queued = threading.Event()

    def counting() -> Any:
        opened.append(1)
        if len(opened) == 1:
            queued.wait(30)  # hold the first commit until the other 11 wait behind it
        return begin()

    monkeypatch.setattr(group, "_begin", counting)
    threads = [
        threading.Thread(
            target=local_holder.tokens.verify,
            args=(t,),
            kwargs={"audience": local_holder.department, "purpose": PURPOSE},
        )
        for t in tokens
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(group._queue) < 11 and time.monotonic() < deadline:
        time.sleep(0.01)
    queued.set()
    for t in threads:
        t.join()
    assert len(opened) <= 2
    assert _accepted(local_holder) == 12
    assert all(local_holder.tokens.introspect(t)["uses"] == 1 for t in tokens)


def test_failed_shared_commit_fails_every_verify_in_it(
    holder: Workspace, make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the batch's audit append fails, every verify in it raises and no use is counted."""
    tokens = [make_token(max_uses=1) for _ in range(3)]
    group: Any = holder.tokens._group

    def failing(conn: Any, events: Any) -> None:
        raise StorageError("the disk is full")

    monkeypatch.setattr(group, "_finish", failing)
    with pytest.raises(StorageError):
        holder.tokens.verify_many(tokens, audience=holder.department, purpose=PURPOSE)
    monkeypatch.undo()
    assert [holder.tokens.introspect(t)["uses"] for t in tokens] == [0, 0, 0]
    assert _accepted(holder) == 0


def test_verify_many_equals_one_by_one_verify(
    tmp_path: Path, issuer: Workspace, clock: Any
) -> None:
    """On a mixed batch, verify_many gives each token the outcome, use count and audit event
    that verifying the tokens one by one, in order, gives."""
    from govshare.testing import temporary_workspace

    holders = [
        temporary_workspace(tmp_path / name, department="civil-affairs", clock=clock)
        for name in ("batch", "single")
    ]
    for h in holders:
        h.tokens.trust(issuer.keys.export_public())

    def make(**kw: Any) -> str:
        args: dict[str, Any] = {"audience": "civil-affairs", "purpose": PURPOSE,
                                "categories": ["income"], "ttl": clock_ttl}  # fmt: skip
        return issuer.tokens.issue(**{**args, **kw})

    from datetime import timedelta

    clock_ttl = timedelta(hours=1)
    once = make(max_uses=1)
    revoked = make()
    expired = make(ttl=timedelta(seconds=1), not_before=clock.now() - timedelta(hours=2))
    body = make()
    forged = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    batch = [make(), once, once, revoked, expired, forged, "v4.public.bad", make(max_uses=3),
             make(audience="hrss"), make(purpose="other-purpose"), once]  # fmt: skip
    for h in holders:
        h.tokens.revoke(revoked)
    many = holders[0].tokens.verify_many(batch, audience="civil-affairs", purpose=PURPOSE)
    single: list[Any] = []
    for token in batch:
        try:
            single.append(
                holders[1].tokens.verify(token, audience="civil-affairs", purpose=PURPOSE)
            )
        except InvalidToken as exc:
            single.append(exc)

    def shape(x: Any) -> Any:
        return type(x).__name__ if isinstance(x, InvalidToken) else (x.jti, x.uses)

    assert [shape(x) for x in many] == [shape(x) for x in single]
    assert sum(not isinstance(x, InvalidToken) for x in many) == 3

    def log(ws: Workspace) -> Counter[tuple[Any, ...]]:
        return Counter(
            (
                r.event.type,
                r.event.data.get("jti"),
                r.event.data.get("reason"),
                r.event.data.get("uses"),
            )
            for r in ws.audit.entries()
            if r.event.type in ("token.accepted", "token.refused")
        )

    assert log(holders[0]) == log(holders[1])
    assert sum(log(holders[0]).values()) == len(batch)
    for h in holders:
        h.close()


@pytest.mark.slow
def test_sigkill_during_group_commits_loses_no_accepted_verify(
    tmp_path: Path, issuer: Workspace
) -> None:
    """A process verifying from 8 threads is SIGKILLed mid-stream: every verify it reported
    accepted has its use and its token.accepted event in the store, and no token was accepted
    more than max_uses times."""
    from datetime import timedelta

    from govshare.testing import temporary_workspace

    holder = temporary_workspace(tmp_path / "holder", department="civil-affairs")
    holder.tokens.trust(issuer.keys.export_public())
    now = datetime.now(UTC)
    tokens = [
        issuer.tokens.issue(
            audience="civil-affairs",
            purpose=PURPOSE,
            categories=["income"],
            ttl=timedelta(hours=1),
            max_uses=3,
            now=now,
        )
        for _ in range(40)
    ]
    url, keys = holder.store.url, str(tmp_path / "holder" / "govshare.keys")
    holder.close()
    out = tmp_path / "accepted.txt"
    out.write_bytes(b"")
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(
        target=verify_until_killed, args=(url, keys, tokens, "civil-affairs", PURPOSE, str(out))
    )
    proc.start()
    deadline = time.monotonic() + 120
    while out.read_bytes().count(b"\n") < 30 and time.monotonic() < deadline and proc.is_alive():
        time.sleep(0.005)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    reported = Counter(out.read_text().split())
    assert sum(reported.values()) >= 30
    after = Workspace.open(url, passphrase=TEST_PASSPHRASE, key_file=keys)
    try:
        logged = Counter(
            str(r.event.data["jti"])
            for r in after.audit.entries()
            if r.event.type == "token.accepted"
        )
        for jti, n in reported.items():
            assert logged[jti] >= n  # every reported accept is durable
        assert max(logged.values()) <= 3  # and none beyond max_uses
        after.audit.verify()
    finally:
        after.close()
