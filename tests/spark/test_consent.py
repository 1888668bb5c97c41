"""Consent filtering on Spark: the pandas filter's decisions, row for row, and its report."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from pyspark.sql import SparkSession

import govshare.spark as gsp
from govshare import Workspace
from govshare.exceptions import InputError
from govshare.testing import FrozenClock
from tests.consent.conftest import resident_id
from tests.spark.conftest import to_pandas, to_spark

pytestmark = pytest.mark.spark

ASK = {"recipient": "hrss", "purpose": "subsidy-eligibility", "categories": ["income"]}


def _history(ws: Workspace, clock: FrozenClock) -> list[str | None]:
    """Grants, withdrawals, a wrong recipient, an expiry and a category not covered."""
    ids = [resident_id(i) for i in range(700, 760)]
    grant = {"purposes": ["subsidy-eligibility"], "categories": ["income"]}
    for subject in ids[:30]:
        ws.consents.grant(subject, recipient="hrss", **grant)
    for subject in ids[30:35]:
        ws.consents.grant(subject, recipient="health", **grant)
    gone = [ws.consents.grant(s, recipient="hrss", **grant) for s in ids[35:40]]
    ws.consents.grant(
        ids[40], recipient="hrss", expires_at=clock.now().replace(year=2026, month=2), **grant
    )
    clock.advance(days=60)
    for record in gone:
        ws.consents.withdraw(record.record_id)
    ws.consents.grant(
        ids[41], recipient="hrss", purposes=["subsidy-eligibility"], categories=["identity"]
    )
    return [*ids, ids[0], " " + ids[1] + " ", "junk", None]


def test_decisions_and_report_are_those_of_the_pandas_filter(
    spark: SparkSession, sqlite_workspace: Workspace, clock: FrozenClock
) -> None:
    """Every row gets the pandas filter's reason, the kept rows are the same, the reports equal."""
    subjects = _history(sqlite_workspace, clock)
    at: datetime = clock.now()
    pdf = pd.DataFrame({"row": range(len(subjects)), "id": subjects})
    expected = sqlite_workspace.consents.filter(pdf, subject_column="id", at=at, **ASK)
    sdf = to_spark(spark, pdf).repartition(3)
    got = gsp.filter_by_consent(
        sdf, registry=sqlite_workspace.consents, subject_column="id", at=at, **ASK
    )
    assert got.report == expected.report
    assert len(set(expected.reasons)) == 7
    reasons = to_pandas(got.reasons).sort_values("row")
    assert reasons["consent_reason"].tolist() == expected.reasons.tolist()
    assert reasons.columns.tolist() == ["row", "id", "consent_reason"]
    kept = to_pandas(got.frame).sort_values("row")
    assert kept["row"].tolist() == expected.frame["row"].tolist()
    assert kept.columns.tolist() == ["row", "id"]


def test_a_statutory_basis_passes_every_valid_subject(
    spark: SparkSession, sqlite_workspace: Workspace
) -> None:
    """Under a statutory basis every valid subject is kept, invalid ones are still excluded."""
    sqlite_workspace.consents.declare_statutory_basis(
        legal_basis="legal-obligation", law="Social Insurance Law art. 1", **ASK
    )
    subjects = [resident_id(i) for i in range(5)] + ["junk"]
    sdf = to_spark(spark, pd.DataFrame({"id": subjects}))
    got = gsp.filter_by_consent(sdf, registry=sqlite_workspace.consents, subject_column="id", **ASK)
    assert got.report.by_reason == {"statutory-basis": 5, "invalid-subject": 1}
    assert got.report.statutory_basis_id is not None
    assert got.frame.count() == 5


def test_bad_arguments_are_input_errors(spark: SparkSession, sqlite_workspace: Workspace) -> None:
    """A missing subject column, a clashing reason column or an unknown code is refused."""
    sdf = to_spark(spark, pd.DataFrame({"id": ["x"], "consent_reason": ["y"]}))
    registry = sqlite_workspace.consents
    with pytest.raises(InputError, match="no column"):
        gsp.filter_by_consent(sdf, registry=registry, subject_column="nope", **ASK)
    with pytest.raises(InputError, match="already has a column"):
        gsp.filter_by_consent(sdf, registry=registry, subject_column="id", **ASK)
    with pytest.raises(InputError):
        gsp.filter_by_consent(
            sdf.drop("consent_reason"),
            registry=registry,
            subject_column="id",
            **{**ASK, "purpose": "no-such-purpose"},
        )
