"""KeyRing: a department's named, versioned keys, held in its encrypted key file."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, NoReturn

from pydantic import BaseModel, ConfigDict

from govshare._clock import Clock, SystemClock, utc_iso
from govshare.crypto import SECRET_ACCESS, ScryptParams, SigningKey, VerifyKey
from govshare.crypto._secret import refuse_pickle
from govshare.exceptions import InputError, KeyFileCorrupted, KeyNotFound, KeyStoreError
from govshare.keys._keyfile import read_key_file, resolve_passphrase, write_key_file

__all__ = ["KeyInfo", "KeyRing"]

SIGNING = "signing"


class KeyInfo(BaseModel):
    """Public facts about one key version: never its secret material."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int
    kid: str
    type: Literal["ed25519"]
    created: datetime
    status: Literal["active", "retired"]


@dataclass(frozen=True)
class _Entry:
    info: KeyInfo
    secret: bytes = field(repr=False)


class KeyRing:
    """Named, versioned secret keys of one department, encrypted at rest.

    Open one with :meth:`open` or make a new one with :meth:`create`; a ``KeyRing`` never prints,
    pickles or logs key material. For now it holds the department's Ed25519 signing key (name
    ``"signing"``), which signs audit-log checkpoints.
    """

    __slots__ = ("_department", "_entries", "_params", "_passphrase", "_path")

    def __init__(
        self,
        path: Path,
        department: str,
        entries: list[_Entry],
        passphrase: str,
        params: ScryptParams,
    ) -> None:
        self._path = path
        self._department = department
        self._entries = entries
        self._passphrase = passphrase
        self._params = params

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
        """Make a new key file at *path* with a fresh signing key.

        Raises:
            KeyStoreError: the file already exists, or no passphrase is given or set.
        """
        target = Path(path)
        if target.exists():
            raise KeyStoreError(f"key file {target} already exists; open it instead")
        secret = resolve_passphrase(passphrase)
        ring = cls(target, department, [], secret, scrypt or ScryptParams())
        key = SigningKey.generate()
        ring._entries.append(_new_entry(SIGNING, 1, key, (clock or SystemClock()).now()))
        ring._save(new=True)
        return ring

    @classmethod
    def open(cls, path: str | Path, *, passphrase: str | None = None) -> KeyRing:
        """Open an existing key file.

        Raises:
            KeyStoreError: the file is missing, or no passphrase is given or set.
            WrongPassphrase: the passphrase is wrong (or the file was altered).
            KeyFileCorrupted: the file is malformed.
        """
        target = Path(path)
        secret = resolve_passphrase(passphrase)
        plaintext, params = read_key_file(target, secret)
        try:
            doc = json.loads(plaintext)
            entries = [
                _Entry(KeyInfo.model_validate(e["info"]), base64.b64decode(e["secret"]))
                for e in doc["keys"]
            ]
            department = str(doc["department"])
        except (ValueError, KeyError, TypeError):
            raise KeyFileCorrupted(
                f"key file {target} decrypted but its content is malformed"
            ) from None
        return cls(target, department, entries, secret, params)

    @property
    def path(self) -> Path:
        """Where the key file lives."""
        return self._path

    @property
    def department(self) -> str:
        """The department these keys belong to."""
        return self._department

    def keys(self) -> list[KeyInfo]:
        """Public facts about every key version (no secret material)."""
        return [e.info for e in self._entries]

    def signing_key(self) -> SigningKey:
        """The active Ed25519 signing key.

        Raises:
            KeyNotFound: there is no active signing key.
        """
        entry = self._active(SIGNING)
        return SigningKey.from_private_bytes(entry.secret)

    def verify_key(self, kid: str) -> VerifyKey:
        """The public key for key id *kid* (active or retired).

        Raises:
            KeyNotFound: no signing key has this id.
        """
        for entry in self._entries:
            if entry.info.kid == kid and entry.info.type == "ed25519":
                return SigningKey.from_private_bytes(entry.secret).verify_key
        raise KeyNotFound(f"no signing key with id {kid!r}")

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt the key file under *new_passphrase*.

        Raises:
            InputError: the new passphrase is empty.
        """
        if not new_passphrase:
            raise InputError("the new passphrase is empty")
        self._passphrase = new_passphrase
        self._save()

    def _active(self, name: str) -> _Entry:
        for entry in reversed(self._entries):
            if entry.info.name == name and entry.info.status == "active":
                return entry
        raise KeyNotFound(f"no active key named {name!r}")

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

    def __repr__(self) -> str:
        return f"KeyRing(department={self._department!r}, keys={len(self._entries)})"

    def __reduce__(self) -> NoReturn:
        refuse_pickle("KeyRing")


def _new_entry(name: str, version: int, key: SigningKey, created: datetime) -> _Entry:
    kid = f"{name}-v{version}-{key.verify_key.fingerprint()}"
    info = KeyInfo(
        name=name,
        version=version,
        kid=kid,
        type="ed25519",
        created=datetime.fromisoformat(utc_iso(created)),
        status="active",
    )
    return _Entry(info, key.private_bytes(SECRET_ACCESS))
