"""Snapshots: the filter's decisions, carried away from the store, pickled and applied elsewhere."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from govshare.consent import ConsentRegistry, ConsentSnapshot, Reason
from govshare.exceptions import InputError
from govshare.testing import FrozenClock
from tests.consent.conftest import resident_id

ASK = {"recipient": "hrss", "purpose": "subsidy-eligibility", "categories": ["income"]}


def _subjects() -> pd.Series:
    ids = [resident_id(i) for i in range(950, 956)]
    return pd.Series([*ids, ids[0], "junk", None], dtype=object)


def _grant_some(registry: ConsentRegistry, clock: FrozenClock) -> None:
    ids = _subjects().tolist()
    for i in (0, 1, 2):
        registry.grant(
            ids[i], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
        )
    registry.grant(
        ids[3], recipient="health", purposes=["subsidy-eligibility"], categories=["income"]
    )
    gone = registry.grant(
        ids[4], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    clock.advance(minutes=1)
    registry.withdraw(gone.record_id)


def test_a_pickled_snapshot_decides_every_row_as_the_filter(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """reasons() of an unpickled snapshot give the filter's per-row reasons and its report."""
    _grant_some(registry, clock)
    subjects = _subjects()
    result = registry.filter(pd.DataFrame({"id": subjects}), subject_column="id", **ASK)
    snapshot = pickle.loads(pickle.dumps(registry.snapshot(**ASK)))
    codes = snapshot.reasons(subjects, registry.subject_pseudonyms.many)
    names = [snapshot.reason_names[c] for c in codes]
    assert names == result.reasons.tolist()
    counts = pd.Series(names).value_counts().to_dict()
    assert snapshot.report(counts) == result.report
    assert {snapshot.reason_names[c] for c in snapshot.kept_codes} == {
        Reason.ALLOWED.value,
        Reason.STATUTORY.value,
    }


def test_a_snapshot_holds_registry_pseudonyms_never_raw_ids(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """The pickled snapshot contains no raw resident ID, and its repr shows only the request."""
    _grant_some(registry, clock)
    snapshot = registry.snapshot(**ASK)
    blob = pickle.dumps(snapshot)
    for subject in _subjects().dropna():
        assert subject.encode() not in blob
    assert repr(snapshot).startswith("ConsentSnapshot(recipient='hrss'")
    assert "subjects=" in repr(snapshot)


def test_a_statutory_snapshot_allows_every_valid_subject(
    registry: ConsentRegistry, clock: FrozenClock
) -> None:
    """Under a statutory basis every valid subject is allowed and invalid ones still are not."""
    basis = registry.declare_statutory_basis(
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
        legal_basis="legal-obligation",
        law="Social Insurance Law art. 1",
    )
    snapshot = registry.snapshot(**ASK)
    assert snapshot.statutory_basis_id == basis.basis_id
    codes = snapshot.reasons(_subjects(), registry.subject_pseudonyms.many)
    names = [snapshot.reason_names[c] for c in codes]
    assert names == ["statutory-basis"] * 7 + ["invalid-subject"] * 2


def test_report_refuses_unknown_reasons_and_negative_counts(registry: ConsentRegistry) -> None:
    """report() takes only known reason names with non-negative counts."""
    snapshot = registry.snapshot(**ASK)
    assert isinstance(snapshot, ConsentSnapshot)
    with pytest.raises(InputError):
        snapshot.report({"maybe": 1})
    with pytest.raises(InputError):
        snapshot.report({"allowed": -1})
    assert snapshot.report({}).rows == 0
