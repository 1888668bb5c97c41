"""Catalogue, requests and decisions between two departments, and the bad input the issue lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from govshare.exceptions import (
    DocumentMismatch,
    DocumentReplayed,
    InputError,
    MalformedDocument,
    NaiveDatetimeError,
    NotShareable,
    RecordNotFound,
    RequestClosed,
)
from govshare.exchange import BEIJING
from tests.exchange.conftest import (
    ITEM,
    VALID_UNTIL,
    Pair,
    item_fields,
    refused_once,
    request_fields,
    stored_rows,
)

RESIDENT_ID = "11010519491231002X"
MOBILE = "13800138000"


def test_publish_keeps_every_version(pair: Pair) -> None:
    """Publishing again appends a version; history keeps every one and get() returns the latest."""
    first = pair.provider.catalogue.publish(item_fields())
    second = pair.provider.catalogue.publish(item_fields(update_frequency="daily"))
    assert (first.version, second.version) == (1, 2)
    assert [i.version for i in pair.provider.catalogue.history(ITEM)] == [1, 2]
    assert pair.provider.catalogue.get(ITEM).update_frequency == "daily"
    assert pair.provider.catalogue.get(ITEM, 1).update_frequency == "monthly"
    types = [r.event.type for r in pair.provider.audit.tail(2)]
    assert types == ["catalogue.published", "catalogue.published"]


def test_chinese_text_round_trips_through_every_step(pair: Pair) -> None:
    """Every free-text field keeps its Chinese text unchanged from publish to the requester's copy."""
    pair.publish()
    imported = pair.requester.catalogue.get(ITEM, provider="civil-affairs")
    assert imported.model_dump() == pair.provider.catalogue.get(ITEM).model_dump()
    assert imported.description_zh == item_fields()["description_zh"]
    assert imported.columns[0].title_zh == "公民身份号码"
    received = pair.provider.requests.receive(pair.request())
    fields = request_fields()
    for name in ("duty_basis", "justification", "case_ref"):
        assert getattr(received.request, name) == fields[name]
    doc = pair.provider.requests.decide(
        received.id, approve=True, conditions=["每月核对一次，结果仅用于本案"]
    )
    record = pair.requester.requests.import_decision(doc)
    assert record.decision is not None
    assert record.decision.agreement is not None
    terms = record.decision.agreement
    assert terms.conditions == (
        "仅限补贴资格审核使用，不得向第三方提供",
        "每月核对一次，结果仅用于本案",
    )
    assert terms.case_ref == fields["case_ref"]
    assert terms.duty_basis == fields["duty_basis"]


def test_request_for_a_missing_column_is_refused(pair: Pair) -> None:
    """Submitting a request for a column the item does not have is an InputError and stores nothing."""
    pair.publish()
    before = stored_rows(pair.requester)
    with pytest.raises(InputError, match="no column"):
        pair.request(columns=["id_number", "bank_account"])
    assert stored_rows(pair.requester) == before


def test_incoming_request_for_a_missing_column_is_refused(pair: Pair) -> None:
    """A provider refuses a signed request for a column its item lacks (once audited, nothing stored)."""
    pair.publish()
    doc = pair.request()
    pair.provider.catalogue.publish(item_fields(columns=item_fields()["columns"][:1]))
    refused_once(pair.provider, lambda: pair.provider.requests.receive(doc), DocumentMismatch)


def test_not_shared_item_needs_a_legal_basis(pair: Pair) -> None:
    """A not-shared item without the legal basis that bars sharing cannot be published."""
    before = stored_rows(pair.provider)
    with pytest.raises(InputError, match="legal basis"):
        pair.provider.catalogue.publish(item_fields(share="not-shared", conditions=[]))
    assert stored_rows(pair.provider) == before
    item = pair.provider.catalogue.publish(
        item_fields(share="not-shared", legal_basis="《中华人民共和国统计法》第九条")
    )
    assert item.share == "not-shared"


