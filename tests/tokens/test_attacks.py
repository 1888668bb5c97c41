"""Bad input and attacks: every one is refused with the InvalidToken subclass naming why."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from govshare import Workspace
from govshare.exceptions import (
    AudienceMismatch,
    InvalidToken,
    MalformedToken,
    PurposeMismatch,
    TokenExpired,
    TokenNotYetValid,
    TokenRevoked,
    TokenSignatureInvalid,
    UntrustedKey,
)
from govshare.testing import FrozenClock, temporary_workspace
from govshare.tokens import _paseto
from tests.tokens.conftest import PURPOSE

MakeToken = Callable[..., str]


def _verify(ws: Workspace, token: str, **kw: Any) -> object:
    return ws.tokens.verify(token, audience=ws.department, purpose=PURPOSE, **kw)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _claims(token: str) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[2])[:-64])  # type: ignore[no-any-return]


def _sign_raw(ws: Workspace, claims: dict[str, Any], footer: bytes | None = None) -> str:
    """Sign arbitrary claims with *ws*'s real token key, bypassing the issue() checks."""
    info = ws.keys.ensure("token-signing", "ed25519")
    key = _paseto.private_key(ws.keys.signing_key("token-signing"))
    foot = footer if footer is not None else json.dumps({"kid": info.kid}).encode()
    return _paseto.sign(key, json.dumps(claims).encode(), foot)


def _refusals(ws: Workspace) -> list[str]:
    return [
        str(r.event.data["reason"]) for r in ws.audit.tail(1000) if r.event.type == "token.refused"
    ]


def test_forged_signature(holder: Workspace, make_token: MakeToken) -> None:
    """A valid payload with another signature is refused as TokenSignatureInvalid, and logged."""
    parts = make_token().split(".")
    body = _unb64(parts[2])
    forged = ".".join([*parts[:2], _b64(body[:-64] + bytes(64)), parts[3]])
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, forged)
    assert _refusals(holder)[-1] == "TokenSignatureInvalid"


def test_signed_by_untrusted_department(
    holder: Workspace, tmp_path: Path, clock: FrozenClock
) -> None:
    """A token from a department whose keys were never trusted is refused as UntrustedKey."""
    stranger = temporary_workspace(tmp_path / "stranger", department="stranger", clock=clock)
    token = stranger.tokens.issue(
        audience=holder.department, purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    stranger.close()
    with pytest.raises(UntrustedKey):
        _verify(holder, token)
    assert _refusals(holder)[-1] == "UntrustedKey"


def test_attacker_key_with_a_trusted_kid(holder: Workspace, make_token: MakeToken) -> None:
    """Re-signing with an attacker's key under a trusted key id fails the signature check."""
    from govshare.crypto import SigningKey

    token = make_token()
    parts = token.split(".")
    attacker = _paseto.private_key(SigningKey.generate())
    resigned = _paseto.sign(attacker, _unb64(parts[2])[:-64], _unb64(parts[3]))
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, resigned)


def test_trusted_key_claiming_another_issuer(
    holder: Workspace, issuer: Workspace, make_token: MakeToken
) -> None:
    """A trusted department cannot sign tokens in another department's name (iss must match)."""
    claims = _claims(make_token())
    claims["iss"] = "civil-affairs"
    with pytest.raises(UntrustedKey):
        _verify(holder, _sign_raw(issuer, claims))


@pytest.mark.parametrize(
    "token",
    [
        "v4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAr68PS4AXe7If_ZgesdkUMvSwscFlAl1pk5HC0e8kApeaqMfGo_7OpBnwJOAbY9V7WU6abu74MmcUE8YWAiaArVI8XJ5hOb_4v9RmDkneN0S92dx0OW4pgy7omxgf3S8c3LlQg",
        "v2.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAxOS0wMS0wMVQwMDowMDowMCswMDowMCJ9HQr8URrGntTu7Dz9J2IF23d1M7-9lH9xiqdGyJNvzp4angPW5Esc7C5huy_M8I8_DjJK2ZXC2SUYuOFM-Q_5Cw",
        "v3.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIn0",
        "v1.local.abc",
        "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJocnNzIn0.c2lnbmF0dXJl",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJocnNzIn0.",
        "V4.PUBLIC.eyJzdWIiOiJocnNzIn0",
        "",
    ],
    ids=[
        "v4.local",
        "v2.public",
        "v3.public",
        "v1.local",
        "jwt",
        "jwt-none",
        "upper-case",
        "empty",
    ],
)
def test_wrong_version_purpose_or_format(local_holder: Workspace, token: str) -> None:
    """v4.local, other PASETO versions, JWTs and empty strings are MalformedToken."""
    with pytest.raises(MalformedToken):
        _verify(local_holder, token)


