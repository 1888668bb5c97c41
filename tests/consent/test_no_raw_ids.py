"""After a full workout of the registry, no table anywhere holds a raw resident ID (both backends)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import MetaData

from govshare import Workspace
from govshare.testing import FrozenClock
from tests.consent.conftest import minor_id, resident_id


def _workout(ws: Workspace, clock: FrozenClock, tmp_path: Path, ids: list[str]) -> None:
    """Use every writing path: grant (adult, minor + guardian), renew, withdraw, import, export, statutory."""
    registry = ws.consents
    adult, other, guardian, child, imported = ids
    record = registry.grant(
        adult, recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    registry.grant(
        child,
        recipient="hrss",
        purposes=["child-welfare"],
        categories=["minor-information"],
        guardian=guardian,
    )
    clock.advance(days=1)
    registry.renew(record.record_id, expires_at=clock.now() + timedelta(days=30))
    registry.withdraw(record.record_id)
    registry.grant(
        other, recipient="health", purposes=["public-health"], categories=["medical-health"]
    )
    csv = tmp_path / "forms.csv"
    pd.DataFrame(
        {
            "subject": [imported, "110101199001011111"],
            "recipient": ["hrss", "hrss"],
            "purposes": ["subsidy-eligibility", "subsidy-eligibility"],
            "categories": ["income;identity", "income"],
            "granted_at": ["2025-06-01T00:00:00+08:00", "2025-06-01T00:00:00+08:00"],
        }
    ).to_csv(csv, index=False)
    assert registry.import_file(csv, import_valid_rows=True).imported == 1
    registry.export_subject(adult)
    registry.history(child)
    registry.declare_statutory_basis(
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
        legal_basis="legal-obligation",
        law="社会救助暂行办法",
    )
    frame = pd.DataFrame({"id": ids})
    registry.filter(
        frame,
        subject_column="id",
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
    )
    ws.audit.checkpoint()


def test_no_table_holds_a_raw_identifier(
    workspace: Workspace, clock: FrozenClock, tmp_path: Path
) -> None:
    """Every value of every row of every table (registry, audit log, all others) is free of the raw IDs used."""
    ids = [resident_id(501), resident_id(502), resident_id(503), minor_id(504), resident_id(505)]
    _workout(workspace, clock, tmp_path, ids)
    needles = {i.encode() for i in ids} | {i[:17].encode() for i in ids}
    metadata = MetaData(schema=workspace.store.schema)
    scanned = 0
    with workspace.store.read() as conn:
        metadata.reflect(conn)
        assert {"consent_records", "consent_events", "audit_entries"} <= {
            t.name for t in metadata.sorted_tables
        }
        for table in metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    data = value if isinstance(value, bytes) else str(value).encode()
                    assert not any(n in data for n in needles), (
                        f"raw ID found in table {table.name}"
                    )
                    scanned += 1
    assert scanned > 50  # the scan did look at the registry's rows
