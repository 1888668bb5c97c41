"""The published pseudonym vectors: govshare reproduces them, and so does the openssl command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from govshare.crypto import SecretKey
from govshare.pseudonym import Pseudonymiser, normalise_identifiers

VECTORS = Path(__file__).parents[1] / "vectors" / "pseudonym" / "govshare_pseudonyms.json"
DOC = json.loads(VECTORS.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DOC["cases"]
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl command")
KEY_SIZES = {"aes-prp": 32, "sm4-prp": 16, "hmac-sha256": 32, "hmac-sm3": 32, "aes-siv": 64}


def label(case: dict[str, Any]) -> str:
    """A short test id."""
    return f"{case['scheme']}-{case['kind']}-{case['domain']}-v{case['version']}-{case['input']}"


def openssl(args: list[str], data: bytes = b"") -> bytes:
    """Run the openssl command line and return stdout."""
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=True).stdout


def spec_block(normalised: str, kind: str) -> bytes:
    """The 16-byte block of docs/spec/pseudonyms.md, written out independently of govshare."""
    nibbles = [10 if c == "X" else int(c) for c in normalised] + [15] * (18 - len(normalised))
    packed = bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, 18, 2))
    return packed + b"GS\x01" + bytes([1 if kind == "resident_id" else 2]) + bytes(3)


@pytest.mark.parametrize("case", CASES, ids=label)
def test_govshare_reproduces_vectors(case: dict[str, Any]) -> None:
    """govshare normalises and pseudonymises each vector input to the published values."""
    root = SecretKey.from_bytes(bytes.fromhex(DOC["root_key"]))
    ps = Pseudonymiser(
        root,
        domain=case["domain"],
        scheme=case["scheme"],
        kind=case["kind"],
        version=case["version"],
    )
    normalised = normalise_identifiers(pd.Series([case["input"]]), kind=case["kind"]).iloc[0]
    assert normalised == case["normalised"]
    assert ps.pseudonymise_one(case["input"]) == case["pseudonym"]
    if "block" in case:
        assert spec_block(case["normalised"], case["kind"]).hex() == case["block"]


@needs_openssl
@pytest.mark.parametrize("case", [c for c in CASES if c["scheme"] != "aes-siv"], ids=label)
def test_openssl_reproduces_vectors(case: dict[str, Any]) -> None:
    """openssl kdf/enc/mac alone, following the spec, produce each published pseudonym."""
    size = KEY_SIZES[case["scheme"]]
    info = (
        f"govshare/pseudonym/1|{case['scheme']}|{case['kind']}|{case['domain']}|v{case['version']}"
    )
    assert info == case["hkdf_info"]
    kdf = ["kdf", "-keylen", str(size), "-kdfopt", "digest:SHA256"]
    kdf += ["-kdfopt", f"hexkey:{DOC['root_key']}", "-kdfopt", f"info:{info}", "HKDF"]
    key = openssl(kdf).decode().strip().replace(":", "").lower()
    assert key == case["derived_key"]
    message = case["normalised"].encode("utf-8")
    if case["scheme"] in ("aes-prp", "sm4-prp"):
        cipher = "-aes-256-ecb" if case["scheme"] == "aes-prp" else "-sm4-ecb"
        body = openssl(
            ["enc", cipher, "-nopad", "-K", key], spec_block(case["normalised"], case["kind"])
        )
        digest = body.hex()
    else:
        algorithm = "SHA256" if case["scheme"] == "hmac-sha256" else "SM3"
        mac = ["mac", "-digest", algorithm, "-macopt", f"hexkey:{key}", "HMAC"]
        digest = openssl(mac, message).decode().strip().lower()[:32]
    code = {"aes-prp": "ap", "sm4-prp": "sp", "hmac-sha256": "hs", "hmac-sm3": "hm"}[case["scheme"]]
    assert f"{code}{case['version']}.{digest}" == case["pseudonym"]
