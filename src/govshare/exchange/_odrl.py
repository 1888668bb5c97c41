"""ODRL 2.2 export and import of agreement terms (``odrl:Agreement`` in JSON-LD).

The export is an ``odrl:Agreement`` whose assigner is the provider and assignee the requester,
targeting the catalogue item; one permission to ``use`` it, constrained by purpose, recipient,
the validity window (``dateTime``) and the number of releases (``count``), with the duty to
``delete`` the data within the retention period (``delayPeriod``); and a prohibition to
``distribute`` it (no onward transfer). What ODRL has no term for (columns and their categories,
legal and duty basis, principals, ...) is carried in govshare's own namespace, so
``from_odrl(to_odrl(terms)) == terms``.

The ODRL 2.2 JSON-LD context ships with govshare (``data/odrl.jsonld``);
:func:`odrl_document_loader` serves it to a JSON-LD processor (e.g. pyld) so nothing is fetched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from govshare._clock import utc_iso
from govshare._models import build
from govshare.exceptions import InputError
from govshare.exchange._models import AgreementTerms
from govshare.identifiers import shown

__all__ = ["GOVSHARE_NS", "ODRL_CONTEXT", "from_odrl", "odrl_document_loader", "to_odrl"]

ODRL_CONTEXT: Final = "http://www.w3.org/ns/odrl.jsonld"
GOVSHARE_NS: Final = "https://govshare.example/ns/exchange#"
PROFILE: Final = "https://govshare.example/ns/exchange"
_CONTEXT: Final = [ODRL_CONTEXT, {"govshare": GOVSHARE_NS}]
_URN: Final = "urn:govshare:"


def _department(name: str) -> str:
    return f"{_URN}department:{name}"


def _literal(value: Any, datatype: str) -> dict[str, Any]:
    return {"@value": value, "@type": f"xsd:{datatype}"}


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def to_odrl(terms: AgreementTerms) -> dict[str, Any]:
    """*terms* as an ODRL 2.2 ``Agreement`` (compact JSON-LD, ready for ``json.dumps``)."""
    assigner, assignee = _department(terms.provider), _department(terms.requester)
    target = f"{_URN}catalogue:{terms.provider}:{terms.item_id}:{terms.item_version}"
    constraints = [
        _constraint("purpose", "eq", {"@id": f"{_URN}purpose:{terms.purpose}"}),
        _constraint("recipient", "eq", {"@id": assignee}),
        _constraint("dateTime", "gteq", _literal(utc_iso(terms.effective_from), "dateTime")),
        _constraint("dateTime", "lt", _literal(utc_iso(terms.expires_at), "dateTime")),
    ]
    if terms.limits.max_releases is not None:
        constraints.append(
            _constraint("count", "lteq", _literal(terms.limits.max_releases, "integer"))
        )
    retention = _literal(f"P{terms.retention_days}D", "duration")
    parties = {"target": target, "assigner": assigner, "assignee": assignee}
    return {
        "@context": _CONTEXT,
        "type": "Agreement",
        "uid": f"{_URN}agreement:{terms.agreement_id}",
        "profile": PROFILE,
        **parties,
        "permission": [
            {
                **parties,
                "action": "use",
                "constraint": constraints,
                "duty": [
                    {
                        "action": "delete",
                        "constraint": [_constraint("delayPeriod", "lteq", retention)],
                    }
                ],
            }
        ],
        "prohibition": [{**parties, "action": "distribute"}],
        "govshare:terms": {"@type": "@json", "@value": _extension(terms)},
    }


def _extension(terms: AgreementTerms) -> dict[str, Any]:
    """What ODRL has no term for, as govshare's own JSON (a ``@json`` literal)."""
    data = terms.model_dump(mode="json")
    for name in ("agreement_id", "provider", "requester", "item_id", "item_version", "purpose"):
        del data[name]
    for name in ("effective_from", "expires_at", "retention_days", "onward_transfer"):
        del data[name]
    data["limits"].pop("max_releases")
    return data


def from_odrl(doc: Mapping[str, Any] | str) -> AgreementTerms:
    """The agreement terms of an ODRL ``Agreement`` that :func:`to_odrl` wrote.

    Raises:
        InputError: it is not such a document, or its terms are invalid.
    """
    try:
        data = json.loads(doc) if isinstance(doc, str) else dict(doc)
        return _parse(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise InputError("not an ODRL agreement written by govshare's to_odrl()") from None


def _parse(data: dict[str, Any]) -> AgreementTerms:
    if data["type"] != "Agreement" or data.get("profile") != PROFILE:
        raise ValueError("not a govshare ODRL agreement")
    (permission,) = data["permission"]
    (prohibition,) = data["prohibition"]
    if permission["action"] != "use" or prohibition["action"] != "distribute":
        raise ValueError("unexpected actions")
    found: dict[tuple[str, str], Any] = {}
    for c in permission["constraint"]:
        right = c["rightOperand"]
        found[(c["leftOperand"], c["operator"])] = right.get("@value", right.get("@id"))
    (duty,) = permission["duty"]
    (keep,) = duty["constraint"]
    if duty["action"] != "delete" or (keep["leftOperand"], keep["operator"]) != (
        "delayPeriod",
        "lteq",
    ):
        raise ValueError("unexpected duty")
    provider = _strip(data["assigner"], "department:")
    requester = _strip(data["assignee"], "department:")
    if found[("recipient", "eq")] != data["assignee"]:
        raise ValueError("the recipient is not the assignee")
    item_provider, item_id, item_version = _strip(data["target"], "catalogue:").split(":")
    if item_provider != provider:
        raise ValueError("the target is not the assigner's")
    extra = dict(data["govshare:terms"]["@value"])
    extra["limits"] = dict(extra["limits"]) | {"max_releases": found.get(("count", "lteq"))}
    return build(
        AgreementTerms,
        **extra,
        agreement_id=_strip(data["uid"], "agreement:"),
        provider=provider,
        requester=requester,
        item_id=item_id,
        item_version=int(item_version),
        purpose=_strip(found[("purpose", "eq")], "purpose:"),
        effective_from=found[("dateTime", "gteq")],
        expires_at=found[("dateTime", "lt")],
        retention_days=int(keep["rightOperand"]["@value"].removeprefix("P").removesuffix("D")),
    )


def _strip(iri: str, kind: str) -> str:
    prefix = _URN + kind
    if not isinstance(iri, str) or not iri.startswith(prefix):
        raise ValueError(f"not a {kind} IRI")
    return iri[len(prefix) :]


@cache
def _context_document() -> dict[str, Any]:
    text = resources.files("govshare.exchange").joinpath("data/odrl.jsonld").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def odrl_document_loader(
    fallback: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """A JSON-LD document loader (pyld's interface) that serves the ODRL 2.2 context from the
    copy shipped with govshare, and refuses every other URL unless *fallback* loads it.

    Use it as ``pyld.jsonld.expand(doc, {"documentLoader": odrl_document_loader()})``: nothing
    is fetched from the network.
    """

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url.rstrip("#") in (ODRL_CONTEXT, "https://www.w3.org/ns/odrl.jsonld"):
            return {"contextUrl": None, "documentUrl": url, "document": _context_document()}
        if fallback is not None:
            return fallback(url, options or {})
        raise InputError(f"no local copy of JSON-LD document {shown(url)} (nothing is fetched)")

    return load
