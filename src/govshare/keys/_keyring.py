"""KeyRing: a department's named, versioned keys, held in its encrypted key file."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, Literal, NoReturn

from pydantic import BaseModel, ConfigDict

from govshare._clock import Clock, SystemClock, utc_iso
from govshare.crypto import (
    ScryptParams,
    SecretKey,
    SigningKey,
    VerifyKey,
    random_bytes,
    refuse_pickle,
)
from govshare.exceptions import InputError, KeyFileCorrupted, KeyNotFound, KeyStoreError
from govshare.identifiers import looks_like_identifier, refuse_identifier, shown
from govshare.keys._keyfile import read_key_file, resolve_passphrase, write_key_file
from govshare.types import KEY_NAME_PATTERN, matches

__all__ = ["DOCUMENT_KEY", "PUBLIC_KEY_FORMAT", "PUBLIC_KEY_USES", "SIGNING", "KeyInfo", "KeyRing"]

SIGNING = "signing"
DOCUMENT_KEY: Final = "document-signing"
PUBLIC_KEY_FORMAT: Final = "govshare.public-keys.v2"
# The keys other departments must trust, and what each may sign. One key per purpose: a token
# key and a document key can be rotated, retired or held on different hosts independently.
PUBLIC_KEY_USES: Final[Mapping[str, str]] = {
    "token-signing": "tokens",  # PASETO v4.public access tokens
    DOCUMENT_KEY: "documents",  # signed catalogue, request, decision and agreement documents
}
_STANDARD_KEYS: tuple[tuple[str, Literal["ed25519", "secret"]], ...] = (
    (SIGNING, "ed25519"),  # audit-log checkpoints
    ("pseudonym-root", "secret"),  # per-domain pseudonym keys (HKDF)
    ("token-signing", "ed25519"),  # PASETO v4.public access tokens
    (DOCUMENT_KEY, "ed25519"),  # signed documents between departments (govshare.exchange)
)


class KeyInfo(BaseModel):
    """Public facts about one key version: never its secret material."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int
    kid: str
    type: Literal["ed25519", "secret"]
    created: datetime
    status: Literal["active", "retired"]


@dataclass(frozen=True)
class _Entry:
    info: KeyInfo
    secret: bytes = field(repr=False)