@pytest.mark.parametrize(
    "overrides",
    [
        {"conditions": []},  # a conditional item without its conditions
        {
            "columns": [
                {"name": "x", "title_zh": "甲", "title_en": "x", "category": "no-such-category"}
            ]
        },
        {"columns": []},
        {"provider": "hrss"},
        {"description_zh": f"含有身份证号 {RESIDENT_ID} 的说明"},
        {"title_en": f"call {MOBILE}"},
    ],
)
def test_bad_items_are_refused(pair: Pair, overrides: dict[str, object]) -> None:
    """Malformed items, unknown categories, other providers and identifiers in text are InputErrors."""
    before = stored_rows(pair.provider)
    with pytest.raises(InputError):
        pair.provider.catalogue.publish(item_fields(**overrides))
    assert stored_rows(pair.provider) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"justification": f"申请人 {RESIDENT_ID} 的收入"},
        {"duty_basis": f"电话 {MOBILE}"},
        {"case_ref": RESIDENT_ID},
        {"principals": [MOBILE]},
        {"purpose": "marketing"},
        {"legal_basis": "because"},
        {"columns": "income"},
        {"use_type": "curiosity"},
    ],
)
def test_bad_requests_are_refused_with_input_errors(
    pair: Pair, overrides: dict[str, object]
) -> None:
    """Identifiers in free text, unknown codes and malformed fields give an InputError, not a traceback."""
    pair.publish()
    before = stored_rows(pair.requester)
    with pytest.raises(InputError):
        pair.request(**overrides)
    assert stored_rows(pair.requester) == before


def test_naive_datetimes_are_refused(pair: Pair) -> None:
    """A naive valid_until, effective_from or read instant is a NaiveDatetimeError."""
    pair.publish()
    with pytest.raises(NaiveDatetimeError):
        pair.request(valid_until=datetime(2026, 12, 31))
    received = pair.provider.requests.receive(pair.request())
    with pytest.raises(NaiveDatetimeError):
        pair.provider.requests.decide(
            received.id, approve=True, effective_from=datetime(2026, 4, 1)
        )
    with pytest.raises(NaiveDatetimeError):
        pair.provider.requests.overdue(at=datetime(2026, 4, 1))
    assert pair.provider.requests.get(received.id).status == "pending"


def test_receive_sets_a_ten_working_day_deadline(pair: Pair) -> None:
    """A conditional item's request must be decided within 10 working days of receipt."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    assert received.status == "pending"
    assert received.decide_by == datetime(2026, 3, 17, tzinfo=BEIJING)  # Mon 2 Mar + 10 days
    event = pair.provider.audit.tail(1)[0].event
    assert (event.type, event.data["request_id"]) == ("request.received", received.id)


def test_overdue_lists_pending_requests_past_their_deadline(pair: Pair) -> None:
    """overdue() lists received requests still pending after their deadline, and no others."""
    pair.publish()
    late = pair.provider.requests.receive(pair.request())
    decided = pair.provider.requests.receive(pair.request())
    pair.provider.requests.decide(decided.id, approve=False, reasons=["不属于申请部门法定职责"])
    assert pair.provider.requests.overdue(at=datetime(2026, 3, 16, 15, tzinfo=UTC)) == []
    overdue = pair.provider.requests.overdue(at=datetime(2026, 3, 16, 16, tzinfo=UTC))
    assert [r.id for r in overdue] == [late.id]
    assert pair.requester.requests.overdue(at=datetime(2027, 1, 1, tzinfo=UTC)) == []


def test_refusal_needs_reasons(pair: Pair) -> None:
    """A refusal without written reasons is refused and the request stays pending."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    before = stored_rows(pair.provider)
    with pytest.raises(InputError, match="reasons"):
        pair.provider.requests.decide(received.id, approve=False)
    with pytest.raises(InputError):
        pair.provider.requests.decide(received.id, approve=False, reasons=[""])
    assert stored_rows(pair.provider) == before
    assert pair.provider.requests.get(received.id).status == "pending"