def test_non_string_tokens(holder: Workspace) -> None:
    """bytes or None instead of a token string are MalformedToken."""
    with pytest.raises(MalformedToken):
        _verify(holder, b"v4.public.abc")  # type: ignore[arg-type]
    with pytest.raises(MalformedToken):
        _verify(holder, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[:-30],
        lambda t: t[: len("v4.public.") + 40],
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t + "=",
        lambda t: t + "==",
        lambda t: t + " ",
        lambda t: " " + t,
        lambda t: t + "\n",
        lambda t: t + ".",
        lambda t: t + ".e30",
        lambda t: t.replace(".", "..", 1),
        lambda t: t + "A" * 9000,
    ],
    ids=[
        "drop-1",
        "drop-30",
        "head-only",
        "no-footer",
        "pad-1",
        "pad-2",
        "space",
        "lead-space",
        "newline",
        "dot",
        "extra-part",
        "double-dot",
        "oversize",
    ],
)
def test_truncated_or_padded(
    local_holder: Workspace, local_make_token: MakeToken, mangle: Callable[[str], str]
) -> None:
    """Truncated, padded, re-split or oversized tokens are refused as InvalidToken."""
    with pytest.raises(InvalidToken):
        _verify(local_holder, mangle(local_make_token()))


def test_modified_payload(holder: Workspace, make_token: MakeToken) -> None:
    """Changing any claim (here: widening categories) breaks the signature."""
    parts = make_token(categories=["income"]).split(".")
    body = _unb64(parts[2])
    claims = body[:-64].replace(b'"income"', b'"health"')
    tampered = ".".join([*parts[:2], _b64(claims + body[-64:]), parts[3]])
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, tampered, categories=["health"])


def test_non_canonical_base64_is_refused(holder: Workspace, make_token: MakeToken) -> None:
    """A payload whose last base64 character carries stray bits (same bytes) is MalformedToken."""
    footer = make_token().split(".")[3]
    body = _b64(bytes(100))  # 100 bytes: the last character holds 4 unused bits
    assert body.endswith("A")
    stray = body[:-1] + "B"
    assert _unb64(stray) == _unb64(body)
    with pytest.raises(MalformedToken, match="canonical"):
        _verify(holder, f"v4.public.{stray}.{footer}")


def test_modified_footer(holder: Workspace, make_token: MakeToken) -> None:
    """A footer naming another trusted key, or re-spaced, breaks the signature or the format."""
    parts = make_token().split(".")
    footer = json.loads(_unb64(parts[3]))
    respaced = _b64(json.dumps(footer, indent=1).encode())
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, ".".join([*parts[:3], respaced]))
    own = holder.keys.ensure("token-signing", "ed25519").kid
    with pytest.raises(TokenSignatureInvalid):
        _verify(holder, ".".join([*parts[:3], _b64(json.dumps({"kid": own}).encode())]))
    for bad in (b"not json", b'{"kid": 1}', b'{"kid": "a", "x": 1}', b"[]", b"{" * 400):
        with pytest.raises(MalformedToken):
            _verify(holder, ".".join([*parts[:3], _b64(bad)]))


def test_expired(holder: Workspace, make_token: MakeToken, clock: FrozenClock) -> None:
    """Past exp (beyond the 30 s leeway) the token is TokenExpired; within the leeway it passes."""
    token = make_token()
    clock.advance(hours=1, seconds=20)
    _verify(holder, token, consume=False)
    clock.advance(seconds=10)
    with pytest.raises(TokenExpired):
        _verify(holder, token)


