"""Request rules: decisions within the working-day deadline, refusals with reasons.

Each has a passing store and violating ones, built through the exchange API or, where the API
rightly refuses the violation, by editing the database or appending to the log directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from govshare.compliance import Policy, check
from govshare.exchange import read_requests
from govshare.testing import FrozenClock, temporary_workspace
from tests.compliance._helpers import reverify
from tests.exchange.conftest import item_fields, request_fields

DEADLINE = "request-decision-deadline"
REASONS = "request-refusal-reasons"
DUE = datetime(2026, 3, 16, 16, tzinfo=UTC)  # Mon 2 Mar 10:00 Beijing + 10 working days
REASON = "不属于申请部门法定职责"


class Pair:
    """civil-affairs (provider, SQLite) and hrss (requester), each trusting the other's keys."""

    def __init__(self, tmp_path: Path, clock: FrozenClock) -> None:
        self.clock = clock
        self.provider = temporary_workspace(
            tmp_path / "civil", department="civil-affairs", clock=clock
        )
        self.requester = temporary_workspace(tmp_path / "hrss", department="hrss", clock=clock)
        self.provider.tokens.trust(self.requester.keys.export_public())
        self.requester.tokens.trust(self.provider.keys.export_public())
        self.provider.catalogue.publish(item_fields())
        self.requester.catalogue.import_catalogue(self.provider.catalogue.export())

    def receive(self) -> str:
        """A request from hrss, received by civil affairs now; its id."""
        return self.provider.requests.receive(self.requester.requests.submit(**request_fields())).id

    def close(self) -> None:
        self.provider.close()
        self.requester.close()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """Two departments on a frozen clock at Monday 2026-03-02, 10:00 Beijing time."""
    made = Pair(tmp_path, FrozenClock(datetime(2026, 3, 2, 2, tzinfo=UTC)))
    yield made
    made.close()


def test_no_request_is_not_applicable(pair: Pair) -> None:
    """A store that received no request has nothing to check for either rule."""
    report = check(pair.requester)
    assert report.finding(DEADLINE).status == "not-applicable"
    assert report.finding(REASONS).status == "not-applicable"


def test_timely_decisions_and_reasoned_refusals_pass(pair: Pair) -> None:
    """An approval and a refusal with reasons, both on time, and one request not yet due pass."""
    approved, refused = pair.receive(), pair.receive()
    pair.clock.advance(days=7)
    pair.provider.requests.decide(approved, approve=True)
    pair.provider.requests.decide(refused, approve=False, reasons=[REASON])
    pair.receive()  # received on 9 Mar, due 23 Mar: still open on 20 Mar
    pair.provider.audit.checkpoint()
    report = check(pair.provider, until=datetime(2026, 3, 20, tzinfo=UTC))
    deadline = report.finding(DEADLINE)
    assert deadline.status == "pass", deadline.explanation.en
    assert deadline.checked == 3
    assert "1 still within their deadline" in deadline.explanation.en
    reasons = report.finding(REASONS)
    assert reasons.status == "pass", reasons.explanation.en
    assert reasons.checked == 1


def test_late_decision_is_found_with_its_evidence(pair: Pair) -> None:
    """A decision made after the deadline fails, names the request and proves the decision entry."""
    late = pair.receive()
    pair.clock.set(DUE)  # exactly at the deadline: already too late
    pair.provider.requests.decide(late, approve=True)
    pair.provider.audit.checkpoint()
    report = check(pair.provider)
    finding = report.finding(DEADLINE)
    assert finding.status == "fail"
    assert finding.items == (late,)
    (evidence,) = finding.evidence
    assert evidence.type == "request.decided"
    assert "after its deadline 2026-03-16T16:00:00Z" in evidence.note.en
    assert reverify(report, DEADLINE) == [evidence.index]


def test_undecided_request_past_its_deadline_fails(pair: Pair) -> None:
    """A request still pending when the period ends after its deadline fails on its receipt entry."""
    open_ = pair.receive()
    pair.provider.audit.checkpoint()
    assert check(pair.provider, until=DUE).finding(DEADLINE).status == "pass"
    report = check(pair.provider, until=DUE + timedelta(seconds=1))
    finding = report.finding(DEADLINE)
    assert finding.status == "fail"
    (evidence,) = finding.evidence
    assert evidence.type == "request.received"
    assert open_ in evidence.note.en
    assert "still undecided" in evidence.note.en
    assert reverify(report, DEADLINE) == [evidence.index]