def test_refusal_reaches_the_requester_with_its_reasons(pair: Pair) -> None:
    """A refusal with reasons is signed, imported by the requester and recorded on both sides."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    doc = pair.provider.requests.decide(
        received.id, approve=False, reasons=["申请用途超出法定职责范围"]
    )
    record = pair.requester.requests.import_decision(doc)
    assert record.status == "refused"
    assert record.decision is not None
    assert record.decision.reasons == ("申请用途超出法定职责范围",)
    assert pair.requester.agreements.list() == []


def test_decision_on_unknown_or_decided_request_is_refused(pair: Pair) -> None:
    """Deciding an unknown request is RecordNotFound; deciding twice is RequestClosed."""
    pair.publish()
    with pytest.raises(RecordNotFound):
        pair.provider.requests.decide("rq-" + "0" * 32, approve=True)
    received = pair.provider.requests.receive(pair.request())
    pair.provider.requests.decide(received.id, approve=True)
    before = stored_rows(pair.provider)
    with pytest.raises(RequestClosed):
        pair.provider.requests.decide(received.id, approve=False, reasons=["改变主意"])
    assert stored_rows(pair.provider) == before


def test_approving_a_not_shared_item_is_refused(pair: Pair) -> None:
    """An item that became not-shared after the request cannot be approved; a refusal still works."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    pair.provider.catalogue.publish(
        item_fields(share="not-shared", conditions=[], legal_basis="《统计法》第九条")
    )
    before = stored_rows(pair.provider)
    with pytest.raises(NotShareable):
        pair.provider.requests.decide(received.id, approve=True)
    assert stored_rows(pair.provider) == before
    pair.provider.requests.decide(received.id, approve=False, reasons=["该数据不予共享"])


def test_requesting_a_not_shared_item_is_refused(pair: Pair) -> None:
    """A requester cannot submit a request for an item its catalogue marks not shared."""
    pair.publish(share="not-shared", conditions=[], legal_basis="《统计法》第九条")
    with pytest.raises(NotShareable):
        pair.request()


def test_approval_grants_no_more_than_requested(pair: Pair) -> None:
    """An approval may narrow the columns and window but not widen them."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    with pytest.raises(InputError, match="not requested"):
        pair.provider.requests.decide(received.id, approve=True, columns=["income", "district"])
    with pytest.raises(InputError, match="valid_until"):
        pair.provider.requests.decide(
            received.id, approve=True, expires_at=datetime(2027, 6, 1, tzinfo=UTC)
        )
    with pytest.raises(InputError):
        pair.provider.requests.decide(received.id, approve=True, treatments={"income": "drop"})
    doc = pair.provider.requests.decide(
        received.id, approve=True, columns=["id_number"], treatments={"id_number": "drop"}
    )
    terms = pair.requester.requests.import_decision(doc).decision.agreement  # type: ignore[union-attr]
    assert terms is not None
    assert [(c.name, c.treatment) for c in terms.columns] == [("id_number", "drop")]


def test_unconditional_item_is_approved_on_receipt(pair: Pair) -> None:
    """A request for an unconditional item is approved at once, and the decision is still recorded."""
    pair.publish(share="unconditional", conditions=[])
    received = pair.provider.requests.receive(pair.request())
    assert received.status == "approved"
    assert received.decision is not None
    assert received.decision.automatic
    types = [r.event.type for r in pair.provider.audit.tail(3)]
    assert types == ["request.received", "request.decided", "agreement.signed"]
    doc = pair.provider.requests.decision_document(received.id)
    assert pair.requester.requests.import_decision(doc).status == "approved"


def test_replayed_decision_is_refused_once_audited(pair: Pair) -> None:
    """Importing the same decision twice is refused the second time with one audit event, nothing else."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    doc = pair.provider.requests.decide(received.id, approve=True)
    pair.requester.requests.import_decision(doc)
    facts = refused_once(
        pair.requester, lambda: pair.requester.requests.import_decision(doc), DocumentReplayed
    )
    assert facts["document_id"] == doc.id


