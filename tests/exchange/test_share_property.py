"""Property: no released row lacks a lawful basis at release time, and no released column is
outside the agreement, whatever mix of consents, IDs and extra columns the frame holds."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.exchange.conftest import PURPOSE, Pair
from tests.exchange.share_helpers import resident_id, token

STATES = ("consent", "withdrawn", "expired", "other-purpose", "too-few-categories", "none")
EXTRA = ("notes", "phone", "district", "income_band")
_serial = itertools.count(1)


def _subject(pair: Pair, state: str) -> str:
    """A new resident at the provider whose consent for hrss is in *state*."""
    n = next(_serial)
    subject = resident_id(n, born=f"19{50 + n // 1000 % 50:02d}0101")
    now = pair.clock.now()
    registry = pair.provider.consents
    grant = {"recipient": "hrss", "purposes": [PURPOSE], "categories": ["identity", "income"]}
    if state == "other-purpose":
        grant["purposes"] = ["housing-assistance"]
    if state == "too-few-categories":
        grant["categories"] = ["income"]
    if state == "expired":
        registry.grant(
            subject, granted_at=now - timedelta(days=2), expires_at=now - timedelta(days=1),
            **grant,
        )  # fmt: skip
    elif state != "none":
        record = registry.grant(subject, **grant)
        if state == "withdrawn":
            registry.withdraw(record.record_id)
    return subject


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    states=st.lists(st.sampled_from(STATES), min_size=1, max_size=8),
    rows=st.lists(st.integers(0, 9), min_size=1, max_size=30),
    extra=st.sets(st.sampled_from(EXTRA)),
    bad=st.lists(st.sampled_from(["", None, "110101198001010000", "not-an-id"]), max_size=3),
)
def test_released_rows_and_columns_are_lawful(
    pair: Pair, states: list[str], rows: list[int], extra: set[str], bad: list[str | None]
) -> None:
    """Every released row's subject passes check() at release time; every column is granted."""
    if not hasattr(pair, "agreement_id"):
        pair.agreement_id = pair.agreement()  # type: ignore[attr-defined]
        pair.token = token(pair, pair.agreement_id)  # type: ignore[attr-defined]
    subjects = [_subject(pair, s) for s in states]
    ids = [subjects[i % len(subjects)] for i in rows] + bad
    frame = pd.DataFrame({"id_number": ids, "income": range(len(ids))})
    for name in sorted(extra):
        frame[name] = "x"
    release = pair.provider.share(
        frame,
        agreement=pair.agreement_id,  # type: ignore[attr-defined]
        token=pair.token,  # type: ignore[attr-defined]
        subject_column="id_number",
    )
    manifest = release.manifest_unverified
    lawful = {
        s
        for s in subjects
        if pair.provider.consents.check(
            s, recipient="hrss", purpose=PURPOSE, categories=["identity", "income"],
            at=manifest.released_at,
        ).allowed
    }  # fmt: skip
    pseudonyms = pair.provider.pseudonymiser(domain="hrss")
    allowed = set(pseudonyms.pseudonymise(pd.Series(sorted(lawful), dtype=object)))
    released = release.frame
    assert set(released["id_number"]) <= allowed
    assert len(released) == sum(1 for i in ids if i in lawful)
    terms = pair.provider.agreements.get(pair.agreement_id).terms  # type: ignore[attr-defined]
    granted = {c.name for c in terms.columns if c.treatment in ("release", "pseudonymise")}
    assert set(released.columns) <= granted
    assert manifest.rows_kept + manifest.rows_excluded == len(frame)
