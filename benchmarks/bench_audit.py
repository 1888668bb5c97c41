"""Audit log benchmarks (issue: foundation), each beside its baseline in the same run.

    python benchmarks/bench_audit.py            # full sizes: 100,000 appends, 1,000,000-entry log
    python benchmarks/bench_audit.py --small    # CI smoke run: tiny sizes, same code paths

Measures:
  * append: 100,000 events in batches of 1,000 on SQLite (target >= 10,000 events/s), beside the
    baseline of canonicalising the same events with the rfc8785 package alone;
  * verify(): a 1,000,000-entry log (target <= 10 s);
  * inclusion and consistency proofs in that log (target <= 10 ms each), median of 200.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import rfc8785

from govshare.audit import AuditEvent, AuditLog
from govshare.crypto import SigningKey
from govshare.storage import Store

BATCH = 1_000


def _events(n: int, offset: int = 0) -> list[AuditEvent]:
    now = datetime.now(UTC)
    return [
        AuditEvent(
            type="bench.release",
            actor="civil-affairs",
            time=now,
            data={
                "i": offset + i,
                "recipient": "hrss",
                "rows": 1200,
                "purpose": "subsidy-eligibility",
            },
        )
        for i in range(n)
    ]


def bench_append(folder: Path, n: int) -> dict[str, float]:
    """Append n events in batches of 1,000 (events built inside the timed loop), and the baseline."""
    store = Store.open(f"sqlite:///{folder / 'append.db'}")
    log = AuditLog(store, origin="bench/append", actor="bench")
    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        log.append_many(_events(min(BATCH, n - start), start))
    elapsed = time.perf_counter() - t0
    store.close()
    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        for e in _events(min(BATCH, n - start), start):
            rfc8785.dumps({"event": e.model_dump(mode="json"), "seq": start})
    baseline = time.perf_counter() - t0
    return {
        "append_events_per_s": n / elapsed,
        "baseline_rfc8785_events_per_s": n / baseline,
        "append_vs_baseline_ratio": (n / elapsed) / (n / baseline),
    }


def bench_large_log(folder: Path, n: int, proofs: int) -> dict[str, float]:
    """Build an n-entry log, then time verify() and proofs served from stored nodes."""
    store = Store.open(f"sqlite:///{folder / 'large.db'}")
    log = AuditLog(store, origin="bench/large", signer=SigningKey.generate(), actor="bench")
    big = 10_000
    template = _events(1)[0]
    for start in range(0, n, big):
        log.append_many([template] * min(big, n - start))
    log.checkpoint()
    t0 = time.perf_counter()
    report = log.verify()
    verify_s = time.perf_counter() - t0
    assert report.size == n
    rng = random.Random(7)
    incl, cons = [], []
    for _ in range(proofs):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        log.inclusion_proof(index, n).verify()
        incl.append(time.perf_counter() - t0)
        size1 = rng.randrange(1, n)
        t0 = time.perf_counter()
        log.consistency_proof(size1, n).verify()
        cons.append(time.perf_counter() - t0)
    store.close()
    return {
        "log_entries": n,
        "verify_s": verify_s,
        "inclusion_proof_median_ms": statistics.median(incl) * 1e3,
        "inclusion_proof_max_ms": max(incl) * 1e3,
        "consistency_proof_median_ms": statistics.median(cons) * 1e3,
        "consistency_proof_max_ms": max(cons) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON object of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny sizes for CI smoke runs")
    args = parser.parse_args(argv)
    appends, entries, proofs = (2_000, 5_000, 20) if args.small else (100_000, 1_000_000, 200)
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, float | str] = {"mode": "small" if args.small else "full"}
        results.update(bench_append(Path(tmp), appends))
        results.update(bench_large_log(Path(tmp), entries, proofs))
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
