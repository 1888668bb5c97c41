"""ODRL 2.2 export: valid JSON-LD expanded offline with pyld, and a lossless round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyld import jsonld

from govshare.exceptions import InputError
from govshare.exchange import AgreementTerms, from_odrl, odrl_document_loader, to_odrl
from tests.exchange.conftest import Pair

ODRL = "http://www.w3.org/ns/odrl/2/"


@pytest.fixture
def terms(pair: Pair) -> AgreementTerms:
    """Agreement terms with every limit set and Chinese conditions."""
    agreement = pair.agreement(
        limits={"max_releases": 12, "max_rows": 50_000, "epsilon": 2.0},
        conditions=["仅用于本案，用后删除"],
        retention_days=90,
        provider_principals=["wang.fang@civil-affairs"],
    )
    return pair.provider.agreements.get(agreement).terms


def _expand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return jsonld.expand(doc, {"documentLoader": odrl_document_loader()})  # type: ignore[no-any-return]


def _one(node: dict[str, Any], term: str) -> Any:
    (value,) = node[ODRL + term]
    return value


def test_round_trip_is_lossless(terms: AgreementTerms) -> None:
    """from_odrl(to_odrl(terms)) gives back exactly the same terms, also through JSON text."""
    assert from_odrl(to_odrl(terms)) == terms
    assert from_odrl(json.dumps(to_odrl(terms), ensure_ascii=False)) == terms


def test_expands_to_an_odrl_agreement(terms: AgreementTerms) -> None:
    """Expanded with pyld (context served locally), it is an odrl:Agreement with the right rules."""
    (node,) = _expand(to_odrl(terms))
    assert node["@type"] == [ODRL + "Agreement"]
    assert node["@id"] == f"urn:govshare:agreement:{terms.agreement_id}"
    assert _one(node, "assigner")["@id"] == "urn:govshare:department:civil-affairs"
    assert _one(node, "assignee")["@id"] == "urn:govshare:department:hrss"
    permission = _one(node, "permission")
    assert _one(permission, "action")["@id"] == ODRL + "use"
    constraints = {
        (_one(c, "leftOperand")["@id"].removeprefix(ODRL), _one(c, "operator")["@id"].removeprefix(ODRL)):
            _one(c, "rightOperand")
        for c in permission[ODRL + "constraint"]
    }  # fmt: skip
    assert constraints[("purpose", "eq")] == {"@id": "urn:govshare:purpose:subsidy-eligibility"}
    assert constraints[("recipient", "eq")] == {"@id": "urn:govshare:department:hrss"}
    assert constraints[("count", "lteq")]["@value"] == 12
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert constraints[("dateTime", "lt")]["@type"] == xsd + "dateTime"
    duty = _one(permission, "duty")
    assert _one(duty, "action")["@id"] == ODRL + "delete"
    assert _one(_one(duty, "constraint"), "rightOperand") == {
        "@value": "P90D",
        "@type": xsd + "duration",
    }
    prohibition = _one(node, "prohibition")
    assert _one(prohibition, "action")["@id"] == ODRL + "distribute"


def test_chinese_text_survives_expansion(terms: AgreementTerms) -> None:
    """Chinese conditions are carried unchanged through JSON-LD expansion."""
    (node,) = _expand(to_odrl(terms))
    (extension,) = node["https://govshare.example/ns/exchange#terms"]
    assert extension["@value"]["conditions"][-1] == "仅用于本案，用后删除"


def test_loader_fetches_nothing() -> None:
    """The document loader serves only the shipped ODRL context and refuses any other URL."""
    load = odrl_document_loader()
    assert load("http://www.w3.org/ns/odrl.jsonld", {})["document"]["@context"]["odrl"] == ODRL
    with pytest.raises(InputError, match="nothing is fetched"):
        load("https://example.org/context.jsonld", {})
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": "https://example.org/c.jsonld"}, {"documentLoader": load})


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(type="Offer"),
        lambda d: d["prohibition"][0].update(action="use"),
        lambda d: d.update(assignee="https://example.org/x"),
        lambda d: d["permission"][0]["constraint"].pop(0),
        lambda d: d.pop("govshare:terms"),
        lambda d: d["govshare:terms"]["@value"].update(retention_days=1),
    ],
)
def test_from_odrl_refuses_other_documents(terms: AgreementTerms, change: Any) -> None:
    """Documents that are not govshare's ODRL agreements raise InputError."""
    doc = to_odrl(terms)
    change(doc)
    with pytest.raises(InputError):
        from_odrl(doc)
    with pytest.raises(InputError):
        from_odrl("not json")
