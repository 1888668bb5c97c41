"""Signed notes, checkpoints and cosignatures: published vectors, round trips and rejections.

Vectors live in ``tests/vectors/note/`` (provenance in ``PROVENANCE.md`` there).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govshare.audit._note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_SIGNATURES,
    Checkpoint,
    NoteSignature,
    SignedNote,
    add_signature,
    cosign,
    key_hash,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
    verify_cosignature,
    verify_note,
)
from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import InputError, SignatureError

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "note"
DASH = "\u2014"


@cache
def load_json(name: str) -> dict[str, Any]:
    """Load one JSON vector file from ``tests/vectors/note``."""
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


@cache
def load_note(name: str) -> str:
    """Load one signed-note vector file, byte for byte."""
    return (VECTORS / name).read_bytes().decode("utf-8")


GO = load_json("go_sumdb_note.json")
C2SP = load_json("c2sp_examples.json")
TDEV = load_json("transparency_dev.json")

# Go's published PeterNeumann signer key is "PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)".
PETER = SigningKey.from_private_bytes(base64.b64decode(GO["signer_key"].split("+", 4)[4])[1:])
WITNESS = SigningKey.from_private_bytes(hashlib.sha256(b"govshare test witness").digest())
OTHER = SigningKey.from_private_bytes(hashlib.sha256(b"govshare test other").digest())
TEXT: str = GO["text"]
CHECKPOINT = Checkpoint("example.com/log", 7, hashlib.sha256(b"root").digest(), ("ext",))


def vkey(name: str) -> VerifyKey:
    """The published Go verifier key for *name*."""
    entry = next(v for v in GO["verifier_keys"] if v["name"] == name)
    return parse_verifier_key(entry["vkey"])[1]


def cosigned_checkpoint() -> SignedNote:
    """A checkpoint signed by PeterNeumann and cosigned by the test witness."""
    note = sign_note(CHECKPOINT.body(), "PeterNeumann", PETER)
    return cosign(note, "witness.example/w", WITNESS, 1_700_000_000)


# --- Go golang.org/x/mod/sumdb/note vectors -------------------------------------------------


@pytest.mark.parametrize("entry", GO["verifier_keys"], ids=lambda e: e["name"])
def test_go_key_hash_vectors(entry: dict[str, str]) -> None:
    """The key ID of each published Go verifier key is SHA-256(name, 0x0A, 0x01, key)[:4]."""
    name, key = parse_verifier_key(entry["vkey"])
    assert name == entry["name"]
    assert key_hash(name, ED25519, key.raw).hex() == entry["key_id"]


@pytest.mark.parametrize("entry", GO["verifier_keys"], ids=lambda e: e["name"])
def test_go_verifier_key_string_round_trips(entry: dict[str, str]) -> None:
    """Encoding a parsed Go verifier key gives back the published string exactly."""
    name, key = parse_verifier_key(entry["vkey"])
    assert verifier_key_string(name, key) == entry["vkey"]


def test_go_signer_key_gives_published_verifier_key() -> None:
    """The published PeterNeumann seed derives the published PeterNeumann verifier key."""
    assert verifier_key_string("PeterNeumann", PETER.verify_key) == GO["verifier_keys"][0]["vkey"]


def test_go_sign_reproduces_published_note() -> None:
    """Signing Go's text with the PeterNeumann key reproduces Go's signed note byte for byte."""
    assert sign_note(TEXT, "PeterNeumann", PETER).to_text() == load_note(GO["signed_note_file"])


def test_go_published_note_verifies() -> None:
    """Go's published signed note parses and verifies under the PeterNeumann key."""
    note = SignedNote.parse(load_note(GO["signed_note_file"]))
    assert note.text == TEXT
    assert verify_note(note, {"PeterNeumann": vkey("PeterNeumann")}) == ["PeterNeumann"]


