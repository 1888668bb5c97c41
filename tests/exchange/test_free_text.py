"""Exchange free text (titles, conditions, justifications, reasons) refuses identifier-shaped
text with IdentifierInText and stores nothing (issue 11, section 1)."""

from __future__ import annotations

import pytest

from govshare.exceptions import IdentifierInText
from tests.exchange.conftest import Pair, item_fields, request_fields, stored_rows

LEAKS = [
    "case ID110101199003071233",
    "call 138-0013-8000",
    "+86 138 0013 8000",
    "110101 19900307 1233",
    "联系人１３８００１３８０００",
    "card 6222 0212 3456 7890 128",
]


@pytest.mark.parametrize("leak", LEAKS)
@pytest.mark.parametrize("field", ["title_zh", "description_en", "conditions"])
def test_catalogue_texts_refuse_identifiers(pair: Pair, field: str, leak: str) -> None:
    """Publishing an item whose text holds an identifier is refused; nothing is stored."""
    value: object = [leak] if field == "conditions" else leak
    before = stored_rows(pair.provider)
    with pytest.raises(IdentifierInText) as info:
        pair.provider.catalogue.publish(item_fields(**{field: value}))
    assert not any(c.isdigit() for c in str(info.value))
    assert stored_rows(pair.provider) == before


@pytest.mark.parametrize("leak", LEAKS)
def test_request_justification_refuses_identifiers(pair: Pair, leak: str) -> None:
    """A request whose justification holds an identifier is refused at the requester."""
    pair.publish()
    before = stored_rows(pair.requester)
    with pytest.raises(IdentifierInText):
        pair.requester.requests.submit(**request_fields(justification=leak))
    assert stored_rows(pair.requester) == before


@pytest.mark.parametrize("leak", LEAKS)
def test_refusal_reasons_and_suspension_reasons_refuse_identifiers(pair: Pair, leak: str) -> None:
    """Reasons of a refusal or a suspension holding an identifier are refused; nothing changes."""
    pair.publish()
    received = pair.provider.requests.receive(pair.request())
    before = stored_rows(pair.provider)
    with pytest.raises(IdentifierInText):
        pair.provider.requests.decide(received.id, approve=False, reasons=[leak])
    assert stored_rows(pair.provider) == before
    assert pair.provider.requests.get(received.id).status == "pending"


def test_suspension_reason_refuses_identifiers(pair: Pair) -> None:
    """Suspending an agreement with an identifier in the reason is refused; it stays active."""
    agreement = pair.agreement()
    before = stored_rows(pair.provider)
    with pytest.raises(IdentifierInText):
        pair.provider.agreements.suspend(agreement, reason="complaint by 138 0013 8000")
    assert stored_rows(pair.provider) == before
    assert pair.provider.agreements.get(agreement).status == "active"