def test_replayed_request_is_refused_once_audited(pair: Pair) -> None:
    """Receiving the same request document twice is refused the second time."""
    pair.publish()
    doc = pair.request()
    pair.provider.requests.receive(doc)
    refused_once(pair.provider, lambda: pair.provider.requests.receive(doc), DocumentReplayed)


def test_request_addressed_elsewhere_is_refused(pair: Pair) -> None:
    """A request another department receives is refused as not addressed to it."""
    pair.publish()
    doc = pair.request()
    refused_once(pair.requester, lambda: pair.requester.requests.receive(doc), DocumentMismatch)


def test_decision_for_an_unknown_request_is_refused(pair: Pair) -> None:
    """A requester refuses a decision about a request it never submitted."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    doc = pair.provider.requests.decide(received.id, approve=True)
    with pair.requester.store.transaction() as conn:
        from govshare.exchange._tables import exchange_requests

        conn.execute(exchange_requests.delete())
    refused_once(
        pair.requester, lambda: pair.requester.requests.import_decision(doc), DocumentMismatch
    )


def test_every_step_is_audited_on_its_side(pair: Pair) -> None:
    """Each state change is one audit event in the log of the side where it happens."""
    pair.agreement()
    provider = [r.event.type for r in pair.provider.audit.entries()]
    requester = [r.event.type for r in pair.requester.audit.entries()]
    assert provider[-6:] == [
        "catalogue.published", "catalogue.exported", "request.received",
        "request.decided", "agreement.signed", "agreement.countersigned",
    ]  # fmt: skip
    assert requester[-4:] == [
        "catalogue.imported", "request.submitted", "request.decision-received",
        "agreement.countersigned",
    ]  # fmt: skip
    for ws in (pair.provider, pair.requester):
        text = json.dumps([r.event.model_dump(mode="json") for r in ws.audit.entries()])
        assert RESIDENT_ID not in text


def test_list_filters_by_status(pair: Pair) -> None:
    """requests.list(status=...) returns only requests in that status."""
    pair.publish()
    one = pair.provider.requests.receive(pair.request())
    pair.provider.requests.receive(pair.request())
    pair.provider.requests.decide(one.id, approve=True)
    assert [r.id for r in pair.provider.requests.list(status="approved")] == [one.id]
    assert len(pair.provider.requests.list(status="pending")) == 1
    assert len(pair.requester.requests.list()) == 2
    pair.clock.advance(days=30)
    assert len(pair.provider.requests.list(overdue=True)) == 1
    assert pair.provider.requests.list(overdue=True, at=pair.clock.now() - timedelta(days=29)) == []


def test_receive_many_accepts_and_refuses_each_document_on_its_own(pair: Pair) -> None:
    """A batch stores the good requests and refuses the bad one with one event, in one transaction."""
    pair.publish()
    good = [pair.request(), pair.request()]
    bad = json.loads(pair.request().to_json())
    bad["payload"]["justification"] = "改过的理由"
    before = stored_rows(pair.provider)
    results = pair.provider.requests.receive_many([good[0], bad, good[1], good[0]])
    kinds = [type(r).__name__ for r in results]
    assert kinds == [
        "RequestRecord",
        "DocumentSignatureInvalid",
        "RequestRecord",
        "DocumentReplayed",
    ]
    after = stored_rows(pair.provider)
    assert after["exchange_requests"] == before["exchange_requests"] + 2
    assert after["exchange_documents"] == before["exchange_documents"] + 2
    types = [r.event.type for r in pair.provider.audit.tail(4)]
    assert types == ["request.received", "document.refused", "request.received", "document.refused"]


def test_decide_many_is_all_or_nothing(pair: Pair) -> None:
    """decide_many decides every request or, if one decision is bad, none of them."""
    pair.publish()
    a, b = (pair.provider.requests.receive(pair.request()) for _ in range(2))
    before = stored_rows(pair.provider)
    with pytest.raises(InputError):
        pair.provider.requests.decide_many(
            [{"request_id": a.id, "approve": True}, {"request_id": b.id, "approve": False}]
        )
    assert stored_rows(pair.provider) == before
    with pytest.raises(InputError):
        pair.provider.requests.decide_many([{"approve": True}])
    docs = pair.provider.requests.decide_many(
        [
            {"request_id": a.id, "approve": True},
            {"request_id": b.id, "approve": False, "reasons": ["不符合条件"]},
        ]
    )
    assert [pair.requester.requests.import_decision(d).status for d in docs] == [
        "approved",
        "refused",
    ]


@pytest.mark.parametrize("field", ["reasons", "conditions"])
def test_decision_texts_holding_identifiers_are_refused(pair: Pair, field: str) -> None:
    """Reasons and conditions shaped like a resident ID or mobile number are InputErrors."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    before = stored_rows(pair.provider)
    for text in (f"申请人 {RESIDENT_ID} 不符合", f"请致电 {MOBILE}"):
        with pytest.raises(InputError):
            pair.provider.requests.decide(
                received.id, approve=False, **{field: [text], "reasons": [text]}
            )
    assert stored_rows(pair.provider) == before


