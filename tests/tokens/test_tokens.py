"""Issue, verify, revoke, introspect and exchange: the behaviour of ws.tokens on both backends."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from govshare import Workspace
from govshare.exceptions import (
    InputError,
    NaiveDatetimeError,
    PurposeMismatch,
    TokenReplayed,
    TokenRevoked,
    TokenSignatureInvalid,
    UntrustedKey,
)
from govshare.testing import TEST_PASSPHRASE, FrozenClock
from govshare.tokens import Grant
from tests.conftest import Target
from tests.tokens.conftest import ISSUER, PURPOSE

MakeToken = Callable[..., str]


def _verify(ws: Workspace, token: str, **kw: object) -> Grant:
    return ws.tokens.verify(token, audience=ws.department, purpose=PURPOSE, **kw)  # type: ignore[arg-type]


def test_issue_then_verify_returns_the_grant(holder: Workspace, make_token: MakeToken) -> None:
    """A token issued by a trusted department verifies and its grant carries the claim set."""
    token = make_token(max_uses=3, dataset="residents-2026", actions=["read", "link"])
    grant = _verify(holder, token, categories=["income"], action="link")
    claims = grant.claims
    assert (claims.iss, claims.sub, claims.aud) == (ISSUER, ISSUER, holder.department)
    assert grant.purpose == PURPOSE
    assert grant.categories == ("identity", "income")
    assert claims.detail.dataset == "residents-2026"
    assert claims.detail.legal_basis == "consent"
    assert (grant.uses, grant.remaining) == (1, 2)
    assert claims.exp - claims.nbf == timedelta(hours=1)
    assert grant.kid.startswith("token-signing-v1-")


def test_payload_is_the_documented_claim_set(issuer: Workspace, make_token: MakeToken) -> None:
    """The token's payload has exactly iss/sub/aud/iat/nbf/exp/jti and one authorization detail."""
    token = make_token(consent_record="consent-42", consent_hash=b"\x01" * 32, max_uses=1)
    import base64

    body = token.split(".")[2]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))[:-64])
    assert set(payload) == {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "max_uses",
                            "authorization_details"}  # fmt: skip
    assert payload["authorization_details"] == [
        {
            "type": "govshare_data_access",
            "purpose": PURPOSE,
            "legal_basis": "consent",
            "categories": ["identity", "income"],
            "actions": ["read"],
            "consent_record": "consent-42",
        }
    ]
    assert payload["exp"] == "2026-01-01T01:00:00Z"
    footer = token.split(".")[3]
    kid = json.loads(base64.urlsafe_b64decode(footer + "=" * (-len(footer) % 4)))["kid"]
    assert kid == issuer.keys.info("token-signing").kid


def test_every_accept_and_refusal_is_logged(holder: Workspace, make_token: MakeToken) -> None:
    """An accepted verify logs token.accepted; a refused one logs token.refused with its reason."""
    token = make_token(max_uses=1)
    grant = _verify(holder, token)
    with pytest.raises(TokenReplayed):
        _verify(holder, token)
    events = [r.event for r in holder.audit.tail(2)]
    assert events[0].type == "token.accepted"
    assert events[0].data["jti"] == grant.jti
    assert events[1].type == "token.refused"
    assert events[1].data["reason"] == "TokenReplayed"
    assert events[1].data["jti"] == grant.jti
    holder.audit.verify()


def test_issue_is_logged_by_the_issuer(issuer: Workspace, make_token: MakeToken) -> None:
    """Issuing records token.issued (jti, audience, purpose, categories) in the issuer's log."""
    make_token()
    event = issuer.audit.tail(1)[0].event
    assert event.type == "token.issued"
    assert event.data["purpose"] == PURPOSE
    assert event.data["categories"] == ["identity", "income"]


def test_consume_false_checks_without_using(holder: Workspace, make_token: MakeToken) -> None:
    """verify(consume=False) accepts without counting a use."""
    token = make_token(max_uses=1)
    assert _verify(holder, token, consume=False).uses == 0
    assert _verify(holder, token).uses == 1
    with pytest.raises(TokenReplayed):
        _verify(holder, token, consume=False)


def test_revoke_refuses_later_verifies(holder: Workspace, make_token: MakeToken) -> None:
    """After revoke(jti) the token is refused with TokenRevoked; revoking twice returns False."""
    token = make_token()
    jti = _verify(holder, token).jti
    assert holder.tokens.revoke(jti) is True
    assert holder.tokens.revoke(jti) is False
    with pytest.raises(TokenRevoked):
        _verify(holder, token)
    assert holder.tokens.introspect(token) == {"active": False}