class KeyRing:
    """Named, versioned secret keys of one department, encrypted at rest.

    Open one with :meth:`open` or make a new one with :meth:`create`; a ``KeyRing`` never prints,
    pickles or logs key material. Each key has a name and versions (key id, creation time,
    status); the newest active version of a name is its *primary*, used for new signatures and
    derivations, while older active versions stay usable to verify and read until retired.
    Every change rewrites the key file atomically. The department's Ed25519 signing key (name
    ``"signing"``) signs audit-log checkpoints.
    """

    __slots__ = ("_clock", "_department", "_entries", "_params", "_passphrase", "_path", "_stamp")

    def __init__(
        self,
        path: Path,
        department: str,
        entries: list[_Entry],
        passphrase: str,
        params: ScryptParams,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._path = path
        self._department = department
        self._entries = entries
        self._passphrase = passphrase
        self._params = params
        self._stamp = _stamp(path)

    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        department: str,
        passphrase: str | None = None,
        scrypt: ScryptParams | None = None,
        clock: Clock | None = None,
    ) -> KeyRing:
        """Make a new key file at *path* with the department's standard keys.

        They are the audit-log ``signing`` key, the ``pseudonym-root`` secret, the
        ``token-signing`` key and the ``document-signing`` key, each at version 1.

        Raises:
            KeyStoreError: the file already exists, or no passphrase is given or set.
        """
        target = Path(path)
        if target.exists():
            raise KeyStoreError(f"key file {target} already exists; open it instead")
        secret = resolve_passphrase(passphrase)
        ring = cls(target, department, [], secret, scrypt or ScryptParams(), clock)
        now = ring._clock.now()
        # Every key a workspace uses is made here, once, so no two processes can race to
        # create different first versions of the same key later (ensure() then only reads).
        for name, kind in _STANDARD_KEYS:
            ring._entries.append(_new_entry(name, 1, kind, now))
        ring._save(new=True)
        return ring

    @classmethod
    def open(
        cls, path: str | Path, *, passphrase: str | None = None, clock: Clock | None = None
    ) -> KeyRing:
        """Open an existing key file.

        Raises:
            KeyStoreError: the file is missing, or no passphrase is given or set.
            WrongPassphrase: the passphrase is wrong (or the file was altered).
            KeyFileCorrupted: the file is malformed.
        """
        target = Path(path)
        secret = resolve_passphrase(passphrase)
        department, entries, params = _load(target, secret)
        return cls(target, department, entries, secret, params, clock)

    def refresh(self) -> bool:
        """Re-read the key file if another process changed it since it was read or written here.

        One ``stat`` when nothing changed, so callers that must see a version retired elsewhere
        (token verification) call it every time. Returns whether the keys were re-read.

        Raises:
            KeyStoreError / WrongPassphrase / KeyFileCorrupted: the changed file does not open
                (the keys in memory are kept then).
        """
        stamp = _stamp(self._path)
        if stamp == self._stamp:
            return False
        department, entries, params = _load(self._path, self._passphrase)
        if department != self._department:
            raise KeyFileCorrupted(f"key file {self._path} now belongs to another department")
        self._entries, self._params, self._stamp = entries, params, stamp
        return True

    @property
    def path(self) -> Path:
        """Where the key file lives."""
        return self._path

    @property
    def department(self) -> str:
        """The department these keys belong to."""
        return self._department

    def key_infos(self) -> list[KeyInfo]:
        """Public facts about every key version (no secret material)."""
        return [e.info for e in self._entries]

    def info(self, name: str, version: int | None = None) -> KeyInfo:
        """Public facts about key *name* at *version* (default: the primary, newest active one).

        Raises:
            KeyNotFound: no such key or version.
        """
        return self._entry(name, version).info

    def signing_key(self, name: str = SIGNING, version: int | None = None) -> SigningKey:
        """The Ed25519 key *name* at *version* (default: the primary, newest active version).

        Raises:
            KeyNotFound: there is no such key, or no active version of it.
        """
        entry = self._entry(name, version)
        if entry.info.type != "ed25519":
            raise KeyNotFound(f"key {shown(name)} is not an Ed25519 signing key")
        return SigningKey.from_private_bytes(entry.secret)

    def secret_key(self, name: str, version: int | None = None) -> SecretKey:
        """The symmetric key *name* at *version* (default: the primary, newest active version).

        Raises:
            KeyNotFound: there is no such key, or no active version of it.
        """
        entry = self._entry(name, version)
        if entry.info.type != "secret":
            raise KeyNotFound(f"key {shown(name)} is not a symmetric secret key")
        return SecretKey.from_bytes(entry.secret)

    def verify_key(self, kid: str) -> VerifyKey:
        """The public key for key id *kid* (active or retired).

        Raises:
            KeyNotFound: no signing key has this id.
        """
        for entry in self._entries:
            if entry.info.kid == kid and entry.info.type == "ed25519":
                return SigningKey.from_private_bytes(entry.secret).verify_key
        raise KeyNotFound(f"no signing key with id {kid!r}")

    def public_keys(self, name: str = SIGNING) -> dict[str, VerifyKey]:
        """Public keys of every *active* version of signing key *name*, by key id."""
        return {
            e.info.kid: SigningKey.from_private_bytes(e.secret).verify_key
            for e in self._entries
            if e.info.name == name and e.info.type == "ed25519" and e.info.status == "active"
        }

    def export_public(self) -> str:
        """This department's active public keys that other departments trust, as a JSON document.

        The document (format ``govshare.public-keys.v2``) names the department and, per key, its
        ``kid``, ``type``, ``use`` (``"tokens"`` for the ``token-signing`` key, ``"documents"``
        for the ``document-signing`` key), ``public_key`` (PASERK ``k4.public.``), ``status``
        and ``created``. Hand it to other departments (``ws.tokens.trust(doc)``) so they accept
        tokens and signed documents from here. Keys missing from an older key file are created
        first.

        Raises:
            KeyNotFound: every version of one of these keys is retired.
        """
        keys = []
        for name, use in PUBLIC_KEY_USES.items():
            self.ensure(name, "ed25519")
            keys += [
                {
                    "kid": e.info.kid,
                    "type": e.info.type,
                    "use": use,
                    "public_key": "k4.public."
                    + base64.urlsafe_b64encode(
                        SigningKey.from_private_bytes(e.secret).verify_key.raw
                    )
                    .rstrip(b"=")
                    .decode("ascii"),
                    "status": e.info.status,
                    "created": utc_iso(e.info.created),
                }
                for e in self._entries
                if e.info.name == name and e.info.status == "active"
            ]
        doc = {"format": PUBLIC_KEY_FORMAT, "department": self._department, "keys": keys}
        return json.dumps(doc, indent=2)

    def ensure(self, name: str, type: Literal["ed25519", "secret"]) -> KeyInfo:
        """Return key *name*'s primary version, creating version 1 (of *type*) if it is new.

        The key file is rewritten (atomically) only when a key was created.

        Raises:
            InputError: *name* is malformed, or exists with another type.
            KeyNotFound: the key exists but every version is retired.
        """
        _check_name(name)
        existing = [e for e in self._entries if e.info.name == name]
        if existing:
            if existing[0].info.type != type:
                raise InputError(f"key {shown(name)} exists with type {existing[0].info.type!r}")
            return self._entry(name, None).info
        return self._add(name, 1, type)

    def rotate(self, name: str) -> KeyInfo:
        """Make a new version of key *name* the primary one; older versions stay usable until
        retired (to verify old signatures and read or re-identify old pseudonyms).

        Raises:
            KeyNotFound: there is no key *name*.
        """
        versions = [e for e in self._entries if e.info.name == name]
        if not versions:
            raise KeyNotFound(f"no key named {shown(name)}")
        latest = max(e.info.version for e in versions)
        return self._add(name, latest + 1, versions[0].info.type)

    def retire(self, name: str, version: int) -> KeyInfo:
        """Retire one version of key *name*: it no longer signs, verifies or derives anything.

        Raises:
            KeyNotFound: no such key or version.
            InputError: it is the only active version of the department's signing key.
        """
        entry = self._entry(name, version)
        active = [e for e in self._entries if e.info.name == name and e.info.status == "active"]
        if name == SIGNING and active == [entry]:
            raise InputError("rotate the signing key before retiring its last active version")
        retired = _Entry(entry.info.model_copy(update={"status": "retired"}), entry.secret)
        self._entries[self._entries.index(entry)] = retired
        self._save()
        return retired.info

    def _add(self, name: str, version: int, type: Literal["ed25519", "secret"]) -> KeyInfo:
        entry = _new_entry(name, version, type, self._clock.now())
        self._entries.append(entry)
        self._save()
        return entry.info

    def _entry(self, name: str, version: int | None) -> _Entry:
        candidates = [e for e in self._entries if e.info.name == name]
        if version is None:
            active = [e for e in candidates if e.info.status == "active"]
            if not active:
                raise KeyNotFound(f"no active key named {shown(name)}")
            return max(active, key=lambda e: e.info.version)
        for entry in candidates:
            if entry.info.version == version:
                if entry.info.status != "active":
                    raise KeyNotFound(f"key {shown(name)} version {version} is retired")
                return entry
        raise KeyNotFound(f"no key {shown(name)} version {version}")

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt the key file under *new_passphrase*.

        Raises:
            InputError: the new passphrase is empty.
        """
        if not new_passphrase:
            raise InputError("the new passphrase is empty")
        self._passphrase = new_passphrase
        self._save()

    def _save(self, *, new: bool = False) -> None:
        doc = {
            "department": self._department,
            "keys": [
                {
                    "info": e.info.model_dump(mode="json"),
                    "secret": base64.b64encode(e.secret).decode("ascii"),
                }
                for e in self._entries
            ],
        }
        plaintext = json.dumps(doc).encode("utf-8")
        write_key_file(self._path, plaintext, self._passphrase, self._params, new=new)
        self._stamp = _stamp(self._path)

    def __repr__(self) -> str:
        return f"KeyRing(department={self._department!r}, keys={len(self._entries)})"

    def __reduce__(self) -> NoReturn:
        refuse_pickle("KeyRing")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the key file is replaced (it is always replaced by a rename)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _load(path: Path, passphrase: str) -> tuple[str, list[_Entry], ScryptParams]:
    plaintext, params = read_key_file(path, passphrase)
    try:
        doc = json.loads(plaintext)
        entries = [
            _Entry(KeyInfo.model_validate(e["info"]), base64.b64decode(e["secret"]))
            for e in doc["keys"]
        ]
        department = str(doc["department"])
    except (ValueError, KeyError, TypeError):
        raise KeyFileCorrupted(f"key file {path} decrypted but its content is malformed") from None
    return department, entries, params


def _new_entry(
    name: str, version: int, type: Literal["ed25519", "secret"], created: datetime
) -> _Entry:
    # The ring stores raw material (encrypted at rest), so it draws the bytes itself and builds
    # handles from them: nothing is ever exported from a handle.
    for _ in range(64):  # a kid is recorded everywhere: redraw the rare one shaped like an ID
        secret = random_bytes(32)
        if type == "ed25519":
            fingerprint = SigningKey.from_private_bytes(secret).verify_key.fingerprint()
        else:
            fingerprint = SecretKey.from_bytes(secret).fingerprint()
        kid = f"{name}-v{version}-{fingerprint}"
        if not looks_like_identifier(kid):
            break
    info = KeyInfo(
        name=name,
        version=version,
        kid=kid,
        type=type,
        created=datetime.fromisoformat(utc_iso(created)),
        status="active",
    )
    return _Entry(info, secret)


def _check_name(name: str) -> None:
    if not matches(KEY_NAME_PATTERN, name):
        raise InputError("key names are lower-case letters, digits, '-', '_' and '.' (max 64)")
    refuse_identifier(name, "the key name")
