"""The pseudonym schemes and their per-(scheme, kind, domain, version) keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

from govshare.crypto import SecretKey
from govshare.exceptions import InputError
from govshare.pseudonym._report import Kind

__all__ = ["DEFAULT_SCHEME", "SCHEMES", "Scheme", "SchemeName", "derive_key", "key_info", "scheme"]

SchemeName = Literal["aes-prp", "sm4-prp", "hmac-sha256", "hmac-sm3", "aes-siv"]
DEFAULT_SCHEME: Final[SchemeName] = "aes-prp"
_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Scheme:
    """A pseudonym scheme: its output code, key size, whether it reverses, and what it accepts."""

    name: SchemeName
    code: str
    key_size: int
    reversible: bool
    kinds: tuple[Kind, ...]


SCHEMES: Final[dict[str, Scheme]] = {
    s.name: s
    for s in (
        Scheme("aes-prp", "ap", 32, True, ("resident_id", "mobile")),
        Scheme("sm4-prp", "sp", 16, True, ("resident_id", "mobile")),
        Scheme("hmac-sha256", "hs", 32, False, ("resident_id", "mobile", "name")),
        Scheme("hmac-sm3", "hm", 32, False, ("resident_id", "mobile", "name")),
        Scheme("aes-siv", "as", 64, True, ("resident_id", "mobile", "name")),
    )
}


def scheme(name: str | None, kind: Kind) -> Scheme:
    """Look up scheme *name* (``None`` = the default) and check it accepts *kind*.

    Raises:
        InputError: unknown scheme, or one that cannot encode *kind*.
    """
    chosen = SCHEMES.get(DEFAULT_SCHEME if name is None else name)
    if chosen is None:
        raise InputError(
            f"unknown pseudonym scheme {name!r} (use one of {', '.join(get_args(SchemeName))})"
        )
    if kind not in chosen.kinds:
        raise InputError(
            f"scheme {chosen.name!r} does not encode {kind!r} values "
            f"(use one of: {', '.join(s.name for s in SCHEMES.values() if kind in s.kinds)})"
        )
    return chosen


def key_info(chosen: Scheme, kind: Kind, domain: str, version: int) -> bytes:
    """The HKDF *info* that binds a derived key to scheme, kind, domain and root-key version.

    Raises:
        InputError: *domain* is malformed or *version* is not a positive integer.
    """
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise InputError("domains are lower-case letters, digits and hyphens (max 63), e.g. 'hrss'")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("key versions are positive integers")
    return f"govshare/pseudonym/1|{chosen.name}|{kind}|{domain}|v{version}".encode("ascii")


def derive_key(root: SecretKey, chosen: Scheme, kind: Kind, domain: str, version: int) -> SecretKey:
    """HKDF-SHA256(root, salt=none, info=:func:`key_info`) of the scheme's key size."""
    return root.derive(key_info(chosen, kind, domain, version), length=chosen.key_size)