def test_go_doubly_signed_note_ignores_unknown_signers() -> None:
    """A note also signed by an unknown key verifies by the known one and ignores the other."""
    note = SignedNote.parse(load_note(GO["doubly_signed_note_file"]))
    assert verify_note(note, {"PeterNeumann": vkey("PeterNeumann")}) == ["PeterNeumann"]
    both = {"EnochRoot": vkey("EnochRoot"), "PeterNeumann": vkey("PeterNeumann")}
    assert verify_note(note, both) == ["PeterNeumann", "EnochRoot"]


def test_go_note_without_trusted_signature_is_rejected() -> None:
    """A note with no signature by a trusted key raises SignatureError."""
    note = SignedNote.parse(load_note(GO["signed_note_file"]))
    with pytest.raises(SignatureError):
        verify_note(note, {})
    with pytest.raises(SignatureError):
        verify_note(note, {"EnochRoot": vkey("EnochRoot")})


@pytest.mark.parametrize("entry", GO["malformed_notes"], ids=lambda e: e["description"])
def test_go_malformed_notes_are_rejected(entry: dict[str, str]) -> None:
    """Each of Go's malformed-note inputs raises InputError."""
    raw = bytes.fromhex(entry["hex"]) if "hex" in entry else entry["text"].encode()
    with pytest.raises(InputError):
        SignedNote.parse(raw)


def test_go_invalid_signature_by_known_key_is_rejected() -> None:
    """A corrupted signature by a trusted name and key ID raises SignatureError."""
    note = SignedNote.parse(GO["invalid_signature_note"]["text"])
    with pytest.raises(SignatureError, match="PeterNeumann"):
        verify_note(note, {"PeterNeumann": vkey("PeterNeumann")})


def test_go_repeated_signatures_are_accepted() -> None:
    """Repeated identical signature lines, as in Go's test, still verify."""
    sigs = GO["signature_lines"]
    note = SignedNote.parse(TEXT + "\n" + sigs["PeterNeumann"] * 2 + sigs["EnochRoot"] * 2)
    assert verify_note(note, {"PeterNeumann": vkey("PeterNeumann")}) == ["PeterNeumann"]


def test_go_more_than_100_signatures_are_rejected() -> None:
    """A note with 101 signature lines raises InputError while 100 are accepted."""
    line = GO["signature_lines"]["PeterNeumann"]
    with pytest.raises(InputError, match="at most 100"):
        SignedNote.parse(TEXT + "\n" + line * (MAX_SIGNATURES + 1))
    note = SignedNote.parse(TEXT + "\n" + line * MAX_SIGNATURES)
    assert verify_note(note, {"PeterNeumann": vkey("PeterNeumann")}) == ["PeterNeumann"]


@pytest.mark.parametrize(
    "entry", GO["bad_verifier_keys"] + TDEV["bad_verifier_keys"], ids=lambda e: e["description"]
)
def test_published_bad_verifier_keys_are_rejected(entry: dict[str, str]) -> None:
    """Each published bad verifier key raises InputError."""
    with pytest.raises(InputError):
        parse_verifier_key(entry["vkey"])


def test_go_verifier_key_manglings_are_rejected() -> None:
    """Every proper substring and every one-character increment of a verifier key is refused."""
    good: str = GO["verifier_keys"][0]["vkey"]
    mangled = {good[i:j] for i in range(len(good) + 1) for j in range(i + 1, len(good) + 1)}
    mangled |= {good[:i] + chr(ord(good[i]) + 1) + good[i + 1 :] for i in range(len(good))}
    mangled.discard(good)
    for candidate in mangled:
        with pytest.raises(InputError):
            parse_verifier_key(candidate)


# --- C2SP spec examples -----------------------------------------------------------------------


def test_c2sp_signed_note_example_parses() -> None:
    """The signed-note spec example splits at the last blank line and round-trips exactly."""
    vector = C2SP["signed_note"]
    raw = load_note(vector["file"])
    note = SignedNote.parse(raw)
    assert note.text == vector["text"]
    assert [(s.name, s.key_hash.hex()) for s in note.signatures] == [
        (s["name"], s["key_id"]) for s in vector["signatures"]
    ]
    assert note.to_text() == raw


