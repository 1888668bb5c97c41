"""SIGKILL during share() leaves no release and charges nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govshare.exchange._tables import exchange_documents
from tests.exchange.conftest import Pair
from tests.exchange.share_helpers import counts, residents, token

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sigkill_during_share_releases_and_charges_nothing(pair: Pair, tmp_path: Path) -> None:
    """A share killed after writing everything but before committing leaves the store as it was."""
    agreement = pair.agreement()
    people = residents(pair)
    tok = token(pair, agreement, max_uses=1)
    folder = tmp_path / "civil"
    people.frame.to_parquet(folder / "frame.parquet")
    ws = pair.provider
    before = counts(ws)
    with ws.store.read() as conn:
        documents = conn.execute(select(func.count()).select_from(exchange_documents)).scalar_one()
    ready = folder / "share-in-transaction"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "tests.exchange._share_worker", ws.store.url,
            ws.store.schema or "", str(folder / "govshare.keys"), pair.clock.now().isoformat(),
            agreement, tok,
        ],
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "the worker exited before reaching the transaction's end"
            assert time.monotonic() < deadline, "the worker never reached the transaction's end"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert counts(ws) == before
    with ws.store.read() as conn:
        after = conn.execute(select(func.count()).select_from(exchange_documents)).scalar_one()
    assert after == documents
    ws.audit.verify()
    # The single-use token was never charged: it still releases, once.
    release = ws.share(people.frame, agreement=agreement, token=tok, subject_column="id_number")
    assert pair.requester.receive(release).manifest.rows_kept > 0
