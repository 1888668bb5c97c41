"""Data-sharing agreement benchmarks (issue 13), on SQLite.

    python benchmarks/bench_agreements.py            # full size: 1,000 requests
    python benchmarks/bench_agreements.py --small    # CI smoke run: 50 requests, same code paths

Measures ``ws.requests.receive`` + ``ws.requests.decide`` (approve, signing the agreement) of
signed request documents at the providing department: each receive verifies the requester's
Ed25519 signature, checks replay, the item and columns, counts the deadline in working days and
records the request and its audit event in one transaction; each decide signs the decision and
the agreement and records both with their audit events in one transaction (target >= 500
requests/s for both steps together). The same, batched: ``receive_many`` and ``decide_many``
in batches of 250 (one transaction per batch). Beside it, to show where the time goes: the
requester's ``submit``, signing a document alone, and a one-event audit transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govshare.testing import FrozenClock, temporary_workspace

ITEM: dict[str, Any] = {
    "item_id": "low-income-households",
    "source_department": "civil-affairs",
    "title_zh": "城乡低保家庭",
    "title_en": "Low-income households",
    "description_zh": "享受城乡最低生活保障的家庭及其成员",
    "description_en": "Households receiving the minimum living allowance",
    "columns": [
        {
            "name": "id_number",
            "title_zh": "公民身份号码",
            "title_en": "Resident ID",
            "category": "identity",
            "identifier": True,
            "kind": "resident_id",
        },
        {"name": "income", "title_zh": "家庭月收入", "title_en": "Income", "category": "income"},
    ],
    "share": "conditional",
    "conditions": ["仅限补贴资格审核使用"],
    "grade": "important",
    "update_frequency": "monthly",
    "share_mode": "interface",
}


def bench(folder: Path, n: int) -> dict[str, float]:
    """Every figure, measured in this run."""
    # A fixed working day: deadlines stay inside the years the calendar package covers.
    clock = FrozenClock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    civil = temporary_workspace(folder / "civil", department="civil-affairs", clock=clock)
    hrss = temporary_workspace(folder / "hrss", department="hrss", clock=clock)
    civil.tokens.trust(hrss.keys.export_public())
    hrss.tokens.trust(civil.keys.export_public())
    civil.catalogue.publish(ITEM)
    hrss.catalogue.import_catalogue(civil.catalogue.export())
    request = {
        "item": "low-income-households",
        "columns": ["id_number", "income"],
        "purpose": "subsidy-eligibility",
        "legal_basis": "legal-obligation",
        "duty_basis": "《社会救助暂行办法》第十一条",
        "use_type": "administrative-basis",
        "justification": "核对申请人家庭收入",
        "principals": ["zhang.wei@hrss"],
        "case_ref": "人社补-2026-0042",
        "valid_until": datetime(2026, 12, 31, tzinfo=UTC),
    }
    for _ in range(5):  # warm up caches and compiled statements
        warm = civil.requests.receive(hrss.requests.submit(**request))
        civil.requests.decide(warm.id, approve=True)
    results: dict[str, float] = {}

    t0 = time.perf_counter()
    docs = [hrss.requests.submit(**request).to_json() for _ in range(n)]
    results["submit_per_s"] = n / (time.perf_counter() - t0)

    t0, c0 = time.perf_counter(), time.process_time()
    ids = [civil.requests.receive(doc).id for doc in docs]
    receive_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for request_id in ids:
        civil.requests.decide(request_id, approve=True, limits={"max_releases": 12})
    decide_s = time.perf_counter() - t1
    results["receive_per_s"] = n / receive_s
    results["decide_per_s"] = n / decide_s
    results["receive_plus_decide_per_s"] = n / (receive_s + decide_s)
    # CPU time of this process alone: what the machine's other load does not change as much.
    results["receive_plus_decide_per_cpu_s"] = n / (time.process_time() - c0)

    batch = 250
    more = [hrss.requests.submit(**request).to_json() for _ in range(n)]
    t0, c0 = time.perf_counter(), time.process_time()
    received = []
    for start in range(0, n, batch):
        received += civil.requests.receive_many(more[start : start + batch])
    receive_s = time.perf_counter() - t0
    batch_ids = [r.id for r in received if not isinstance(r, Exception)]
    assert len(batch_ids) == n
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        civil.requests.decide_many(
            {"request_id": i, "approve": True, "limits": {"max_releases": 12}}
            for i in batch_ids[start : start + batch]
        )
    decide_s = time.perf_counter() - t0
    results["receive_many_per_s"] = n / receive_s
    results["decide_many_per_s"] = n / decide_s
    results["receive_many_plus_decide_many_per_s"] = n / (receive_s + decide_s)
    results["receive_many_plus_decide_many_per_cpu_s"] = n / (time.process_time() - c0)

    # Where the time goes (each measured alone, in this run).
    documents = civil._documents()
    payload = hrss.requests.get(ids[0]).request
    with civil.store.transaction() as conn:
        t0 = time.perf_counter()
        for _ in range(n):
            documents.sign("request", payload, audience="hrss", now=clock.now(), conn=conn)
        results["sign_document_per_s"] = n / (time.perf_counter() - t0)
        conn.rollback()
    t0 = time.perf_counter()
    for i in range(n):
        civil.audit.record("bench.event", {"request_id": ids[i]})
    results["audit_record_one_event_tx_per_s"] = n / (time.perf_counter() - t0)
    civil.close()
    hrss.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON object of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny sizes for CI smoke runs")
    args = parser.parse_args(argv)
    n = 50 if args.small else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, float | str | int] = {"mode": "small" if args.small else "full", "n": n}
        results.update(bench(Path(tmp), n))
    results["targets"] = "receive + decide >= 500 requests/s (singles or batches)"
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
