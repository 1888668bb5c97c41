"""Concurrent writers and killed writers never break the log (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govshare import Workspace
from tests.audit._workers import append_events
from tests.conftest import Target

WORKERS = 4
PER_WORKER = 1000


@pytest.mark.slow
def test_four_processes_append_gap_free(workspace: Workspace, target: Target) -> None:
    """4 processes appending 1,000 events each give 4,000 gap-free, ordered entries that verify."""
    start = workspace.audit.size()
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(
            target=append_events,
            args=(target.url, target.schema, workspace.origin, w, PER_WORKER),
        )
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    assert workspace.audit.size() == start + WORKERS * PER_WORKER
    seen: dict[int, list[int]] = {w: [] for w in range(WORKERS)}
    for rec in workspace.audit.entries(start):
        seen[int(rec.event.data["worker"])].append(int(rec.event.data["i"]))  # type: ignore[arg-type]
    assert all(seen[w] == list(range(PER_WORKER)) for w in range(WORKERS))
    cp = workspace.audit.checkpoint()
    report = workspace.audit.verify(since=cp)
    assert report.size == start + WORKERS * PER_WORKER


@pytest.mark.slow
def test_killed_writer_loses_no_committed_entry(sqlite_workspace: Workspace) -> None:
    """SIGKILL in the middle of appends keeps every committed entry and a log that verifies."""
    ws = sqlite_workspace
    url = ws.store.url
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.audit._workers", url, ws.origin],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    assert proc.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 2000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert committed >= 2000
    assert ws.audit.size() >= committed
    ws.audit.verify()
    ws.audit.record("test.after-kill")
    ws.audit.verify(since=ws.audit.checkpoint())
