"""Properties: check() equals a simple reference model at any instant, and filter() equals check().

Each hypothesis example runs a random sequence of grant / advance / withdraw / renew operations on
fresh subjects, then asks random questions at random instants (before, between and after events).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.consent import ConsentRegistry, Reason
from govshare.consent._decide import RecordFacts, Request, record_step, steps_vectorised
from govshare.exceptions import InputError
from govshare.testing import FrozenClock
from tests.consent.conftest import resident_id

START = datetime(2026, 1, 1, tzinfo=UTC)
RECIPIENTS = ["hrss", "health"]
PURPOSES = ["subsidy-eligibility", "research"]
CATEGORIES = ["identity", "income", "address", "minor-information"]
_subjects = itertools.count(10_000, 7)


@dataclass
class RefRecord:
    """The reference model's view of one record."""

    record_id: str
    subject: int
    recipient: str
    purposes: set[str]
    categories: set[str]
    separate: bool
    granted: datetime
    terms: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    withdrawn: datetime | None = None


def reference(
    records: list[RefRecord], subject: int, req: tuple[str, str, set[str]], t: datetime
) -> tuple[str, str | None]:
    """The reason and record id the rules give, computed the plain way."""
    recipient, purpose, cats = req
    best: tuple[int, datetime, str] | None = None
    for r in records:
        if r.subject != subject or r.granted > t:
            continue
        expires = [e for at, e in r.terms if at <= t][-1]
        if r.recipient != recipient:
            step = 0
        elif purpose not in r.purposes:
            step = 1
        elif "minor-information" in cats:  # no record in these runs has a guardian
            step = 2
        elif not cats <= r.categories:
            step = 3
        elif r.withdrawn is not None and r.withdrawn <= t:
            step = 4
        elif expires is not None and expires <= t:
            step = 5
        elif not r.separate:
            step = 6
        else:
            step = 7
        if best is None or (step, r.granted, r.record_id) > best:
            best = (step, r.granted, r.record_id)
    if best is None:
        return "no-record", None
    names = [
        "wrong-recipient",
        "purpose-not-covered",
        "guardian-required",
        "category-not-covered",
        "withdrawn",
        "expired",
        "separate-consent-required",
        "allowed",
    ]
    return names[best[0]], best[2]


grant_op = st.tuples(
    st.just("grant"),
    st.integers(0, 2),
    st.sampled_from(RECIPIENTS),
    st.sets(st.sampled_from(PURPOSES), min_size=1),
    st.sets(st.sampled_from(CATEGORIES[:3]), min_size=1),
    st.booleans(),
    st.integers(0, 48),
    st.one_of(st.none(), st.integers(1, 200)),
)
advance_op = st.tuples(st.just("advance"), st.integers(1, 100))
withdraw_op = st.tuples(st.just("withdraw"), st.integers(0, 20))
renew_op = st.tuples(
    st.just("renew"), st.integers(0, 20), st.one_of(st.none(), st.integers(-5, 200))
)
ops_strategy = st.lists(
    st.one_of(grant_op, advance_op, withdraw_op, renew_op), min_size=1, max_size=12
)
question = st.tuples(
    st.integers(0, 2),
    st.sampled_from(RECIPIENTS),
    st.sampled_from(PURPOSES),
    st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=2),
    st.integers(-50, 700),
)