def test_c2sp_cosigned_checkpoint_example_parses() -> None:
    """The tlog-cosignature spec example yields its checkpoint, key IDs and timestamp."""
    vector = C2SP["cosigned_checkpoint"]
    raw = load_note(vector["file"])
    note = SignedNote.parse(raw)
    checkpoint = Checkpoint.parse(note.text)
    assert (checkpoint.origin, checkpoint.size) == (vector["origin"], vector["size"])
    assert checkpoint.root_hash == base64.b64decode(vector["root_hash_b64"])
    log_sig, cosig = note.signatures
    assert (log_sig.name, log_sig.key_hash.hex()) == tuple(vector["log_signature"].values())
    assert (cosig.name, cosig.key_hash.hex()) == (
        vector["cosignature"]["name"],
        vector["cosignature"]["key_id"],
    )
    assert len(cosig.signature) == 8 + 64
    assert int.from_bytes(cosig.signature[:8], "big") == vector["cosignature"]["timestamp"]
    assert note.to_text() == raw


def test_c2sp_cosigned_message_matches_spec_example() -> None:
    """A cosignature over the spec's checkpoint signs exactly the spec's example message."""
    vector = C2SP["cosigned_checkpoint"]
    note = SignedNote.parse(load_note(vector["file"]))
    timestamp = vector["cosignature"]["timestamp"]
    cosig = cosign(note, "w.example", WITNESS, timestamp).signatures[-1]
    message = vector["cosigned_message"].encode()
    assert WITNESS.verify_key.verify(cosig.signature[8:], message)


def test_c2sp_cosignature_without_its_key_is_not_accepted() -> None:
    """The spec example's cosignature does not verify under a key that did not make it."""
    vector = C2SP["cosigned_checkpoint"]
    note = SignedNote.parse(load_note(vector["file"]))
    with pytest.raises(SignatureError):
        verify_cosignature(note, vector["cosignature"]["name"], WITNESS.verify_key)


# --- transparency-dev / torchwood vectors ------------------------------------------------------


@pytest.mark.parametrize("entry", TDEV["key_ids"], ids=lambda e: e["description"])
def test_tdev_key_ids(entry: dict[str, Any]) -> None:
    """The published type 0x01 and type 0x04 verifier keys carry the key IDs this module derives."""
    name, hex_id, key64 = entry["vkey"].split("+", 2)
    encoded = base64.b64decode(key64)
    assert encoded[0] == entry["sig_type"]
    assert key_hash(name, encoded[0], encoded[1:]).hex() == hex_id


def test_cosignature_vkey_is_not_a_note_verifier_key() -> None:
    """A type 0x04 (cosignature) verifier key is refused as an Ed25519 note key."""
    entry = next(e for e in TDEV["key_ids"] if e["sig_type"] == COSIGNATURE_V1)
    with pytest.raises(InputError, match="0x01"):
        parse_verifier_key(entry["vkey"])


@pytest.mark.parametrize("entry", TDEV["cosignature_timestamps"], ids=lambda e: e["description"])
def test_tdev_cosignature_timestamp_layout(entry: dict[str, Any]) -> None:
    """A published cosignature's bytes after the key ID start with its big-endian timestamp."""
    sig = SignedNote.parse(f"{TEXT}\n{DASH} w {entry['base64']}\n").signatures[0]
    assert len(sig.signature) == 8 + 64
    assert int.from_bytes(sig.signature[:8], "big") == entry["timestamp"]


@pytest.mark.parametrize("entry", TDEV["non_cosignatures"], ids=lambda e: e["description"])
def test_tdev_plain_signature_is_not_a_cosignature(entry: dict[str, str]) -> None:
    """A published plain Ed25519 note signature under a cosigner's key ID raises SignatureError."""
    raw = base64.b64decode(entry["base64"])
    fake = NoteSignature("w", key_hash("w", COSIGNATURE_V1, WITNESS.verify_key.raw), raw[4:])
    note = SignedNote(CHECKPOINT.body(), (fake,))
    with pytest.raises(SignatureError, match="length"):
        verify_cosignature(note, "w", WITNESS.verify_key)


