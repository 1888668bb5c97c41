"""The official PASETO v4.public test vectors pass through govshare's signing and verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import MalformedToken, TokenSignatureInvalid
from govshare.tokens import _paseto

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "tokens" / "paseto_v4.json"


def load_vectors() -> list[dict[str, Any]]:
    """The stored cases of paseto-standard/test-vectors v4.json (see PROVENANCE.md)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["tests"]  # type: ignore[no-any-return]


SIGNED = [c for c in load_vectors() if not c["expect-fail"]]
FAILING = [c for c in load_vectors() if c["expect-fail"]]
PUBLIC = VerifyKey(bytes.fromhex(SIGNED[0]["public-key"]))
EXPECTED_ERROR = {
    "4-F-1": MalformedToken,
    "4-F-2": TokenSignatureInvalid,
    "4-F-3": MalformedToken,
    "4-F-4": MalformedToken,
}


def test_vector_file_is_complete() -> None:
    """The file holds the three v4.public cases and the four expected failures."""
    assert [c["name"] for c in SIGNED] == ["4-S-1", "4-S-2", "4-S-3"]
    assert sorted(c["name"] for c in FAILING) == sorted(EXPECTED_ERROR)


@pytest.mark.parametrize("case", SIGNED, ids=lambda c: c["name"])
def test_sign_gives_the_published_token(case: dict[str, Any]) -> None:
    """Our signing path turns (secret key, payload, footer, implicit assertion) into the token."""
    key = SigningKey.from_private_bytes(bytes.fromhex(case["secret-key-seed"]))
    assert key.verify_key.raw.hex() == case["public-key"]
    token = _paseto.sign(
        _paseto.private_key(key),
        case["payload"].encode(),
        case["footer"].encode(),
        case["implicit-assertion"].encode(),
    )
    assert token == case["token"]


@pytest.mark.parametrize("case", SIGNED, ids=lambda c: c["name"])
def test_verify_gives_the_published_payload(case: dict[str, Any]) -> None:
    """Our verification path accepts the published token and returns its payload and footer."""
    key = _paseto.public_key(VerifyKey(bytes.fromhex(case["public-key"])))
    payload, footer = _paseto.verify(key, case["token"], case["implicit-assertion"].encode())
    assert payload.decode() == case["payload"]
    assert footer.decode() == case["footer"]


@pytest.mark.parametrize("case", SIGNED, ids=lambda c: c["name"])
def test_verify_refuses_another_implicit_assertion(case: dict[str, Any]) -> None:
    """The published token does not verify under a different implicit assertion."""
    key = _paseto.public_key(PUBLIC)
    with pytest.raises(TokenSignatureInvalid):
        _paseto.verify(key, case["token"], b'{"test-vector":"other"}')


@pytest.mark.parametrize("case", SIGNED, ids=lambda c: c["name"])
def test_verify_refuses_a_flipped_signature_bit(case: dict[str, Any]) -> None:
    """Flipping one bit of the published signature makes verification fail."""
    import base64

    parts = case["token"].split(".")
    body = bytearray(base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4)))
    body[-1] ^= 1
    parts[2] = base64.urlsafe_b64encode(bytes(body)).rstrip(b"=").decode()
    with pytest.raises(TokenSignatureInvalid):
        _paseto.verify(
            _paseto.public_key(PUBLIC), ".".join(parts), case["implicit-assertion"].encode()
        )


@pytest.mark.parametrize("case", FAILING, ids=lambda c: c["name"])
def test_expected_failures_fail(case: dict[str, Any]) -> None:
    """Each published expect-fail token is refused by a verifier holding the 4-S public key."""
    with pytest.raises(EXPECTED_ERROR[case["name"]]):
        _paseto.verify(
            _paseto.public_key(PUBLIC), case["token"], case["implicit-assertion"].encode()
        )


def _open(key: VerifyKey, token: str, implicit: bytes) -> bytes:
    """The verifier's own path: split strictly, then one Ed25519 check of the PAE."""
    body, footer = _paseto.split(token)
    return _paseto.open_verified(key, body, footer, implicit)


@pytest.mark.parametrize("case", SIGNED, ids=lambda c: c["name"])
def test_open_verified_gives_the_published_payload(case: dict[str, Any]) -> None:
    """The verifier's direct path accepts the published token and returns its payload."""
    key = VerifyKey(bytes.fromhex(case["public-key"]))
    payload = _open(key, case["token"], case["implicit-assertion"].encode())
    assert payload.decode() == case["payload"]
    with pytest.raises(TokenSignatureInvalid):
        _open(key, case["token"], b'{"test-vector":"other"}')


@pytest.mark.parametrize("case", FAILING, ids=lambda c: c["name"])
def test_open_verified_refuses_expected_failures(case: dict[str, Any]) -> None:
    """Each published expect-fail token is refused by the direct path too, for the same reason."""
    with pytest.raises(EXPECTED_ERROR[case["name"]]):
        _open(PUBLIC, case["token"], case["implicit-assertion"].encode())


def test_pae_matches_pyseto() -> None:
    """Our pre-authentication encoding is byte-for-byte pyseto's (and the spec's examples)."""
    from pyseto.utils import pae

    assert _paseto.pae() == b"\x00" * 8
    assert _paseto.pae(b"") == b"\x01" + b"\x00" * 7 + b"\x00" * 8
    pieces = [b"v4.public.", b"payload" * 9, b"", b'{"kid":"x"}']
    assert _paseto.pae(*pieces) == pae(pieces)
