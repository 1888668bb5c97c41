"""Eight processes racing on one budget never overspend it (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest

from govshare import Workspace
from tests.conftest import Target
from tests.dp._workers import charge_until_refused

WORKERS = 8
ATTEMPTS = 15


@pytest.mark.slow
def test_eight_processes_spend_exactly_the_cap(workspace: Workspace, target: Target) -> None:
    """8 processes x 15 charges of 0.1 against a cap of 5.0 accept exactly 50 and log exactly 50."""
    workspace.budgets.set("race", epsilon=5.0)
    start = workspace.audit.size()
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(
                charge_until_refused,
                target.url,
                target.schema,
                workspace.origin,
                w,
                100_000,
                ATTEMPTS,
            )
            for w in range(WORKERS)
        ]
        accepted = [f.result(timeout=300) for f in futures]
    assert sum(accepted) == 50
    status = workspace.budgets.get("race")
    assert status.epsilon_spent == 5.0
    assert status.epsilon_remaining == 0.0
    released = [r for r in workspace.audit.entries(start) if r.event.type == "dp.released"]
    assert len(released) == 50
    workspace.audit.verify()