@pytest.mark.parametrize("entry", TDEV["valid_checkpoints"], ids=lambda e: e["description"])
def test_tdev_valid_checkpoints(entry: dict[str, Any]) -> None:
    """Published checkpoint bodies parse to their fields and serialise back unchanged."""
    checkpoint = Checkpoint.parse(entry["body"])
    assert (checkpoint.origin, checkpoint.size) == (entry["origin"], entry["size"])
    assert checkpoint.extensions == tuple(entry["extensions"])
    assert checkpoint.body() == entry["body"]


@pytest.mark.parametrize("entry", TDEV["invalid_checkpoints"], ids=lambda e: e["description"])
def test_tdev_invalid_checkpoints(entry: dict[str, str]) -> None:
    """Published invalid checkpoint bodies (and Go-valid ones with short roots) raise InputError."""
    with pytest.raises(InputError):
        Checkpoint.parse(entry["body"])


# --- checkpoints ------------------------------------------------------------------------------

ROOT64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize("size", ["00", "01", "007", "+1", "-0", " 1", "1 ", "1_0", "\u0661", ""])
def test_checkpoint_rejects_non_canonical_sizes(size: str) -> None:
    """A tree size with leading zeros, a sign, spaces or non-ASCII digits raises InputError."""
    with pytest.raises(InputError):
        Checkpoint.parse(f"o\n{size}\n{ROOT64}\n")


def test_checkpoint_size_bounds() -> None:
    """Sizes 0 and 2**64 - 1 are accepted and 2**64 is refused."""
    assert Checkpoint.parse(f"o\n0\n{ROOT64}\n").size == 0
    assert Checkpoint.parse(f"o\n{2**64 - 1}\n{ROOT64}\n").size == 2**64 - 1
    with pytest.raises(InputError):
        Checkpoint.parse(f"o\n{2**64}\n{ROOT64}\n")


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_checkpoint_rejects_wrong_length_root(length: int) -> None:
    """A root hash that is not 32 bytes raises InputError when parsed or constructed."""
    with pytest.raises(InputError, match="32 bytes"):
        Checkpoint.parse(f"o\n1\n{base64.b64encode(bytes(length)).decode()}\n")
    with pytest.raises(InputError, match="32 bytes"):
        Checkpoint("o", 1, bytes(length))


@pytest.mark.parametrize(
    "root",
    [
        ROOT64.rstrip("="),  # missing padding
        ROOT64[:-2] + "B=",  # non-zero trailing bits: another spelling of the same length
        ROOT64[:-1] + " ",
        "!" + ROOT64[1:],
    ],
)
def test_checkpoint_rejects_bad_base64_root(root: str) -> None:
    """A root hash that is not canonical padded standard base64 raises InputError."""
    with pytest.raises(InputError, match="base64"):
        Checkpoint.parse(f"o\n1\n{root}\n")


@pytest.mark.parametrize(
    "body",
    [
        f"o\n1\n{ROOT64}\n\next\n",
        f"o\n1\n{ROOT64}\next\n\n",
        f"\n1\n{ROOT64}\n",
        f"o\n1\n{ROOT64}",
        f"o\r\n1\n{ROOT64}\n",
    ],
)
def test_checkpoint_rejects_empty_lines_and_missing_newline(body: str) -> None:
    """Empty lines, a missing final newline or a control character raise InputError."""
    with pytest.raises(InputError):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": 2**64},
        {"size": True},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
        {"extensions": ["ext"]},
    ],
)
def test_checkpoint_constructor_validates(kwargs: dict[str, Any]) -> None:
    """A Checkpoint built with a bad field raises InputError."""
    fields: dict[str, Any] = {"origin": "o", "size": 1, "root_hash": bytes(32)} | kwargs
    with pytest.raises(InputError):
        Checkpoint(**fields)


_line_text = st.text(
    st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
).filter(lambda s: "\n" not in s)


