"""Signed notes, tlog checkpoints and Ed25519 witness cosignatures, byte for byte as the C2SP specs.

Three formats, all text:

* **Signed note** (https://c2sp.org/signed-note, Go's ``golang.org/x/mod/sumdb/note``): a text
  ending in a newline, a blank line, then 1 to 100 signature lines
  ``— <name> <base64(key ID || sig)>``. The key ID is
  ``SHA-256(name || 0x0A || type || public key)[:4]``; type ``0x01`` is Ed25519 over the note text
  (including its final newline).
* **Checkpoint** (https://c2sp.org/tlog-checkpoint): a note text of origin, decimal tree size,
  base64 root hash and optional non-empty extension lines.
* **Cosignature** (https://c2sp.org/tlog-cosignature, ``cosignature/v1``, type ``0x04``): a note
  signature whose bytes are ``uint64 big-endian timestamp || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n"`` followed by the checkpoint text.

Parsing is strict, so that ``parse(x).to_text() == x`` for every accepted ``x``: valid UTF-8, no
control characters except newline, canonical standard base64 (a different spelling of the same bytes
is refused, so no two texts carry one signature), at most :data:`MAX_SIGNATURES` signatures.
Malformed text raises :class:`~govshare.exceptions.InputError`; a signature that does not verify
raises :class:`~govshare.exceptions.SignatureError`. Messages name keys, never key material.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from govshare.crypto import SigningKey, VerifyKey
from govshare.exceptions import InputError, SignatureError
from govshare.identifiers import shown

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteSignature",
    "SignedNote",
    "add_signature",
    "cosign",
    "key_hash",
    "parse_verifier_key",
    "sign_note",
    "verifier_key_string",
    "verify_cosignature",
    "verify_note",
]

ED25519: Final = 0x01
"""Signature type of plain Ed25519 note signatures (c2sp.org/signed-note)."""
COSIGNATURE_V1: Final = 0x04
"""Signature type of timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)."""
MAX_SIGNATURES: Final = 100
"""Most signature lines a note may carry (Go's limit; the spec asks verifiers for at least 16)."""

_KEY_HASH_SIZE = 4
_ED25519_PUBLIC_SIZE = 32
_ED25519_SIG_SIZE = 64
_TIMESTAMP_SIZE = 8
_ROOT_HASH_SIZE = 32
_MAX_TREE_SIZE = 2**64 - 1
_MAX_TIMESTAMP = 2**63 - 1
_SIG_PREFIX = "\u2014 "  # em dash, space
_COSIGNATURE_HEADER = "cosignature/v1\n"

_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_HEX_HASH = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _require_utf8(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} is not valid UTF-8") from None
    if _CONTROL.search(value):
        raise InputError(f"{what} contains a control character other than newline")


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InputError("a key name must be a non-empty str")
    _require_utf8(name, "a key name")
    if "+" in name or any(ch.isspace() for ch in name):
        raise InputError("a key name must not contain spaces or '+'")
    return name


def _check_line(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise InputError(f"{what} must be a non-empty str")
    if "\n" in value:
        raise InputError(f"{what} must not contain a newline")
    _require_utf8(value, what)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError("a note text must be a str")
    _require_utf8(text, "a note text")
    if not text.endswith("\n"):
        raise InputError("a note text must end with a newline")
    return text


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    if not _BASE64.fullmatch(text):
        raise InputError(f"{what} is not standard padded base64")
    raw = base64.b64decode(text, validate=True)
    if _b64encode(raw) != text:
        raise InputError(f"{what} is not canonical base64")
    return raw


def _ed25519_key(raw: bytes) -> VerifyKey:
    try:
        return VerifyKey(raw)
    except ValueError:
        raise InputError("not a valid Ed25519 public key") from None


def _require_verify_key(key: object) -> VerifyKey:
    if not isinstance(key, VerifyKey):
        raise InputError("expected a govshare.crypto.VerifyKey")
    return key


def _require_signing_key(key: object) -> SigningKey:
    if not isinstance(key, SigningKey):
        raise InputError("expected a govshare.crypto.SigningKey")
    return key


def key_hash(name: str, sig_type: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID: ``SHA-256(name || 0x0A || sig_type || public_key)[:4]``.

    Raises:
        InputError: *name* is not a valid key name, *sig_type* is not a byte, or *public_key* is
            not bytes.
    """
    _check_name(name)
    if isinstance(sig_type, bool) or not isinstance(sig_type, int) or not 0 <= sig_type <= 0xFF:
        raise InputError("a signature type is one byte (0 to 255)")
    if not isinstance(public_key, bytes):
        raise InputError("a public key must be bytes")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return digest[:_KEY_HASH_SIZE]


def verifier_key_string(name: str, key: VerifyKey) -> str:
    """Encode an Ed25519 key as Go's ``note.NewVerifier`` string ``<name>+<hex ID>+<base64>``.

    The base64 part is ``0x01 || 32-byte public key``.

    Raises:
        InputError: *name* is not a valid key name or *key* is not a :class:`VerifyKey`.
    """
    raw = _require_verify_key(key).raw
    key_id = key_hash(name, ED25519, raw)
    return f"{name}+{key_id.hex()}+{_b64encode(bytes([ED25519]) + raw)}"


def parse_verifier_key(s: str) -> tuple[str, VerifyKey]:
    """Parse an Ed25519 verifier key string into its name and key, checking its key ID.

    Only type ``0x01`` keys are accepted, with the ID in lowercase hex as Go writes it.

    Raises:
        InputError: the string is malformed, not Ed25519, or its ID does not match name and key.
    """
    if not isinstance(s, str):
        raise InputError("a verifier key must be a str")
    name, sep1, rest = s.partition("+")
    hex_id, sep2, key64 = rest.partition("+")
    if not (sep1 and sep2 and _HEX_HASH.fullmatch(hex_id)):
        raise InputError("a verifier key has the form <name>+<8 lowercase hex digits>+<base64 key>")
    _check_name(name)
    encoded = _b64decode(key64, "the verifier key")
    if not encoded or encoded[0] != ED25519:
        raise InputError("unsupported verifier key type: only Ed25519 (0x01) keys are accepted")
    if len(encoded) != 1 + _ED25519_PUBLIC_SIZE:
        raise InputError("an Ed25519 verifier key holds exactly 32 key bytes")
    if key_hash(name, ED25519, encoded[1:]) != bytes.fromhex(hex_id):
        raise InputError(
            f"the key ID of verifier key {shown(name)} does not match its name and key"
        )
    return name, _ed25519_key(encoded[1:])


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log checkpoint body (c2sp.org/tlog-checkpoint).

    *root_hash* is the 32-byte RFC 6962 root; *extensions* are the optional non-empty lines after
    it. Construction validates every field and raises :class:`InputError` on a bad one.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "the origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InputError("the tree size must be an int")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise InputError("the tree size must be between 0 and 2**64 - 1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _ROOT_HASH_SIZE:
            raise InputError("the root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple):
            raise InputError("the extension lines must be a tuple of str")
        for line in self.extensions:
            _check_line(line, "an extension line")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each ending in ``\\n``."""
        lines = (self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body strictly; ``Checkpoint.parse(c.body()) == c``.

        Raises:
            InputError: no final newline, fewer than three lines, an empty line, a size that is not
                decimal without leading zeros (``0`` excepted) or exceeds 2**64 - 1, or a root hash
                that is not canonical base64 of 32 bytes.
        """
        if not isinstance(body, str) or not body.endswith("\n"):
            raise InputError("a checkpoint body must be a str ending with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise InputError("a checkpoint has at least three lines")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise InputError("the tree size must be decimal digits without leading zeros")
        root_hash = _b64decode(root_text, "the root hash")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the ID.

    For a cosignature, *signature* is ``8-byte big-endian timestamp || 64-byte Ed25519 signature``.

    Raises:
        InputError: (on construction) a bad name, a key ID that is not 4 bytes, or empty signature.
    """

    name: str
    key_hash: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.key_hash, bytes) or len(self.key_hash) != _KEY_HASH_SIZE:
            raise InputError("a key ID is exactly 4 bytes")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise InputError("a signature must be non-empty bytes")

    def to_line(self) -> str:
        """The signature line, ``— <name> <base64(key ID || signature)>\\n``."""
        return f"{_SIG_PREFIX}{self.name} {_b64encode(self.key_hash + self.signature)}\n"

    @classmethod
    def _parse_line(cls, line: str) -> NoteSignature:
        if not line.startswith(_SIG_PREFIX):
            raise InputError("a signature line must start with an em dash and a space")
        name, sep, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep:
            raise InputError("a signature line has the form '— <name> <base64>'")
        _check_name(name)
        raw = _b64decode(encoded, "a signature")
        if len(raw) <= _KEY_HASH_SIZE:
            raise InputError("a signature holds a 4-byte key ID and at least one more byte")
        return cls(name, raw[:_KEY_HASH_SIZE], raw[_KEY_HASH_SIZE:])


@dataclass(frozen=True)
class SignedNote:
    """A note text with 1 to :data:`MAX_SIGNATURES` signatures, verified or not.

    Holding a ``SignedNote`` proves nothing: trust its text only after :func:`verify_note`.

    Raises:
        InputError: (on construction) a malformed text or a wrong number of signatures.
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not isinstance(self.signatures, tuple) or not all(
            isinstance(sig, NoteSignature) for sig in self.signatures
        ):
            raise InputError("signatures must be a tuple of NoteSignature")
        if not 1 <= len(self.signatures) <= MAX_SIGNATURES:
            raise InputError(f"a signed note carries 1 to {MAX_SIGNATURES} signatures")

    def to_text(self) -> str:
        """The signed note: text, a blank line, then one line per signature."""
        return self.text + "\n" + "".join(sig.to_line() for sig in self.signatures)

    @classmethod
    def parse(cls, s: str | bytes) -> SignedNote:
        """Parse a signed note strictly, without verifying anything.

        The text ends at the last blank line (it may contain blank lines itself).

        Raises:
            InputError: not UTF-8, a control character, no blank line before the signatures, no
                final newline, more than :data:`MAX_SIGNATURES` signatures, or a malformed line.
        """
        message = _decode_message(s)
        _require_utf8(message, "a signed note")
        split = message.rfind("\n\n")
        if split < 0:
            raise InputError("a signed note needs a blank line between text and signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block.endswith("\n"):
            raise InputError("a signed note must end with a signature line and a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise InputError(f"a signed note carries at most {MAX_SIGNATURES} signatures")
        return cls(text, tuple(NoteSignature._parse_line(line) for line in lines))


def _decode_message(s: object) -> str:
    if isinstance(s, bytes):
        try:
            return s.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("a signed note is not valid UTF-8") from None
    if isinstance(s, str):
        return s
    raise InputError("a signed note must be str or bytes")


def sign_note(text: str, name: str, key: SigningKey) -> SignedNote:
    """Sign *text* with an Ed25519 (type ``0x01``) note signature named *name*.

    Raises:
        InputError: *text* is not a valid note text, *name* is not a valid key name, or *key* is
            not a :class:`SigningKey`.
    """
    _check_text(text)
    signer = _require_signing_key(key)
    key_id = key_hash(name, ED25519, signer.verify_key.raw)
    signature = signer.sign(text.encode("utf-8"))
    return SignedNote(text, (NoteSignature(name, key_id, signature),))


def add_signature(note: SignedNote, sig: NoteSignature) -> SignedNote:
    """Return *note* with *sig* appended, replacing any signature with the same name and key ID.

    Raises:
        InputError: the result would carry more than :data:`MAX_SIGNATURES` signatures.
    """
    kept = tuple(s for s in note.signatures if (s.name, s.key_hash) != (sig.name, sig.key_hash))
    return SignedNote(note.text, (*kept, sig))


def verify_note(note: SignedNote, trusted: Mapping[str, VerifyKey]) -> list[str]:
    """Verify *note*'s Ed25519 signatures against *trusted* (key name -> key).

    Signatures whose name and key ID match no trusted key are ignored, as c2sp.org/signed-note
    requires. Every matching signature is checked, including repeats. Returns the names that
    signed, in order of first appearance.

    Raises:
        InputError: a trusted name is not a valid key name or a value is not a :class:`VerifyKey`.
        SignatureError: a signature by a trusted name and key ID does not verify, or no trusted key
            signed the note.
    """
    expected = {
        name: (key_hash(name, ED25519, _require_verify_key(key).raw), key)
        for name, key in trusted.items()
    }
    message = note.text.encode("utf-8")
    signed: list[str] = []
    for sig in note.signatures:
        entry = expected.get(sig.name)
        if entry is None or entry[0] != sig.key_hash:
            continue
        if not entry[1].verify(sig.signature, message):
            raise SignatureError(f"the note signature by {shown(sig.name)} does not verify")
        if sig.name not in signed:
            signed.append(sig.name)
    if not signed:
        raise SignatureError("no trusted key signed this note")
    return signed


def _cosigned_message(timestamp: int, text: str) -> bytes:
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosign(note: SignedNote, name: str, key: SigningKey, timestamp: int) -> SignedNote:
    """Add a ``cosignature/v1`` (type ``0x04``) signature over *note*'s checkpoint at *timestamp*.

    This states what the cosigner observed; it does not check the log's own signature, so call
    :func:`verify_note` first. An earlier cosignature by the same name and key is replaced.

    Raises:
        InputError: the note text is not a checkpoint, *timestamp* is not an int in
            ``[0, 2**63 - 1]`` (POSIX seconds), *name* is invalid, or *key* is not a
            :class:`SigningKey`.
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InputError("a cosignature timestamp must be an int (POSIX seconds)")
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise InputError("a cosignature timestamp must be between 0 and 2**63 - 1")
    Checkpoint.parse(note.text)
    signer = _require_signing_key(key)
    key_id = key_hash(name, COSIGNATURE_V1, signer.verify_key.raw)
    signature = signer.sign(_cosigned_message(timestamp, note.text))
    stamped = timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature
    return add_signature(note, NoteSignature(name, key_id, stamped))


def _check_cosignature(sig: NoteSignature, key: VerifyKey, text: str) -> int:
    if len(sig.signature) != _TIMESTAMP_SIZE + _ED25519_SIG_SIZE:
        raise SignatureError(f"the cosignature by {shown(sig.name)} has the wrong length")
    timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise SignatureError(
            f"the cosignature by {shown(sig.name)} has a timestamp above 2**63 - 1"
        )
    if not key.verify(sig.signature[_TIMESTAMP_SIZE:], _cosigned_message(timestamp, text)):
        raise SignatureError(f"the cosignature by {shown(sig.name)} does not verify")
    return timestamp


def verify_cosignature(note: SignedNote, name: str, key: VerifyKey) -> int:
    """Verify the ``cosignature/v1`` by (*name*, *key*) on *note* and return its timestamp.

    Every cosignature line with this name and key ID must verify; if there are several, the
    latest timestamp is returned. Other signature lines are ignored.

    Raises:
        InputError: the note text is not a checkpoint, *name* is invalid, or *key* is not a
            :class:`VerifyKey`.
        SignatureError: there is no such cosignature, or one is malformed or does not verify.
    """
    Checkpoint.parse(note.text)
    verify_key = _require_verify_key(key)
    key_id = key_hash(name, COSIGNATURE_V1, verify_key.raw)
    found = [sig for sig in note.signatures if sig.name == name and sig.key_hash == key_id]
    if not found:
        raise SignatureError(f"no cosignature by {shown(name)} on this checkpoint")
    return max(_check_cosignature(sig, verify_key, note.text) for sig in found)
