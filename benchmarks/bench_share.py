"""Release speed: share() of 1,000,000 rows (an ID column and 10 others, 100,000 subjects with
consents) end to end, beside the sum of its parts, and receive() of that release.

    .venv/bin/python benchmarks/bench_share.py            # full sizes (issue 14 targets)
    .venv/bin/python benchmarks/bench_share.py --small    # CI smoke test, a few seconds

Prints one JSON object. The parts, measured in the same run on the same frame, are what a
developer would call by hand: the consent filter, the public ``pseudonymise()`` of the kept rows'
ID column, and a Parquet write of the result (with the writer share() uses, which tries dictionary
encoding on text columns only; pandas' default ``to_parquet`` is timed too, for reference). share() adds everything else (token and agreement
checks, hashing, manifest, checkpoint, audit event, one transaction). Setup bulk-loads the consent
tables directly (one transaction): granting 100,000 consents one by one is not what is measured.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from govshare import Workspace
from govshare.consent import ConsentRecord, Recipient
from govshare.consent._decide import join_codes, to_us
from govshare.consent._tables import consent_events, consent_records
from govshare.exchange._release import parquet_bytes
from govshare.pseudonym import pseudonymise
from govshare.testing import FrozenClock, temporary_workspace

PURPOSE = "subsidy-eligibility"
CATEGORIES = ("address", "identity", "income")
WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)])
OTHER = [f"amount_{i}" for i in range(8)]


def resident_ids(n: int, rng: np.random.Generator) -> list[str]:
    """*n* distinct synthetic adult resident ID numbers with correct check characters."""
    area = rng.integers(110000, 660000, n)
    born = pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 18000, n), unit="D")
    seq = np.arange(n) % 1000
    bodies = [f"{a:06d}{d:%Y%m%d}{s:03d}" for a, d, s in zip(area, born, seq, strict=True)]
    digits = np.array([list(map(int, b)) for b in bodies])
    checks = np.array(list("10X98765432"))[(digits * WEIGHTS).sum(axis=1) % 11]
    return list(dict.fromkeys(b + c for b, c in zip(bodies, checks, strict=True)))


def load_consents(ws: Workspace, subjects: list[str], now: datetime) -> None:
    """One consent per subject for hrss: 90 % in force, 10 % withdrawn."""
    names = ws.consents.subject_pseudonyms.many(pd.Series(subjects, dtype="str")).tolist()
    template = ConsentRecord(
        record_id="cr-" + "0" * 32,
        subject=names[0],
        controller=ws.department,
        recipients=(Recipient(id="hrss", name="hrss", purposes=(PURPOSE,), categories=CATEGORIES),),
        purposes=(PURPOSE,),
        legal_basis="consent",
        categories=CATEGORIES,
        granted_at=now - timedelta(days=30),
    )
    granted = to_us(template.granted_at)
    records, events = [], []
    for i, name in enumerate(names):
        rid = f"cr-{i:032x}"
        records.append(
            {
                "record_id": rid, "subject": name, "recipient": "hrss", "legal_basis": "consent",
                "purposes": join_codes(template.purposes),
                "categories": join_codes(template.categories), "separate": True,
                "minor": False, "has_guardian": False, "granted_us": granted,
                "record": template.model_copy(
                    update={"record_id": rid, "subject": name}
                ).model_dump_json(),
            }
        )  # fmt: skip
        event = {"record_id": rid, "subject": name, "expires_us": None,
                 "recorded_at": "2026-01-01T00:00:00Z"}  # fmt: skip
        events.append({**event, "kind": "granted", "at_us": granted})
        if i % 10 == 9:
            events.append({**event, "kind": "withdrawn", "at_us": granted + 10**9})
    with ws.store.transaction() as conn:
        conn.execute(consent_records.insert(), records)
        conn.execute(consent_events.insert(), events)


def item() -> dict[str, object]:
    """A catalogue item with an ID column and ten others."""
    columns: list[dict[str, object]] = [
        {"name": "id_number", "title_zh": "公民身份号码", "title_en": "Resident ID",
         "category": "identity", "identifier": True, "kind": "resident_id"},
        {"name": "district", "title_zh": "区县", "title_en": "District", "category": "address"},
        {"name": "income", "title_zh": "月收入", "title_en": "Income", "category": "income"},
    ]  # fmt: skip
    columns += [
        {"name": n, "title_zh": f"金额{i}", "title_en": f"Amount {i}", "category": "income"}
        for i, n in enumerate(OTHER)
    ]
    return {
        "item_id": "residents", "source_department": "civil-affairs", "title_zh": "居民",
        "title_en": "Residents", "description_zh": "居民收入", "description_en": "Incomes",
        "columns": columns, "share": "conditional", "conditions": ["仅限补贴审核"],
        "grade": "important", "update_frequency": "monthly", "share_mode": "file",
    }  # fmt: skip


def agreement(civil: Workspace, hrss: Workspace) -> str:
    """Catalogue -> request -> approval -> countersignature; the agreement id."""
    civil.tokens.trust(hrss.keys.export_public())
    hrss.tokens.trust(civil.keys.export_public())
    civil.catalogue.publish(item())
    hrss.catalogue.import_catalogue(civil.catalogue.export())
    request = hrss.requests.submit(
        item="residents", columns=["id_number", "district", "income", *OTHER], purpose=PURPOSE,
        legal_basis="legal-obligation", duty_basis="《社会救助暂行办法》第十一条",
        use_type="administrative-basis", justification="核对收入", principals=["zhang.wei@hrss"],
        case_ref="人社补-2026-0042", valid_until=datetime(2026, 12, 31, tzinfo=UTC),
    )  # fmt: skip
    received = civil.requests.receive(request)
    record = hrss.requests.import_decision(civil.requests.decide(received.id, approve=True))
    assert record.decision is not None
    assert record.decision.agreement is not None
    agreement_id = record.decision.agreement.agreement_id
    civil.agreements.import_countersignature(hrss.agreements.countersign(agreement_id))
    return agreement_id


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
    n_subjects, n_rows, repeats = (2_000, 20_000, 1) if args.small else (100_000, 1_000_000, 3)
    rng = np.random.default_rng(14)
    clock = FrozenClock(datetime(2026, 6, 1, 2, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        civil = temporary_workspace(Path(folder) / "civil", department="civil-affairs", clock=clock)
        hrss = temporary_workspace(Path(folder) / "hrss", department="hrss", clock=clock)
        agreement_id = agreement(civil, hrss)
        people = resident_ids(int(n_subjects * 1.1), rng)
        load_consents(civil, people[:n_subjects], clock.now())
        ids = rng.choice(np.array(people, dtype=object), n_rows)
        frame = pd.DataFrame(
            {
                "id_number": pd.array(ids, dtype="str"),
                "district": pd.Categorical(rng.choice(["海淀区", "朝阳区", "东城区"], n_rows)),
                "income": rng.integers(0, 10**5, n_rows),
                **{n: rng.random(n_rows) for n in OTHER},
            }
        )
        token = hrss.tokens.issue(
            audience="civil-affairs", purpose=PURPOSE, categories=list(CATEGORIES),
            ttl=timedelta(days=1), agreement=agreement_id, case_ref="人社补-2026-0042",
            principal="zhang.wei@hrss",
        )  # fmt: skip
        ask = {"recipient": "hrss", "purpose": PURPOSE, "categories": list(CATEGORIES)}
        pseudonymiser = civil.pseudonymiser(domain="hrss")
        civil.consents.filter(frame.iloc[:1000], subject_column="id_number", **ask)  # warm up
        kept: list[pd.DataFrame] = []

        def consent_filter() -> None:
            kept[:] = [civil.consents.filter(frame, subject_column="id_number", **ask).frame]

        def pseudonymise_kept() -> None:
            kept.append(pseudonymise(kept[0], ["id_number"], pseudonymiser=pseudonymiser))

        def parquet_write() -> None:
            # The writer share() uses, on the pseudonymised frame (conversion included).
            parquet_bytes(pa.Table.from_pandas(kept[-1], preserve_index=False))

        def pandas_parquet_write() -> None:
            kept[-1].to_parquet(io.BytesIO(), index=False, compression="zstd")

        filter_s = best_of(repeats, consent_filter)
        pseudonymise_s = best_of(repeats, pseudonymise_kept)
        parquet_s = best_of(repeats, parquet_write)
        pandas_parquet_s = best_of(repeats, pandas_parquet_write)
        parts_s = filter_s + pseudonymise_s + parquet_s
        releases = []

        def share() -> None:
            releases.append(
                civil.share(frame, agreement=agreement_id, token=token, subject_column="id_number")
            )

        share_s = best_of(repeats, share)
        release = releases[-1]
        receive_s = best_of(repeats, lambda: hrss.receive(release))
        manifest = release.manifest_unverified
        civil.close()
        hrss.close()
    print(
        json.dumps(
            {
                "subjects_with_consents": n_subjects,
                "rows": n_rows,
                "columns": len(frame.columns),
                "rows_kept": manifest.rows_kept,
                "excluded": manifest.excluded,
                "parquet_bytes": manifest.content_bytes,
                "share_s": round(share_s, 3),
                "share_target_s": 3.0,
                "parts_consent_filter_s": round(filter_s, 3),
                "parts_pseudonymise_s": round(pseudonymise_s, 3),
                "parts_parquet_write_s": round(parquet_s, 3),
                "parts_sum_s": round(parts_s, 3),
                "pandas_to_parquet_default_s": round(pandas_parquet_s, 3),
                "share_over_parts": round(share_s / parts_s, 2),
                "share_over_parts_target": 1.3,
                "receive_s": round(receive_s, 3),
                "receive_target_s": 1.0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