def test_revoke_before_first_use(holder: Workspace, make_token: MakeToken) -> None:
    """A token revoked (by passing the token itself) before it was ever presented here is
    refused on first presentation; its bare id, never seen here, is refused by revoke()."""
    token = make_token()
    jti = holder.tokens.introspect(token)["jti"]
    with pytest.raises(InputError):
        holder.tokens.revoke(jti)
    assert holder.tokens.revoke(token) is True
    with pytest.raises(TokenRevoked):
        _verify(holder, token)


def test_revoke_refuses_malformed_ids(holder: Workspace) -> None:
    """revoke() takes only 32-hex-digit token ids."""
    with pytest.raises(InputError):
        holder.tokens.revoke("not-a-jti")


def test_introspect_reports_active_claims(holder: Workspace, make_token: MakeToken) -> None:
    """introspect() gives active=True with the claims, jti, kid and use count, and logs nothing."""
    token = make_token(max_uses=2)
    size = holder.audit.size()
    info = holder.tokens.introspect(token)
    assert info["active"] is True
    assert info["aud"] == holder.department
    assert len(info["jti"]) == 32
    assert info["uses"] == 0
    assert holder.audit.size() == size
    assert holder.tokens.introspect("garbage") == {"active": False}


def test_exchange_narrows_and_reserves_uses(holder: Workspace, make_token: MakeToken) -> None:
    """exchange() re-issues a narrower token and takes its uses from the original's count."""
    token = make_token(max_uses=3)
    narrow = holder.tokens.exchange(token, categories=["income"], max_uses=2)
    grant = _verify(holder, narrow, categories=["income"])
    assert grant.categories == ("income",)
    assert grant.claims.parent == holder.tokens.introspect(token)["jti"]
    assert grant.claims.iss == holder.department
    assert holder.tokens.introspect(token)["uses"] == 2
    with pytest.raises(PurposeMismatch):
        _verify(holder, narrow, categories=["identity"])


def test_exchange_never_widens(holder: Workspace, make_token: MakeToken) -> None:
    """Asking exchange() for more categories, actions, uses or another dataset is refused."""
    token = make_token(max_uses=2, categories=["income"], dataset="residents-2026")
    with pytest.raises(PurposeMismatch):
        holder.tokens.exchange(token, categories=["income", "identity"])
    with pytest.raises(PurposeMismatch):
        holder.tokens.exchange(token, actions=["read", "write"])
    with pytest.raises(PurposeMismatch):
        holder.tokens.exchange(token, dataset="other-dataset")
    with pytest.raises(TokenReplayed):
        holder.tokens.exchange(token, max_uses=3)
    assert holder.audit.tail(1)[0].event.data["operation"] == "exchange"


def test_exchange_cannot_outlive_the_original(
    holder: Workspace, make_token: MakeToken, clock: FrozenClock
) -> None:
    """An exchanged token expires no later than the original, whatever ttl is asked."""
    token = make_token()
    narrow = holder.tokens.exchange(token, ttl=timedelta(days=30))
    assert _verify(holder, narrow).claims.exp == datetime(2026, 1, 1, 1, tzinfo=UTC)


def test_revoking_the_parent_revokes_exchanged_tokens(
    holder: Workspace, make_token: MakeToken
) -> None:
    """A token exchanged from a revoked token is refused."""
    token = make_token()
    narrow = holder.tokens.exchange(token, categories=["income"])
    holder.tokens.revoke(holder.tokens.introspect(token)["jti"])
    with pytest.raises(TokenRevoked):
        _verify(holder, narrow)


def test_exchange_of_exhausted_token_is_refused(holder: Workspace, make_token: MakeToken) -> None:
    """A limited token with no use left cannot be exchanged for a fresh one."""
    token = make_token(max_uses=1)
    _verify(holder, token)
    with pytest.raises(TokenReplayed):
        holder.tokens.exchange(token)


def test_rotation_keeps_old_tokens_until_retired(
    holder: Workspace, issuer: Workspace, make_token: MakeToken
) -> None:
    """After rotation old tokens verify while the old key is trusted; retiring it refuses them."""
    old = make_token()
    issuer.keys.rotate("token-signing")
    new = make_token()
    assert holder.tokens.trust(issuer.keys.export_public()) == sorted(
        i.kid for i in issuer.keys.key_infos() if i.name in ("token-signing", "document-signing")
    )
    _verify(holder, old)
    _verify(holder, new)
    issuer.keys.retire("token-signing", 1)
    holder.tokens.trust(issuer.keys.export_public())
    with pytest.raises(UntrustedKey):
        _verify(holder, old)
    _verify(holder, new)


