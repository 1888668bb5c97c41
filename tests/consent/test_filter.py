"""The vectorised filter: kept rows, per-row reasons, report counts, statutory bases, untouched input."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from govshare.consent import ConsentRegistry
from govshare.exceptions import InputError
from govshare.testing import FrozenClock
from tests.consent.conftest import resident_id

ASK = {"recipient": "hrss", "purpose": "subsidy-eligibility", "categories": ["income"]}


def _frame() -> pd.DataFrame:
    ids = [resident_id(i) for i in range(900, 905)]
    return pd.DataFrame(
        {"id": [*ids, ids[0], " " + ids[1].lower() + " ", "junk", None], "x": range(9)},
        index=[f"r{i}" for i in range(9)],
    )


def test_filter_keeps_consented_rows_and_reports_the_rest(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """Rows of consenting subjects are kept (repeats and unnormalised spellings too); the rest get reasons."""
    df = _frame()
    ids = df["id"].tolist()
    registry.grant(
        ids[0], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    registry.grant(
        ids[1], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    record = registry.grant(
        ids[2], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    registry.grant(
        ids[3], recipient="health", purposes=["subsidy-eligibility"], categories=["income"]
    )
    clock.advance(minutes=1)
    registry.withdraw(record.record_id)
    before = df.copy()
    result = registry.filter(df, subject_column="id", **ASK)
    pd.testing.assert_frame_equal(df, before)
    assert result.frame.index.tolist() == ["r0", "r1", "r5", "r6"]
    assert result.reasons.tolist() == [
        "allowed",
        "allowed",
        "withdrawn",
        "wrong-recipient",
        "no-record",
        "allowed",
        "allowed",
        "invalid-subject",
        "invalid-subject",
    ]
    assert result.report.by_reason == {
        "allowed": 4,
        "withdrawn": 1,
        "wrong-recipient": 1,
        "no-record": 1,
        "invalid-subject": 2,
    }
    assert result.report.kept == 4
    assert result.report.excluded == 5
    assert result.excluded.index.tolist() == ["r2", "r3", "r4", "r7", "r8"]
    earlier = registry.filter(
        df, subject_column="id", **ASK, at=clock.now() - timedelta(seconds=30)
    )
    assert earlier.reasons["r2"] == "allowed"


def test_statutory_basis_passes_every_valid_row(registry: ConsentRegistry) -> None:
    """Under a statutory basis every row with a valid ID passes without consent."""
    basis = registry.declare_statutory_basis(
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
        legal_basis="legal-obligation",
        law="社会救助暂行办法",
    )
    result = registry.filter(_frame(), subject_column="id", **ASK)
    assert result.report.kept == 7
    assert result.report.statutory_basis_id == basis.basis_id
    assert set(result.excluded) == {"invalid-subject"}


def test_empty_registry_and_empty_frame(registry: ConsentRegistry) -> None:
    """With no records every row is no-record; an empty frame gives an empty result."""
    result = registry.filter(_frame(), subject_column="id", **ASK)
    assert result.report.kept == 0
    assert result.report.by_reason["no-record"] == 7
    empty = registry.filter(_frame().iloc[:0], subject_column="id", **ASK)
    assert empty.frame.empty
    assert empty.report.rows == 0


def test_filter_refuses_bad_arguments(registry: ConsentRegistry) -> None:
    """A missing column, a non-DataFrame or an unknown code raise InputError."""
    with pytest.raises(InputError, match="no column"):
        registry.filter(_frame(), subject_column="nope", **ASK)
    with pytest.raises(InputError, match="DataFrame"):
        registry.filter([1, 2], subject_column="id", **ASK)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown category"):
        registry.filter(_frame(), subject_column="id", **{**ASK, "categories": ["x-ray"]})