def test_not_yet_valid(holder: Workspace, make_token: MakeToken, clock: FrozenClock) -> None:
    """Before nbf (beyond the leeway) the token is TokenNotYetValid."""
    token = make_token(not_before=clock.now() + timedelta(minutes=5))
    with pytest.raises(TokenNotYetValid):
        _verify(holder, token)
    clock.advance(minutes=4, seconds=40)
    _verify(holder, token)


def test_issued_in_the_future(holder: Workspace, issuer: Workspace, make_token: MakeToken) -> None:
    """A token whose iat lies in the future (a skewed issuer clock) is TokenNotYetValid."""
    claims = _claims(make_token())
    claims["iat"] = "2026-01-01T00:10:00Z"
    with pytest.raises(TokenNotYetValid):
        _verify(holder, _sign_raw(issuer, claims))


def test_wrong_audience(holder: Workspace, make_token: MakeToken) -> None:
    """A token for another department is AudienceMismatch."""
    with pytest.raises(AudienceMismatch):
        _verify(holder, make_token(audience="public-security"))


def test_purpose_not_granted(holder: Workspace, make_token: MakeToken) -> None:
    """Asking for another purpose is PurposeMismatch."""
    token = make_token()
    with pytest.raises(PurposeMismatch):
        holder.tokens.verify(token, audience=holder.department, purpose="marketing")


def test_category_escalation(holder: Workspace, make_token: MakeToken) -> None:
    """Asking for a category the token does not grant is PurposeMismatch; a subset passes."""
    token = make_token(categories=["income"])
    with pytest.raises(PurposeMismatch):
        _verify(holder, token, categories=["income", "health"])
    with pytest.raises(PurposeMismatch):
        _verify(holder, token, action="write")
    _verify(holder, token, categories=["income"])


def test_revoked(holder: Workspace, make_token: MakeToken) -> None:
    """A revoked token is TokenRevoked, and the refusal is logged."""
    token = make_token()
    holder.tokens.revoke(token)
    with pytest.raises(TokenRevoked):
        _verify(holder, token)
    assert _refusals(holder)[-1] == "TokenRevoked"


def test_naive_datetime_in_claims(
    holder: Workspace, issuer: Workspace, make_token: MakeToken
) -> None:
    """A (correctly signed) token whose exp has no timezone is MalformedToken."""
    claims = _claims(make_token())
    claims["exp"] = "2026-01-01T01:00:00"
    with pytest.raises(MalformedToken):
        _verify(holder, _sign_raw(issuer, claims))


@pytest.mark.parametrize(
    "change",
    [
        {"authorization_details": []},
        {"jti": "x"},
        {"exp": "2025-01-01T00:00:00Z"},
        {"max_uses": 0},
        {"extra": 1},
        {"aud": "110101199003071234"},
    ],
    ids=["no-detail", "bad-jti", "exp-before-nbf", "zero-uses", "unknown-claim", "id-shaped"],
)
def test_malformed_claims_signed_by_trusted_key(
    local_holder: Workspace, issuer: Workspace, local_make_token: MakeToken, change: dict[str, Any]
) -> None:
    """Well-signed tokens with malformed claims are MalformedToken, never another error."""
    claims = {**_claims(local_make_token()), **change}
    with pytest.raises(MalformedToken):
        _verify(local_holder, _sign_raw(issuer, claims))


def test_payload_not_a_json_object(holder: Workspace, issuer: Workspace) -> None:
    """A well-signed payload that is a JSON list, or not JSON at all, is MalformedToken."""
    info = issuer.keys.ensure("token-signing", "ed25519")
    key = _paseto.private_key(issuer.keys.signing_key("token-signing"))
    footer = json.dumps({"kid": info.kid}).encode()
    for payload in (b"[1, 2]", b"\xff\xfe", b"[" * 5000):
        with pytest.raises(MalformedToken):
            _verify(holder, _paseto.sign(key, payload, footer))