def test_retired_key_is_not_reactivated_by_an_old_document(
    holder: Workspace, issuer: Workspace, make_token: MakeToken
) -> None:
    """Replaying a key document that still lists a retired key does not trust it again."""
    old_doc = issuer.keys.export_public()
    token = make_token()
    issuer.keys.rotate("token-signing")
    issuer.keys.retire("token-signing", 1)
    holder.tokens.trust(issuer.keys.export_public())
    holder.tokens.trust(old_doc)
    with pytest.raises(UntrustedKey):
        _verify(holder, token)


def test_retirement_by_another_process_is_seen(
    holder: Workspace, issuer: Workspace, make_token: MakeToken, target: Target, tmp_path: Path
) -> None:
    """A trusted key cached by one Tokens object is refused once another one retires it."""
    token = make_token()
    _verify(holder, token, consume=False)  # the key is now cached in holder.tokens
    issuer.keys.rotate("token-signing")
    issuer.keys.retire("token-signing", 1)
    other = Workspace.open(
        target.url, schema=target.schema, passphrase=TEST_PASSPHRASE,
        key_file=tmp_path / "govshare.keys",
    )  # fmt: skip
    try:
        other.tokens.trust(issuer.keys.export_public())
    finally:
        other.close()
    with pytest.raises(UntrustedKey):
        _verify(holder, token)


def test_own_retired_key_is_refused(workspace: Workspace) -> None:
    """A department's own token signed with a key it has since retired is refused."""
    ws = workspace
    token = ws.tokens.issue(
        audience=ws.department, purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    _verify(ws, token, consume=False)
    ws.keys.rotate("token-signing")
    _verify(ws, token, consume=False)
    ws.keys.retire("token-signing", 1)
    with pytest.raises(UntrustedKey):
        _verify(ws, token)


def test_export_public_document(issuer: Workspace) -> None:
    """export_public() lists the active token and document keys with kid, type, use, key, status."""
    doc = json.loads(issuer.keys.export_public())
    assert doc["format"] == "govshare.public-keys.v2"
    assert doc["department"] == ISSUER
    token, document = doc["keys"]
    assert set(token) == {"kid", "type", "use", "public_key", "status", "created"}
    assert (token["use"], document["use"]) == ("tokens", "documents")
    assert token["kid"].startswith("token-signing-v1-")
    assert document["kid"].startswith("document-signing-v1-")
    assert token["type"] == "ed25519"
    assert token["status"] == "active"
    assert token["public_key"].startswith("k4.public.")
    assert "secret" not in issuer.keys.export_public()


def test_old_token_key_documents_are_still_trusted(holder: Workspace, issuer: Workspace) -> None:
    """A govshare.token-keys.v1 document (no use field) is trusted as token keys only."""
    doc = json.loads(issuer.keys.export_public())
    old = {"format": "govshare.token-keys.v1", "department": ISSUER, "keys": [doc["keys"][0]]}
    del old["keys"][0]["use"]
    assert holder.tokens.trust(old) == [doc["keys"][0]["kid"]]
    kid = doc["keys"][0]["kid"]
    assert holder.tokens.trusted_key(kid, use="tokens") is not None
    assert holder.tokens.trusted_key(kid, use="documents") is None
    doc["keys"][1]["use"] = "documents"
    mixed = {"format": "govshare.token-keys.v1", "department": ISSUER, "keys": doc["keys"]}
    with pytest.raises(InputError):
        holder.tokens.trust(mixed)


def test_a_key_is_trusted_for_its_use_only(holder: Workspace, issuer: Workspace) -> None:
    """A document key is never returned as a token key, and a key id cannot change its use."""
    doc = json.loads(issuer.keys.export_public())
    document_kid = doc["keys"][1]["kid"]
    assert holder.tokens.trusted_key(document_kid, use="documents") is not None
    assert holder.tokens.trusted_key(document_kid, use="tokens") is None
    doc["keys"][1]["use"] = "tokens"
    with pytest.raises(InputError, match="another key"):
        holder.tokens.trust(doc)


def test_trust_refuses_bad_documents(holder: Workspace, issuer: Workspace) -> None:
    """trust() refuses malformed documents, its own document and a key that mismatches its id."""
    with pytest.raises(InputError):
        holder.tokens.trust("{not json")
    with pytest.raises(InputError):
        holder.tokens.trust(holder.keys.export_public())
    doc = json.loads(issuer.keys.export_public())
    doc["keys"][0]["kid"] = doc["keys"][0]["kid"][:-4] + "0000"
    with pytest.raises(InputError):
        holder.tokens.trust(doc)


def test_trust_refuses_a_key_id_taken_by_another_key(holder: Workspace, issuer: Workspace) -> None:
    """A document claiming an already-trusted key id for another department is refused."""
    doc = json.loads(issuer.keys.export_public())
    doc["department"] = "impostor"
    with pytest.raises(InputError):
        holder.tokens.trust(doc)


def test_consent_hash_is_bound(holder: Workspace, make_token: MakeToken) -> None:
    """A consent-bound token verifies only with the same consent record hash."""
    digest = hashlib.sha256(b"consent record 42, version 1").digest()
    token = make_token(consent_record="consent-42", consent_hash=digest)
    assert _verify(holder, token, consent_hash=digest).claims.detail.consent_record == "consent-42"
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, token)
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, token, consent_hash=hashlib.sha256(b"withdrawn").digest())


