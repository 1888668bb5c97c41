"""share_aggregates(): DP statistics only, charged to the agreement's epsilon total."""

from __future__ import annotations

import pytest

from govshare.exceptions import AgreementLimitReached, InputError
from govshare.exchange import RESULT_COLUMNS
from tests.exchange.conftest import Pair
from tests.exchange.share_helpers import counts, residents, token

QUERIES = [
    {"statistic": "count", "epsilon": 0.25},
    {"statistic": "mean", "column": "income", "bounds": [0, 20000], "epsilon": 0.25},
]


def _agreement(pair: Pair, epsilon: float | None = 1.0) -> str:
    limits = {"epsilon": epsilon} if epsilon is not None else {}
    return pair.agreement(treatments={"income": "aggregate-only"}, limits=limits)


def test_aggregates_are_released_and_charged(pair: Pair) -> None:
    """Statistics verify on receipt; their epsilon is charged to the agreement, exact row counts
    stay with the provider."""
    agreement = _agreement(pair)
    people = residents(pair)
    before = counts(pair.provider)
    release = pair.provider.share_aggregates(
        people.frame, agreement=agreement, token=token(pair, agreement),
        subject_column="id_number", queries=QUERIES,
    )  # fmt: skip
    manifest = release.manifest_unverified
    assert (manifest.kind, manifest.epsilon, manifest.excluded) == ("aggregates", 0.5, {})
    assert [c.name for c in manifest.columns] == ["income"]
    assert pair.provider.agreements.get(agreement).epsilon == 0.5
    # token.accepted, two dp.released, release.shared
    assert counts(pair.provider)["audit"] == before["audit"] + 4
    frame, received = pair.requester.receive(release)
    assert received == manifest
    assert tuple(frame.columns) == RESULT_COLUMNS
    count = frame[frame["statistic"] == "count"].iloc[0]
    assert count["value"] >= 0
    assert count["value"] == int(count["value"])
    assert count["ci_low"] <= count["value"] <= count["ci_high"]
    (sent,) = pair.provider.releases.list()
    assert sent.rows == len(people.consented) + len(people.minors)  # exact, provider side only
    assert sent.excluded["withdrawn"] == len(people.withdrawn)


def test_aggregate_only_column_is_never_released_as_rows(pair: Pair) -> None:
    """share() of rows leaves out a column granted for statistics only."""
    agreement = _agreement(pair)
    release = pair.provider.share(
        residents(pair).frame, agreement=agreement, token=token(pair, agreement),
        subject_column="id_number",
    )  # fmt: skip
    assert list(release.frame.columns) == ["id_number"]


def test_epsilon_total_is_never_overspent(pair: Pair) -> None:
    """A release that would pass the agreement's epsilon total is refused and charges nothing."""
    agreement = _agreement(pair, epsilon=0.6)
    people = residents(pair)
    pair.provider.share_aggregates(
        people.frame, agreement=agreement, token=token(pair, agreement),
        subject_column="id_number", queries=QUERIES,
    )  # fmt: skip
    tok = token(pair, agreement)
    before = counts(pair.provider)
    with pytest.raises(AgreementLimitReached):
        pair.provider.share_aggregates(
            people.frame, agreement=agreement, token=tok, subject_column="id_number",
            queries=QUERIES,
        )  # fmt: skip
    assert counts(pair.provider) == before | {"audit": before["audit"] + 1}
    assert pair.provider.agreements.get(agreement).epsilon == 0.5
    assert pair.provider.audit.tail(1)[0].event.type == "release.refused"


def test_no_epsilon_granted(pair: Pair) -> None:
    """An agreement without an epsilon total releases no statistics."""
    agreement = _agreement(pair, epsilon=None)
    with pytest.raises(AgreementLimitReached):
        pair.provider.share_aggregates(
            residents(pair).frame, agreement=agreement, token=token(pair, agreement),
            subject_column="id_number", queries=QUERIES,
        )  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        {"statistic": "count", "by": "id_number", "keys": ["a"], "epsilon": 0.1},
        {"statistic": "sum", "column": "notes", "bounds": [0, 1], "epsilon": 0.1},
        {"statistic": "mean", "column": "income", "epsilon": 0.1},
        {"statistic": "count", "epsilon": 0},
    ],
)
def test_bad_queries_are_refused(pair: Pair, query: dict[str, object]) -> None:
    """Statistics on an identifier or an ungranted column, or malformed ones, are refused."""
    agreement = _agreement(pair)
    people = residents(pair)
    before = counts(pair.provider)
    with pytest.raises(InputError):
        pair.provider.share_aggregates(
            people.frame, agreement=agreement, token=token(pair, agreement),
            subject_column="id_number", queries=[query],
        )  # fmt: skip
    assert counts(pair.provider) == before | {"audit": before["audit"] + 1}