def test_signed_request_holding_an_identifier_is_refused_without_logging_it(pair: Pair) -> None:
    """A request signed by a careless requester with a resident ID in its text is refused as
    malformed, and the ID appears nowhere in the provider's store."""
    from govshare.exchange import DataRequest

    pair.publish()
    good = json.loads(pair.request().to_json())["payload"]
    sloppy = DataRequest.model_construct(
        **{**DataRequest.model_validate(good).__dict__, "justification": f"核对 {RESIDENT_ID}"}
    )
    with pair.requester.store.transaction() as conn:
        doc = pair.requester._documents().sign(
            "request", sloppy, audience="civil-affairs", now=pair.clock.now(), conn=conn
        )
    refused_once(pair.provider, lambda: pair.provider.requests.receive(doc), MalformedDocument)
    with pair.provider.store.read() as conn:
        from sqlalchemy import text

        dump = [str(r) for t in ("exchange_documents", "exchange_requests", "audit_entries")
                for r in conn.execute(text(f"SELECT * FROM {t}"))]  # fmt: skip
    assert not any(RESIDENT_ID in row for row in dump)


def test_decide_many_refuses_a_request_twice_in_one_batch(pair: Pair) -> None:
    """Deciding the same request twice in one batch is RequestClosed, and the batch stores nothing."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    before = stored_rows(pair.provider)
    with pytest.raises(RequestClosed):
        pair.provider.requests.decide_many([{"request_id": received.id, "approve": True}] * 2)
    assert stored_rows(pair.provider) == before
    assert pair.provider.requests.get(received.id).status == "pending"


def test_deadlines_into_a_year_without_a_calendar_are_provisional(pair: Pair) -> None:
    """In December 2026 a decision deadline runs into 2027, which chinese-calendar 1.11 lacks: it
    is counted Monday to Friday and marked provisional, in the record, the event and the CLI."""
    pair.clock.set(datetime(2026, 12, 21, 2, tzinfo=UTC))  # a Monday, 10:00 Beijing time
    pair.publish()
    received = pair.provider.requests.receive(
        pair.request(valid_until=VALID_UNTIL.replace(year=2027))
    )
    assert received.decide_by is not None
    assert received.decide_by.year == 2027
    assert received.deadline_provisional
    event = pair.provider.audit.tail(1)[0].event
    assert event.type == "request.received"
    assert event.data["deadline_provisional"] is True
    decision = pair.provider.requests.decide(received.id, approve=True)
    record = pair.requester.requests.import_decision(decision)
    assert record.decision is not None
    assert record.decision.supply_by_provisional


def test_deadlines_inside_covered_years_are_official(pair: Pair) -> None:
    """A deadline counted wholly inside years the calendar covers is not provisional."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    assert not received.deadline_provisional
    assert "deadline_provisional" not in pair.provider.audit.tail(1)[0].event.data