@pytest.mark.parametrize(
    "overrides",
    [
        {"ttl": timedelta(0)},
        {"ttl": timedelta(days=400)},
        {"ttl": 3600},
        {"max_uses": 0},
        {"max_uses": True},
        {"categories": []},
        {"categories": "income"},
        {"purpose": "Subsidy Eligibility"},
        {"audience": "x" * 80},
        {"consent_record": "consent-1"},
        {"consent_hash": b"\x00" * 32},
        {"consent_record": "c-1", "consent_hash": b"short"},
        {"dataset": "110101199003071234"},
        {"consent_record": "110101199003071234", "consent_hash": b"\x00" * 32},
    ],
)
def test_issue_rejects_bad_arguments(
    local_make_token: MakeToken, overrides: dict[str, object]
) -> None:
    """issue() refuses malformed arguments (and identifier-shaped values) with InputError."""
    with pytest.raises(InputError):
        local_make_token(**overrides)


def test_naive_datetimes_are_refused(holder: Workspace, make_token: MakeToken) -> None:
    """issue() and verify() refuse naive datetimes for now= and not_before=."""
    naive = datetime(2026, 1, 1)
    with pytest.raises(NaiveDatetimeError):
        make_token(now=naive)
    with pytest.raises(NaiveDatetimeError):
        make_token(not_before=naive)
    with pytest.raises(NaiveDatetimeError):
        _verify(holder, make_token(), now=naive)


def test_verify_rejects_bad_caller_arguments(holder: Workspace, make_token: MakeToken) -> None:
    """verify() refuses a malformed audience, purpose, category list or consent hash."""
    token = make_token()
    with pytest.raises(InputError):
        holder.tokens.verify(token, audience="Bad Audience", purpose=PURPOSE)
    with pytest.raises(InputError):
        _verify(holder, token, categories="income")
    with pytest.raises(InputError):
        _verify(holder, token, consent_hash="abc")


def test_issue_many_issues_and_logs_every_token(issuer: Workspace, holder: Workspace) -> None:
    """issue_many() returns one verifiable token per request and logs each in one transaction."""
    size = issuer.audit.size()
    requests = [
        {
            "audience": holder.department,
            "purpose": PURPOSE,
            "categories": [c],
            "ttl": timedelta(hours=1),
        }
        for c in ("income", "identity", "household")
    ]
    tokens = issuer.tokens.issue_many(requests)
    assert len(set(tokens)) == 3
    assert [_verify(holder, t).categories for t in tokens] == [
        ("income",),
        ("identity",),
        ("household",),
    ]
    events = [r.event for r in issuer.audit.entries(size)]
    assert [e.type for e in events] == ["token.issued"] * 3


def test_issue_many_is_all_or_nothing(issuer: Workspace, holder: Workspace) -> None:
    """One malformed request in issue_many() issues and logs nothing."""
    size = issuer.audit.size()
    good = {
        "audience": holder.department,
        "purpose": PURPOSE,
        "categories": ["income"],
        "ttl": timedelta(hours=1),
    }
    with pytest.raises(InputError):
        issuer.tokens.issue_many([good, {**good, "max_uses": 0}])
    with pytest.raises(InputError):
        issuer.tokens.issue_many([good, {**good, "colour": "red"}])
    with pytest.raises(InputError):
        issuer.tokens.issue_many(["not a mapping"])  # type: ignore[list-item]
    assert issuer.audit.size() == size
