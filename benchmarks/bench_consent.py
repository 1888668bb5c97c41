"""Consent registry speed: filter() of 1,000,000 rows against 100,000 subjects, and check() per second.

    .venv/bin/python benchmarks/bench_consent.py            # full sizes (issue 4 targets)
    .venv/bin/python benchmarks/bench_consent.py --small    # CI smoke test, a few seconds

Prints one JSON object. The baseline, measured in the same run, is the naive way: one check() call
per row (timed on a sample and scaled to the full row count). Setup bulk-loads the registry tables
directly (one transaction) because granting 100,000 consents one by one is not what is measured.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from govshare import Workspace
from govshare.consent import ConsentRecord, Recipient
from govshare.consent._decide import join_codes, to_us
from govshare.consent._tables import consent_events, consent_records
from govshare.testing import FrozenClock, temporary_workspace

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ASK = {"recipient": "hrss", "purpose": "subsidy-eligibility", "categories": ["income"]}


def resident_ids(n: int, rng: np.random.Generator) -> list[str]:
    """*n* distinct synthetic resident ID numbers with correct check characters."""
    area = rng.integers(110000, 660000, n)
    born = pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 25000, n), unit="D")
    seq = np.arange(n) % 1000
    bodies = [f"{a:06d}{d:%Y%m%d}{s:03d}" for a, d, s in zip(area, born, seq, strict=True)]
    digits = np.array([list(map(int, b)) for b in bodies])
    checks = np.array(list("10X98765432"))[(digits * WEIGHTS).sum(axis=1) % 11]
    ids = [b + c for b, c in zip(bodies, checks, strict=True)]
    return list(dict.fromkeys(ids))


def load_registry(ws: Workspace, subjects: list[str], now: datetime) -> None:
    """Bulk-insert one consent per subject: 80% valid, 10% withdrawn, 10% for another recipient."""
    names = ws.consents._pseudonyms.many(pd.Series(subjects, dtype="str")).tolist()
    template = ConsentRecord(
        record_id="cr-" + "0" * 32,
        subject=names[0],
        controller=ws.department,
        recipients=(
            Recipient(
                id="hrss", name="hrss", purposes=("subsidy-eligibility",), categories=("income",)
            ),
        ),
        purposes=("subsidy-eligibility",),
        legal_basis="consent",
        categories=("identity", "income"),
        granted_at=now - timedelta(days=30),
    )
    records, events = [], []
    granted = to_us(template.granted_at)
    for i, name in enumerate(names):
        rid = f"cr-{i:032x}"
        recipient = "health" if i % 10 == 9 else "hrss"
        records.append(
            {
                "record_id": rid,
                "subject": name,
                "recipient": recipient,
                "legal_basis": "consent",
                "purposes": join_codes(template.purposes),
                "categories": join_codes(template.categories),
                "separate": True,
                "minor": False,
                "has_guardian": False,
                "granted_us": granted,
                "record": template.model_copy(
                    update={"record_id": rid, "subject": name}
                ).model_dump_json(),
            }
        )
        events.append(
            {
                "record_id": rid,
                "subject": name,
                "kind": "granted",
                "at_us": granted,
                "expires_us": None,
                "recorded_at": "2026-01-01T00:00:00Z",
            }
        )
        if i % 10 == 8:
            events.append(
                {
                    "record_id": rid,
                    "subject": name,
                    "kind": "withdrawn",
                    "at_us": granted + 10**9,
                    "expires_us": None,
                    "recorded_at": "2026-01-01T00:00:00Z",
                }
            )
    with ws.store.transaction() as conn:
        conn.execute(consent_records.insert(), records)
        conn.execute(consent_events.insert(), events)


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """The fastest of *repeats* timings of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="CI smoke sizes")
    args = parser.parse_args()
    n_subjects, n_rows, n_checks = (
        (2_000, 20_000, 500) if args.small else (100_000, 1_000_000, 5_000)
    )
    rng = np.random.default_rng(4)
    clock = FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        ws = temporary_workspace(Path(folder), clock=clock)
        people = resident_ids(int(n_subjects * 1.2), rng)
        with_records, without = people[:n_subjects], people[n_subjects:]
        setup = time.perf_counter()
        load_registry(ws, with_records, clock.now())
        setup = time.perf_counter() - setup
        column = rng.choice(np.array(people, dtype=object), n_rows)
        column[rng.random(n_rows) < 0.01] = "not-an-id"
        frame = pd.DataFrame(
            {"id": pd.array(column, dtype="str"), "income": rng.integers(0, 10**5, n_rows)}
        )
        registry = ws.consents
        registry.filter(frame.iloc[:1000], subject_column="id", **ASK)  # warm up
        result = None

        def run_filter() -> None:
            nonlocal result
            result = registry.filter(frame, subject_column="id", **ASK)

        filter_s = best_of(3, run_filter)
        sample = [str(v) for v in column[: min(2_000, n_rows)]]
        probes = [p for p in sample if p != "not-an-id"]
        loop_s = best_of(1, lambda: [registry.check(p, **ASK) for p in probes])
        naive_filter_s = loop_s / len(probes) * n_rows
        cold = rng.choice(np.array(with_records + without, dtype=object), n_checks).tolist()
        registry._pseudonyms._cache.clear()
        check_cold_s = best_of(1, lambda: [registry.check(p, **ASK) for p in cold])
        check_warm_s = best_of(1, lambda: [registry.check(p, **ASK) for p in cold])
        ws.close()
    report = result.report if result else None
    print(
        json.dumps(
            {
                "subjects_with_records": n_subjects,
                "rows": n_rows,
                "setup_bulk_load_s": round(setup, 3),
                "filter_s": round(filter_s, 3),
                "filter_rows_per_s": round(n_rows / filter_s),
                "filter_target_s": 2.0,
                "baseline_per_row_check_loop_s": round(naive_filter_s, 1),
                "filter_speedup_vs_baseline": round(naive_filter_s / filter_s, 1),
                "filter_kept": report.kept if report else None,
                "filter_by_reason": report.by_reason if report else None,
                "check_per_s_distinct_subjects": round(n_checks / check_cold_s),
                "check_per_s_repeat_subjects": round(n_checks / check_warm_s),
                "check_target_per_s": 5000,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