def run(
    registry: ConsentRegistry, clock: FrozenClock, ops: list[tuple], subjects: list[str]
) -> list[RefRecord]:
    """Apply *ops* to the registry and to the reference model together."""
    clock.set(START)
    model: list[RefRecord] = []
    for op in ops:
        now = clock.now()
        if op[0] == "advance":
            clock.advance(hours=op[1])
        elif op[0] == "grant":
            _, subj, recipient, purposes, cats, separate, back, exp = op
            granted = now - timedelta(hours=back)
            expires = None if exp is None else granted + timedelta(hours=exp)
            rec = registry.grant(
                subjects[subj],
                recipient=recipient,
                purposes=sorted(purposes),
                categories=sorted(cats),
                consent_type=["separate"] if separate else ["written"],
                granted_at=granted,
                expires_at=expires,
            )
            model.append(
                RefRecord(
                    rec.record_id,
                    subj,
                    recipient,
                    purposes,
                    cats,
                    separate,
                    granted,
                    [(granted, expires)],
                )
            )
        elif model:
            target = model[op[1] % len(model)]
            if op[0] == "withdraw":
                if target.withdrawn is not None:
                    with pytest.raises(InputError):
                        registry.withdraw(target.record_id)
                else:
                    registry.withdraw(target.record_id)
                    target.withdrawn = now
            else:
                expires = None if op[2] is None else now + timedelta(hours=op[2])
                if target.withdrawn is not None or (expires is not None and expires <= now):
                    with pytest.raises(InputError):
                        registry.renew(target.record_id, expires_at=expires)
                else:
                    registry.renew(target.record_id, expires_at=expires)
                    target.terms.append((now, expires))
    return model


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops_strategy, questions=st.lists(question, min_size=1, max_size=4))
def test_check_and_filter_match_the_reference_model(
    workspace: Workspace, clock: FrozenClock, ops: list[tuple], questions: list[tuple]
) -> None:
    """For any grant/withdraw/renew sequence and instant, check() equals the model and filter() equals check()."""
    registry = workspace.consents
    base = next(_subjects)
    subjects = [resident_id(base + i) for i in range(3)]
    model = run(registry, clock, ops, subjects)
    frame = pd.DataFrame({"id": [*subjects, subjects[0], "not-an-id", None], "n": range(6)})
    for subj, recipient, purpose, cats, hours in questions:
        t = START + timedelta(hours=hours)
        decision = registry.check(
            subjects[subj], recipient=recipient, purpose=purpose, categories=sorted(cats), at=t
        )
        assert (decision.reason.value, decision.record_id) == reference(
            model, subj, (recipient, purpose, cats), t
        )
        result = registry.filter(
            frame,
            subject_column="id",
            recipient=recipient,
            purpose=purpose,
            categories=sorted(cats),
            at=t,
        )
        expected = [
            registry.check(
                s, recipient=recipient, purpose=purpose, categories=sorted(cats), at=t
            ).reason.value
            for s in frame["id"][:4]
        ]
        assert result.reasons.tolist() == [
            *expected,
            Reason.INVALID_SUBJECT.value,
            Reason.INVALID_SUBJECT.value,
        ]
        assert result.frame["n"].tolist() == [
            n for n, r in zip(frame["n"], expected, strict=False) if r == "allowed"
        ]


facts = st.builds(
    RecordFacts,
    record_id=st.text("abc", min_size=1, max_size=3),
    recipient=st.sampled_from(RECIPIENTS),
    legal_basis=st.sampled_from(["consent", "contract"]),
    purposes=st.frozensets(st.sampled_from(PURPOSES)),
    categories=st.frozensets(st.sampled_from(CATEGORIES)),
    separate=st.booleans(),
    minor=st.booleans(),
    has_guardian=st.booleans(),
    granted_us=st.integers(0, 100),
    expires_us=st.one_of(st.none(), st.integers(0, 200)),
    withdrawn_us=st.one_of(st.none(), st.integers(0, 200)),
)
requests = st.builds(
    Request,
    recipient=st.sampled_from(RECIPIENTS),
    purpose=st.sampled_from(PURPOSES),
    categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
    at_us=st.integers(0, 200),
)


@settings(max_examples=300)
@given(records=st.lists(facts, max_size=8), req=requests)
def test_vectorised_rules_equal_the_per_record_rules(
    records: list[RecordFacts], req: Request
) -> None:
    """steps_vectorised() gives every record the same step as record_step() (all flags and bases)."""
    frame = pd.DataFrame(
        {
            "record_id": [r.record_id for r in records],
            "recipient": [r.recipient for r in records],
            "legal_basis": [r.legal_basis for r in records],
            "purposes": ["|" + "|".join(sorted(r.purposes)) + "|" for r in records],
            "categories": ["|" + "|".join(sorted(r.categories)) + "|" for r in records],
            "separate": [r.separate for r in records],
            "minor": [r.minor for r in records],
            "has_guardian": [r.has_guardian for r in records],
            "expires_us": [-1 if r.expires_us is None else r.expires_us for r in records],
            "withdrawn_us": [-1 if r.withdrawn_us is None else r.withdrawn_us for r in records],
        },
        dtype=object,
    )
    frame = frame.astype(
        {"recipient": "str", "legal_basis": "str", "purposes": "str", "categories": "str"}
    )
    got = steps_vectorised(frame, req).tolist() if records else []
    assert got == [record_step(r, req) for r in records]
