"""The encrypted key file: JSON header + AES-256-GCM ciphertext under a scrypt-derived key.

Layout (all binary fields base64)::

    {"format": "govshare-keyfile", "version": 1,
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "…"},
     "cipher": "AES-256-GCM", "nonce": "…", "ciphertext": "…"}

The header (everything but ``nonce`` and ``ciphertext``) is the AEAD's associated data, so changing
the KDF parameters or the format version makes the file fail to open. Writes go to a temporary file in
the same folder which is fsynced and renamed over the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Final

import rfc8785

from govshare.crypto import ScryptParams, new_salt, open_sealed, seal
from govshare.exceptions import InputError, KeyFileCorrupted, KeyStoreError

__all__ = [
    "MAX_KEY_FILE_BYTES",
    "MAX_SCRYPT_MEMORY",
    "InsecureKeyFileWarning",
    "read_key_file",
    "resolve_passphrase",
    "write_key_file",
]

_FORMAT = "govshare-keyfile"
_VERSION = 1
PASSPHRASE_ENV = "GOVSHARE_PASSPHRASE"  # noqa: S105 - the variable name, not a secret

MAX_SCRYPT_MEMORY: Final = 2**30
"""The most memory (``128 * n * r`` bytes, 1 GiB) a key file's scrypt header may ask for; with
``n`` a power of two from 2**10 to 2**20, ``r`` from 1 to 32 and ``p`` from 1 to 16. A header
outside these is refused as :class:`~govshare.KeyFileCorrupted` before any key derivation."""

MAX_KEY_FILE_BYTES: Final = 64 * 2**20
"""A key file larger than this (64 MiB) is refused unread."""


class InsecureKeyFileWarning(UserWarning):
    """A key file is readable or writable by users other than its owner (``chmod 600`` it)."""


def _checked_params(n: object, r: object, p: object, error: type[Exception]) -> ScryptParams:
    """scrypt parameters within the limits (strict integers, bounded memory), else *error*."""
    if not (type(n) is int and type(r) is int and type(p) is int):  # not bool, float or str
        raise error("the key file's scrypt parameters must be integers")
    if not (2**10 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise error("the key file's scrypt parameters are outside the supported limits")
    if 128 * n * r > MAX_SCRYPT_MEMORY:
        raise error("the key file's scrypt parameters would need more than 1 GiB of memory")
    return ScryptParams(n=n, r=r, p=p)


def _warn_if_shared(path: Path) -> None:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        warnings.warn(
            f"key file {path} is accessible to other users; restrict it with chmod 600",
            InsecureKeyFileWarning,
            stacklevel=4,
        )


def resolve_passphrase(passphrase: str | None) -> str:
    """The passphrase given, else ``GOVSHARE_PASSPHRASE``.

    Raises:
        KeyStoreError: neither is set.
    """
    value = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    if not value:
        raise KeyStoreError(
            f"the key file needs a passphrase: pass passphrase=… or set {PASSPHRASE_ENV}"
        )
    return value


def _header(params: ScryptParams, salt: bytes) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "kdf": {"name": "scrypt", "n": params.n, "r": params.r, "p": params.p, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
    }


def write_key_file(
    path: Path, plaintext: bytes, passphrase: str, params: ScryptParams, *, new: bool = False
) -> None:
    """Encrypt *plaintext* and atomically replace *path* with it (mode 0600).

    With ``new=True`` the file must not exist yet: two processes creating it at once cannot
    overwrite each other's keys.

    Raises:
        KeyStoreError: ``new=True`` and the file exists, or the folder is not writable.
        InputError: *params* are outside the limits a key file may be opened with.
    """
    params = _checked_params(params.n, params.r, params.p, InputError)
    salt = new_salt()
    header = _header(params, salt)
    nonce, ciphertext = seal(plaintext, passphrase, rfc8785.dumps(header), params, salt)
    doc = {**header, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}
    _atomic_write(path, json.dumps(doc, indent=2).encode("utf-8") + b"\n", new=new)


def read_key_file(path: Path, passphrase: str) -> tuple[bytes, ScryptParams]:
    """Decrypt the key file at *path*; returns the plaintext and the file's scrypt parameters.

    Raises:
        KeyStoreError: the file does not exist or cannot be read.
        KeyFileCorrupted: it is not a govshare key file, or a field is malformed.
        WrongPassphrase: it does not open with *passphrase* (or its content was altered).
    """
    try:
        _warn_if_shared(path)
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileCorrupted(f"key file {path} is larger than any govshare key file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"key file {path} does not exist") from None
    except OSError as exc:
        raise KeyStoreError(f"key file {path} cannot be read: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("kdf"), dict):
            raise KeyFileCorrupted(f"key file {path} is malformed or truncated")
        kdf = doc["kdf"]
        if (
            doc["format"] != _FORMAT
            or type(doc["version"]) is not int
            or doc["version"] != _VERSION
            or kdf["name"] != "scrypt"
            or doc["cipher"] != "AES-256-GCM"
        ):
            raise KeyFileCorrupted(f"{path} is not a govshare key file of a known version")
        params = _checked_params(kdf["n"], kdf["r"], kdf["p"], KeyFileCorrupted)
        salt = _unb64(kdf["salt"])
        header = _header(params, salt)
        nonce, ciphertext = _unb64(doc["nonce"]), _unb64(doc["ciphertext"])
    except KeyFileCorrupted:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise KeyFileCorrupted(f"key file {path} is malformed or truncated") from None
    aad = rfc8785.dumps(header)
    return open_sealed(salt, nonce, ciphertext, passphrase, aad, params), params


def _atomic_write(path: Path, data: bytes, *, new: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KeyStoreError(f"cannot write key file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        if new:
            os.link(tmp, path)  # fails if the file appeared meanwhile, unlike rename
        else:
            os.replace(tmp, path)
    except FileExistsError:
        raise KeyStoreError(f"key file {path} already exists; open it instead") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise InputError("expected base64 text")
    return base64.b64decode(text, validate=True)
