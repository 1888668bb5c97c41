"""Signed documents: only a trusted document key of the issuer verifies them, once each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.exceptions import (
    DocumentMismatch,
    DocumentReplayed,
    DocumentSignatureInvalid,
    InvalidDocument,
    MalformedDocument,
    UntrustedSigner,
)
from govshare.exchange import SignedDocument
from govshare.testing import FrozenClock, temporary_workspace
from tests.exchange.conftest import Pair, item_fields, refused_once, stored_rows


def _catalogue(pair: Pair) -> SignedDocument:
    pair.provider.catalogue.publish(item_fields())
    return pair.provider.catalogue.export()


def test_document_round_trips_and_names_its_parts(pair: Pair) -> None:
    """An exported catalogue is a govshare.document.v1 with a fresh id, issuer, kid and signature."""
    doc = _catalogue(pair)
    data = json.loads(doc.to_json())
    assert data["format"] == "govshare.document.v1"
    assert (data["type"], data["issuer"], data["audience"]) == ("catalogue", "civil-affairs", None)
    assert data["kid"].startswith("document-signing-v1-")
    assert len(data["signature"]) == 86
    assert pair.provider.catalogue.export().id != doc.id
    assert [i.item_id for i in pair.requester.catalogue.import_catalogue(doc.to_json())] == [
        "low-income-households"
    ]


def test_untrusted_key_is_refused(pair: Pair, tmp_path: Path, clock: FrozenClock) -> None:
    """A document signed by a department this store does not trust is refused, once audited."""
    stranger = temporary_workspace(tmp_path / "stranger", department="stranger", clock=clock)
    stranger.catalogue.publish(item_fields(source_department="stranger"))
    doc = stranger.catalogue.export()
    facts = refused_once(
        pair.requester, lambda: pair.requester.catalogue.import_catalogue(doc), UntrustedSigner
    )
    assert facts["document_issuer"] == "stranger"
    stranger.close()


def test_another_departments_key_is_refused(pair: Pair, tmp_path: Path, clock: FrozenClock) -> None:
    """A document naming civil-affairs as issuer but signed with another trusted department's key is refused."""
    other = temporary_workspace(tmp_path / "other", department="other", clock=clock)
    pair.requester.tokens.trust(other.keys.export_public())
    other.catalogue.publish(item_fields(source_department="other"))
    data = json.loads(other.catalogue.export().to_json())
    data["issuer"] = "civil-affairs"
    refused_once(
        pair.requester, lambda: pair.requester.catalogue.import_catalogue(data), UntrustedSigner
    )
    other.close()


def test_a_token_key_does_not_verify_documents(pair: Pair) -> None:
    """A document whose kid names the issuer's token-signing key is refused: keys have one use."""
    data = json.loads(_catalogue(pair).to_json())
    token_kid = pair.provider.keys.info("token-signing").kid
    data["kid"] = token_kid.replace("token-signing", "document-signing")
    refused_once(
        pair.requester, lambda: pair.requester.catalogue.import_catalogue(data), UntrustedSigner
    )


def test_altered_document_is_refused(pair: Pair) -> None:
    """Changing one letter of the payload after signing breaks the signature."""
    data = json.loads(_catalogue(pair).to_json())
    data["payload"]["items"][0]["title_zh"] = "城乡低保家庭（改）"
    refused_once(
        pair.requester,
        lambda: pair.requester.catalogue.import_catalogue(data),
        DocumentSignatureInvalid,
    )


def test_replayed_document_is_refused(pair: Pair) -> None:
    """Importing the same document twice is refused the second time, leaving one audit event."""
    doc = _catalogue(pair)
    pair.requester.catalogue.import_catalogue(doc)
    refused_once(
        pair.requester, lambda: pair.requester.catalogue.import_catalogue(doc), DocumentReplayed
    )


def test_own_document_is_refused(pair: Pair) -> None:
    """A department does not import its own documents."""
    doc = _catalogue(pair)
    refused_once(
        pair.provider, lambda: pair.provider.catalogue.import_catalogue(doc), DocumentMismatch
    )


def test_wrong_document_type_is_refused(pair: Pair) -> None:
    """A catalogue handed to requests.receive() is refused as a mismatch."""
    doc = _catalogue(pair)
    refused_once(pair.requester, lambda: pair.requester.requests.receive(doc), DocumentMismatch)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{not json",
        '{"format": "govshare.document.v1"}',
        '{"a": 1, "a": 1}',
        "NaN",
        "x" * 10,
    ],
)
def test_malformed_documents_are_refused(pair: Pair, text: str) -> None:
    """Text that is not a well-formed signed document is refused as malformed, once audited."""
    refused_once(
        pair.requester, lambda: pair.requester.catalogue.import_catalogue(text), MalformedDocument
    )


def test_non_canonical_signature_is_refused(pair: Pair) -> None:
    """A signature text that decodes to the same bytes but is not canonical base64url is refused."""
    data = json.loads(_catalogue(pair).to_json())
    last = data["signature"][-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    data["signature"] = data["signature"][:-1] + alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(InvalidDocument):
        pair.requester.catalogue.import_catalogue(data)


def _mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """*value* with the node chosen by *path* (indexes into members/items) replaced."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    keys = sorted(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = _mutate(value[key], path[1:], replacement)
    return copy


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8),
    replacement=st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=5),
        st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
)  # fmt: skip
def test_any_change_to_any_member_is_refused(
    sqlite_signed: tuple[Workspace, dict[str, Any]], path: list[int], replacement: Any
) -> None:
    """Replacing any member or item at any depth of a signed document gets it refused."""
    ws, original = sqlite_signed
    mutated = _mutate(original, path, replacement)
    if mutated == original:
        return
    with pytest.raises(InvalidDocument):
        ws.catalogue.import_catalogue(mutated)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_byte_change_is_refused_or_the_same_document(
    sqlite_signed: tuple[Workspace, dict[str, Any]], data: st.DataObject
) -> None:
    """Flipping bytes of the JSON text is refused, unless the text still parses to the same document."""
    ws, original = sqlite_signed
    raw = bytearray(json.dumps(original, ensure_ascii=False).encode("utf-8"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        raw[data.draw(st.integers(min_value=0, max_value=len(raw) - 1))] ^= data.draw(
            st.integers(min_value=1, max_value=255)
        )
    try:
        same = json.loads(bytes(raw)) == original
    except ValueError:
        same = False
    if same:
        return
    before = stored_rows(ws)
    with pytest.raises(InvalidDocument):
        ws.catalogue.import_catalogue(bytes(raw))
    assert stored_rows(ws) == before | {"audit": before["audit"] + 1}


@pytest.fixture
def sqlite_signed(tmp_path: Path, clock: FrozenClock) -> Any:
    """A requester on SQLite and a signed catalogue from a provider it trusts (as parsed JSON)."""
    provider = temporary_workspace(tmp_path / "p", department="civil-affairs", clock=clock)
    requester = temporary_workspace(tmp_path / "r", department="hrss", clock=clock)
    requester.tokens.trust(provider.keys.export_public())
    provider.catalogue.publish(item_fields())
    doc = json.loads(provider.catalogue.export().to_json())
    yield requester, doc
    provider.close()
    requester.close()
