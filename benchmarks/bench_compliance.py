"""Compliance check speed: `check` over 1,000,000 audit entries and 100,000 consent records.

Targets (issue 17): check <= 30 s, and <= 3x the time of `audit verify` on the same store, both
measured in the same run. The store is built once through the public API (consent grants in bulk
with ConsentRegistry.import_file, then filler events in batches of 50,000 with
AuditLog.append_many: no database writes of our own) and cached in the system's temporary folder
(``$GOVSHARE_BENCH_CACHE`` overrides it). Wall-clock and CPU times are both printed (the machine
may be shared). Prints one JSON object. ``--small`` for the CI smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from govshare import AuditEvent, Workspace
from govshare.compliance import check
from govshare.identifiers import check_character
from govshare.storage import Store
from govshare.testing import TEST_PASSPHRASE, temporary_workspace

CACHE = Path(os.environ.get("GOVSHARE_BENCH_CACHE") or tempfile.gettempdir()) / "govshare-bench"


def resident_id(n: int) -> str:
    body = f"{110101 + n // 1000 % 800000:06d}1990{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + check_character(body)


def build(folder: Path, entries: int, consents: int) -> None:
    """A store with *consents* consent records and filler events up to *entries* log entries."""
    ws = temporary_workspace(folder, department="civil-affairs")
    rows = [
        {
            "subject": resident_id(n),
            "recipient": "hrss",
            "purposes": "subsidy-eligibility",
            "categories": "identity",
            "granted_at": "2026-01-01T00:00:00+00:00",
            "impact_assessment": "pia-2026-001",
        }
        for n in range(consents)
    ]
    import pandas as pd

    csv = folder / "consents.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    report = ws.consents.import_file(csv)
    assert report.ok, report.problems[:3]
    now = datetime.now(UTC)
    remaining = entries - ws.audit.size()
    batch = 50_000
    while remaining > 0:
        n = min(batch, remaining)
        events = [
            AuditEvent(type="dataset.read", actor="civil-affairs", time=now, data={"rows": i})
            for i in range(n)
        ]
        ws.audit.append_many(events)
        remaining -= n
    ws.audit.checkpoint()
    ws.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="10,000 entries, 1,000 consents (CI)")
    args = parser.parse_args()
    entries, consents = (10_000, 1_000) if args.small else (1_000_000, 100_000)
    folder = CACHE / f"compliance-{entries}-{consents}"
    built = None
    if not (folder / "ready").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        build(folder, entries, consents)
        built = time.perf_counter() - start
        (folder / "ready").write_text("ok\n")
    url = f"sqlite:///{folder / 'govshare.db'}"
    ws = Workspace.open(url, passphrase=TEST_PASSPHRASE, key_file=folder / "govshare.keys")
    key, kept = ws.public_key(), ws.audit.latest_checkpoint()
    ws.close()
    store = Store.open(url, read_only=True)
    from govshare.audit import AuditLog, parse_verifier_key

    log = AuditLog(store, origin=parse_verifier_key(key)[0], public_key=parse_verifier_key(key)[1])
    start, cpu = time.perf_counter(), time.process_time()
    verified = log.verify()
    verify_s, verify_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    report = check(store, key=key, checkpoints=[kept.text] if kept else [])
    check_s, check_cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    print(
        json.dumps(
            {
                "benchmark": "compliance",
                "entries": verified.size,
                "consents": report.finding("consent-separate").checked,
                "verify_s": round(verify_s, 2),
                "check_s": round(check_s, 2),
                "check_over_verify": round(check_s / verify_s, 2),
                "verify_cpu_s": round(verify_cpu, 2),
                "check_cpu_s": round(check_cpu, 2),
                "check_over_verify_cpu": round(check_cpu / verify_cpu, 2),
                "passed": report.passed,
                "build_s": None if built is None else round(built, 1),
                "targets": {"check_s": 30, "check_over_verify": 3},
            }
        )
    )


if __name__ == "__main__":
    main()