def test_policy_deadline_shorter_than_recorded_one_applies(pair: Pair) -> None:
    """The auditor's policy deadline binds when it is earlier than the one recorded on receipt."""
    request = pair.receive()
    pair.clock.advance(days=4)  # Fri 6 Mar: 4 working days after receipt
    pair.provider.requests.decide(request, approve=True)
    pair.provider.audit.checkpoint()
    assert check(pair.provider).finding(DEADLINE).status == "pass"
    strict = check(pair.provider, policy=Policy(decision_deadline_working_days=3))
    assert strict.finding(DEADLINE).status == "fail"
    assert strict.finding(DEADLINE).items == (request,)


def test_decision_missing_from_the_log_fails(pair: Pair) -> None:
    """A request the store marks decided with no decision in the log is named (database edit)."""
    request = pair.receive()
    with pair.provider.store.transaction() as conn:
        conn.execute(text("UPDATE exchange_requests SET status = 'approved'"))
    pair.provider.audit.checkpoint()
    report = check(pair.provider, until=DUE - timedelta(days=1))
    finding = report.finding(DEADLINE)
    assert finding.status == "fail"
    (evidence,) = finding.evidence
    assert "holds no decision" in evidence.note.en
    assert finding.items == (request,)
    assert reverify(report, DEADLINE) == [evidence.index]


def test_stored_request_without_a_logged_receipt_fails(pair: Pair) -> None:
    """A request row inserted into the database, never received through the API, is named."""
    pair.receive()
    forged = "rq-" + "f" * 32
    with pair.provider.store.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO exchange_requests (request_id, side, requester, provider, status, "
                "submitted_at, received_at, decide_by, request) SELECT :id, side, requester, "
                "provider, status, submitted_at, received_at, decide_by, "
                "json_set(request, '$.request_id', :id) FROM exchange_requests"
            ),
            {"id": forged},
        )
    assert forged in {r.id for r in read_requests(pair.provider.store, side="provider")}
    pair.provider.audit.checkpoint()
    finding = check(pair.provider, until=DUE - timedelta(days=1)).finding(DEADLINE)
    assert finding.status == "fail"
    assert finding.items == (forged,)
    assert finding.evidence == ()  # nothing in the log to prove: the row itself is the finding


def test_refusal_without_reasons_is_found(pair: Pair) -> None:
    """A refusal the API would refuse, written by hand into the log and the store, is named twice."""
    request = pair.receive()
    seq = pair.provider.audit.record(
        "request.decided",
        {"request_id": request, "approved": False, "automatic": False, "reasons": [" "]},
    )
    with pair.provider.store.transaction() as conn:
        conn.execute(text("UPDATE exchange_requests SET status = 'refused'"))
    pair.provider.audit.checkpoint()
    report = check(pair.provider)
    finding = report.finding(REASONS)
    assert finding.status == "fail"
    assert finding.violations == 2
    assert finding.items == (request,)
    assert {e.note.en for e in finding.evidence} == {
        f"refusal of request {request} gives no reasons",
        f"refused request {request} holds no decision with reasons in the store",
    }
    assert reverify(report, REASONS) == [seq, seq]


def test_stored_refusal_edited_to_have_no_reasons_fails(pair: Pair) -> None:
    """A decision edited in the database to drop its reasons makes the request records unreadable,
    and both request rules fail naming the request instead of passing."""
    request = pair.receive()
    pair.provider.requests.decide(request, approve=False, reasons=[REASON])
    with pair.provider.store.transaction() as conn:
        conn.execute(
            text(
                "UPDATE exchange_requests SET decision = json_set(decision, '$.reasons', json('[]'))"
            )
        )
    pair.provider.audit.checkpoint()
    report = check(pair.provider)
    for rule in (DEADLINE, REASONS):
        finding = report.finding(rule)
        assert finding.status == "fail"
        assert request in finding.explanation.en