@given(
    origin=_line_text,
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line_text, max_size=3).map(tuple),
)
def test_checkpoint_round_trip(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    """Any valid checkpoint serialises to a body that parses back to the same checkpoint."""
    checkpoint = Checkpoint(origin, size, root, extensions)
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


# --- signed notes -----------------------------------------------------------------------------

PETER_LINE: str = GO["signature_lines"]["PeterNeumann"]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(TEXT + "\n" + PETER_LINE[:-1], id="missing final newline"),
        pytest.param(TEXT + PETER_LINE, id="no blank line"),
        pytest.param(TEXT + "\n" + PETER_LINE + "\n", id="ends with blank line"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("x08go", "x08g!"), id="bad base64 char"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("AM=", "AM"), id="missing padding"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("AM=", "AN="), id="non-canonical base64"),
        pytest.param(TEXT + f"\n{DASH} PeterNeumann AAAAAA==\n", id="signature of 4 bytes"),
        pytest.param(TEXT + f"\n{DASH} PeterNeumann \n", id="empty signature"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace(DASH, "-"), id="hyphen not em dash"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace(DASH + " ", DASH), id="no space after dash"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace(" x08", "  x08"), id="two spaces"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("Peter", "Pe+ter"), id="plus in name"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("Peter", "Pe\u00a0ter"), id="nbsp in name"),
        pytest.param(TEXT + "\n" + PETER_LINE.replace("PeterNeumann", ""), id="empty name"),
        pytest.param("a\rb\n\n" + PETER_LINE, id="carriage return"),
        pytest.param("a\tb\n\n" + PETER_LINE, id="tab"),
        pytest.param("caf\udce9\n\n" + PETER_LINE, id="lone surrogate"),
        pytest.param(b"caf\xe9\n\n" + PETER_LINE.encode(), id="latin-1 bytes"),
        pytest.param(b"\xed\xa0\x80\n\n" + PETER_LINE.encode(), id="encoded surrogate"),
        pytest.param(b"\xc0\xaf\n\n" + PETER_LINE.encode(), id="overlong encoding"),
        pytest.param(PETER_LINE, id="signature only"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_notes_are_rejected(message: str | bytes) -> None:
    """Each malformed signed note raises InputError."""
    with pytest.raises(InputError):
        SignedNote.parse(message)


def test_wrong_key_hash_is_not_accepted() -> None:
    """A valid signature under a wrong key ID is ignored, so the note has no trusted signature."""
    good = SignedNote.parse(load_note(GO["signed_note_file"]))
    sig = good.signatures[0]
    wrong = NoteSignature(sig.name, bytes(4), sig.signature)
    with pytest.raises(SignatureError, match="no trusted key"):
        verify_note(SignedNote(TEXT, (wrong,)), {"PeterNeumann": PETER.verify_key})


def test_modified_text_fails_verification() -> None:
    """Changing one character of the signed text makes verification raise SignatureError."""
    note = sign_note(TEXT, "PeterNeumann", PETER)
    forged = SignedNote(TEXT.replace("answer", "Answer"), note.signatures)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_note(forged, {"PeterNeumann": PETER.verify_key})


def test_signature_by_untrusted_key_is_not_accepted() -> None:
    """A signature by another key under a trusted name, or by an unknown name, is not accepted."""
    impostor = sign_note(TEXT, "PeterNeumann", OTHER)
    stranger = sign_note(TEXT, "Stranger", OTHER)
    for note in (impostor, stranger):
        with pytest.raises(SignatureError, match="no trusted key"):
            verify_note(note, {"PeterNeumann": PETER.verify_key})


def test_bad_repeat_of_trusted_signature_is_rejected() -> None:
    """A second, invalid signature by a trusted name and key ID rejects the note."""
    note = sign_note(TEXT, "PeterNeumann", PETER)
    sig = note.signatures[0]
    bad = NoteSignature(sig.name, sig.key_hash, OTHER.sign(TEXT.encode()))
    with pytest.raises(SignatureError):
        verify_note(SignedNote(TEXT, (sig, bad)), {"PeterNeumann": PETER.verify_key})


def test_signed_note_round_trips_with_internal_blank_lines() -> None:
    """A text containing blank lines and non-ASCII survives sign, serialise, parse and verify."""
    text = "first\n\n\u00e8 second\n\n"
    raw = sign_note(text, "example.com/k", PETER).to_text()
    note = SignedNote.parse(raw.encode())
    assert note.text == text
    assert note.to_text() == raw
    assert verify_note(note, {"example.com/k": PETER.verify_key}) == ["example.com/k"]


@pytest.mark.parametrize(
    "text", ["no newline", "", "tab\there\n", "nul\x00\n", "s\udc00\n", b"x\n"]
)
def test_sign_note_rejects_bad_text(text: Any) -> None:
    """Signing a text without final newline, with control characters or not a str raises."""
    with pytest.raises(InputError):
        sign_note(text, "name", PETER)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u2003b", "a\nb", "a\x01b", 7])
def test_bad_key_names_are_rejected(name: Any) -> None:
    """Empty names and names with spaces, '+' or control characters raise InputError."""
    with pytest.raises(InputError):
        sign_note(TEXT, name, PETER)
    with pytest.raises(InputError):
        key_hash(name, ED25519, bytes(32))


@pytest.mark.parametrize("sig_type", [-1, 256, True, 1.0])
def test_key_hash_rejects_bad_type(sig_type: Any) -> None:
    """A signature type that is not an int byte raises InputError."""
    with pytest.raises(InputError):
        key_hash("name", sig_type, bytes(32))


def test_verifier_key_is_strict() -> None:
    """Uppercase key IDs, non-canonical base64 and a non-key argument are refused."""
    good: str = GO["verifier_keys"][0]["vkey"]
    name, hex_id, key64 = good.split("+", 2)
    with pytest.raises(InputError):
        parse_verifier_key(f"{name}+{hex_id.upper()}+{key64}")
    with pytest.raises(InputError):
        parse_verifier_key(f"{name}+{hex_id}+{key64}=")
    with pytest.raises(InputError):
        verifier_key_string(name, PETER)  # type: ignore[arg-type]


def test_note_signature_and_signed_note_validate() -> None:
    """Bad key IDs, empty signatures and zero or too many signatures raise InputError."""
    with pytest.raises(InputError):
        NoteSignature("n", bytes(3), b"s")
    with pytest.raises(InputError):
        NoteSignature("n", bytes(4), b"")
    with pytest.raises(InputError):
        SignedNote(TEXT, ())
    sig = NoteSignature("n", bytes(4), b"s")
    with pytest.raises(InputError):
        SignedNote(TEXT, (sig,) * (MAX_SIGNATURES + 1))


def test_add_signature_replaces_same_key_and_enforces_limit() -> None:
    """add_signature replaces a same-key signature and refuses a 101st signature."""
    note = sign_note(TEXT, "PeterNeumann", PETER)
    replaced = add_signature(note, sign_note(TEXT, "PeterNeumann", PETER).signatures[0])
    assert len(replaced.signatures) == 1
    full = SignedNote(
        TEXT, tuple(NoteSignature(f"k{i}", bytes(4), b"s") for i in range(MAX_SIGNATURES))
    )
    with pytest.raises(InputError):
        add_signature(full, note.signatures[0])


def test_errors_do_not_contain_key_material() -> None:
    """Verification errors name the key but never include key or signature bytes."""
    note = sign_note(TEXT, "PeterNeumann", PETER)
    forged = SignedNote(TEXT + "x\n", note.signatures)
    with pytest.raises(SignatureError) as info:
        verify_note(forged, {"PeterNeumann": PETER.verify_key})
    message = str(info.value)
    raw = PETER.verify_key.raw
    for secret in (raw.hex(), base64.b64encode(raw).decode(), note.to_text().split()[-1]):
        assert secret not in message


# --- cosignatures -----------------------------------------------------------------------------


def test_cosignature_round_trip() -> None:
    """A cosigned checkpoint serialises, parses and verifies both log signature and cosignature."""
    note = SignedNote.parse(cosigned_checkpoint().to_text())
    assert verify_note(note, {"PeterNeumann": PETER.verify_key}) == ["PeterNeumann"]
    assert verify_cosignature(note, "witness.example/w", WITNESS.verify_key) == 1_700_000_000


def test_cosignature_hand_derived() -> None:
    """A cosignature line decodes to SHA-256 key ID (type 0x04), big-endian time and Ed25519 sig."""
    timestamp = 1679315147
    body = CHECKPOINT.body()
    note = cosign(sign_note(body, "log", PETER), "w", WITNESS, timestamp)
    line = note.to_text().splitlines()[-1]
    assert line.startswith(f"{DASH} w ")
    raw = base64.b64decode(line.split(" ")[2], validate=True)
    public = WITNESS.verify_key.raw
    assert raw[:4] == hashlib.sha256(b"w\n\x04" + public).digest()[:4]
    assert raw[4:12] == bytes.fromhex("00000000641850cb")
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    assert len(raw) == 4 + 8 + 64
    assert VerifyKey(public).verify(raw[12:], message)


def test_cosignature_and_note_signature_are_not_interchangeable() -> None:
    """A cosignature is not a note signature by the same key, and vice versa."""
    body = CHECKPOINT.body()
    cosigned = cosign(sign_note(body, "log", PETER), "w", WITNESS, 1)
    with pytest.raises(SignatureError):
        verify_note(cosigned, {"w": WITNESS.verify_key})
    plain = sign_note(body, "w", WITNESS)
    with pytest.raises(SignatureError, match="no cosignature"):
        verify_cosignature(plain, "w", WITNESS.verify_key)


def test_cosignature_by_other_key_is_not_accepted() -> None:
    """A cosignature verified against a different key or name raises SignatureError."""
    note = cosigned_checkpoint()
    with pytest.raises(SignatureError):
        verify_cosignature(note, "witness.example/w", OTHER.verify_key)
    with pytest.raises(SignatureError):
        verify_cosignature(note, "witness.example/x", WITNESS.verify_key)


def test_cosignature_over_modified_checkpoint_fails() -> None:
    """Changing the tree size after cosigning makes the cosignature fail."""
    note = cosigned_checkpoint()
    forged = SignedNote(note.text.replace("\n7\n", "\n8\n"), note.signatures)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_cosignature(forged, "witness.example/w", WITNESS.verify_key)


def test_cosignature_with_changed_timestamp_fails() -> None:
    """Changing the embedded timestamp makes the cosignature fail."""
    note = cosigned_checkpoint()
    sig = note.signatures[-1]
    moved = (1_700_000_001).to_bytes(8, "big") + sig.signature[8:]
    forged = add_signature(note, NoteSignature(sig.name, sig.key_hash, moved))
    with pytest.raises(SignatureError):
        verify_cosignature(forged, "witness.example/w", WITNESS.verify_key)


def test_cosignature_timestamp_above_int63_is_rejected() -> None:
    """A cosignature whose timestamp exceeds 2**63 - 1 raises SignatureError."""
    note = cosigned_checkpoint()
    sig = note.signatures[-1]
    huge = (2**63).to_bytes(8, "big") + sig.signature[8:]
    forged = add_signature(note, NoteSignature(sig.name, sig.key_hash, huge))
    with pytest.raises(SignatureError, match="2\\*\\*63"):
        verify_cosignature(forged, "witness.example/w", WITNESS.verify_key)


def test_repeated_cosignatures_return_latest_and_all_must_verify() -> None:
    """Two valid cosignatures by one key return the later time; a bad one rejects the note."""
    first = cosign(sign_note(CHECKPOINT.body(), "log", PETER), "w", WITNESS, 10)
    second = cosign(first, "w", WITNESS, 20)
    both = SignedNote(first.text, (first.signatures[-1], second.signatures[-1]))
    assert verify_cosignature(both, "w", WITNESS.verify_key) == 20
    sig = second.signatures[-1]
    bad = NoteSignature(sig.name, sig.key_hash, sig.signature[:-1] + bytes([sig.signature[-1] ^ 1]))
    with pytest.raises(SignatureError):
        verify_cosignature(
            SignedNote(first.text, (first.signatures[-1], bad)), "w", WITNESS.verify_key
        )


@pytest.mark.parametrize("timestamp", [-1, 2**63, True, 1.5, "1"])
def test_cosign_rejects_bad_timestamps(timestamp: Any) -> None:
    """cosign refuses timestamps that are not ints in [0, 2**63 - 1]."""
    note = sign_note(CHECKPOINT.body(), "log", PETER)
    with pytest.raises(InputError):
        cosign(note, "w", WITNESS, timestamp)


def test_cosign_accepts_timestamp_bounds() -> None:
    """Timestamps 0 and 2**63 - 1 cosign and verify."""
    note = sign_note(CHECKPOINT.body(), "log", PETER)
    for timestamp in (0, 2**63 - 1):
        cosigned = cosign(note, "w", WITNESS, timestamp)
        assert verify_cosignature(cosigned, "w", WITNESS.verify_key) == timestamp


def test_cosign_requires_a_checkpoint() -> None:
    """Cosigning or verifying a cosignature on a note that is not a checkpoint raises InputError."""
    note = sign_note(TEXT, "PeterNeumann", PETER)
    with pytest.raises(InputError):
        cosign(note, "w", WITNESS, 1)
    with pytest.raises(InputError):
        verify_cosignature(note, "w", WITNESS.verify_key)


# --- properties -------------------------------------------------------------------------------

SIGNED_BYTES = sign_note(TEXT, "PeterNeumann", PETER).to_text().encode()
COSIGNED_BYTES = cosigned_checkpoint().to_text().encode()


def _flip(data: bytes, index: int, mask: int) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


@given(index=st.integers(0, len(SIGNED_BYTES) - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_of_signed_note_fails(index: int, mask: int) -> None:
    """Changing any byte of a serialised signed note makes parsing or verification fail."""
    mutated = _flip(SIGNED_BYTES, index, mask)
    with pytest.raises((InputError, SignatureError)):
        verify_note(SignedNote.parse(mutated), {"PeterNeumann": PETER.verify_key})


@given(index=st.integers(0, 4 + 64 - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_of_key_id_or_signature_fails(index: int, mask: int) -> None:
    """Changing any byte of the key ID or signature bytes makes verification fail."""
    sig = SignedNote.parse(SIGNED_BYTES).signatures[0]
    raw = _flip(sig.key_hash + sig.signature, index, mask)
    note = SignedNote(TEXT, (NoteSignature(sig.name, raw[:4], raw[4:]),))
    with pytest.raises(SignatureError):
        verify_note(note, {"PeterNeumann": PETER.verify_key})


def _check_cosigned(raw: bytes) -> None:
    note = SignedNote.parse(raw)
    verify_note(note, {"PeterNeumann": PETER.verify_key})
    verify_cosignature(note, "witness.example/w", WITNESS.verify_key)


@given(index=st.integers(0, len(COSIGNED_BYTES) - 1), mask=st.integers(1, 255))
def test_flipping_any_byte_of_cosigned_checkpoint_fails(index: int, mask: int) -> None:
    """Changing any byte of a cosigned checkpoint fails the log or the witness check."""
    with pytest.raises((InputError, SignatureError)):
        _check_cosigned(_flip(COSIGNED_BYTES, index, mask))


_names = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), min_size=1, max_size=20
).filter(lambda s: "+" not in s and not any(ch.isspace() for ch in s))
_texts = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs"]) | st.just("\n"), max_size=60
).map(lambda s: s + "\n")


@given(text=_texts, name=_names)
def test_sign_parse_verify_round_trip(text: str, name: str) -> None:
    """Any valid text and name signs, serialises, parses back unchanged and verifies."""
    raw = sign_note(text, name, PETER).to_text()
    note = SignedNote.parse(raw)
    assert note.text == text
    assert note.to_text() == raw
    assert verify_note(note, {name: PETER.verify_key}) == [name]
