"""The pseudonym schemes and their per-(scheme, kind, domain, version) keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from govshare.crypto import BlockCipher, HmacDigest, SecretKey
from govshare.exceptions import InputError
from govshare.identifiers import Kind, refuse_identifier, shown
from govshare.types import DEPARTMENT_PATTERN, matches

__all__ = ["DEFAULT_SCHEME", "SCHEMES", "Scheme", "SchemeName", "derive_key", "key_info", "scheme"]

SchemeName = Literal["aes-prp", "sm4-prp", "hmac-sha256", "hmac-sm3", "aes-siv"]
DEFAULT_SCHEME: Final[SchemeName] = "aes-prp"


@dataclass(frozen=True)
class Scheme:
    """A pseudonym scheme: its output code, key size, whether it reverses, what it accepts, and
    its primitive (a block cipher for the PRPs, a hash for the HMACs, neither for AES-SIV)."""

    name: SchemeName
    code: str
    key_size: int
    reversible: bool
    kinds: tuple[Kind, ...]
    cipher: BlockCipher | None = None
    digest: HmacDigest | None = None


SCHEMES: Final[dict[str, Scheme]] = {
    s.name: s
    for s in (
        Scheme("aes-prp", "ap", 32, True, ("resident_id", "mobile"), cipher="aes"),
        Scheme("sm4-prp", "sp", 16, True, ("resident_id", "mobile"), cipher="sm4"),
        Scheme("hmac-sha256", "hs", 32, False, ("resident_id", "mobile", "name"), digest="sha256"),
        Scheme("hmac-sm3", "hm", 32, False, ("resident_id", "mobile", "name"), digest="sm3"),
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
            f"unknown pseudonym scheme {shown(name)} (use one of {', '.join(get_args(SchemeName))})"
        )
    if kind not in chosen.kinds:
        raise InputError(
            f"scheme {chosen.name!r} does not encode {shown(kind)} values "
            f"(use one of: {', '.join(s.name for s in SCHEMES.values() if kind in s.kinds)})"
        )
    return chosen


def key_info(chosen: Scheme, kind: Kind, domain: str, version: int) -> bytes:
    """The HKDF *info* that binds a derived key to scheme, kind, domain and root-key version.

    Raises:
        InputError: *domain* is malformed or *version* is not a positive integer.
        IdentifierInText: *domain* is shaped like a personal identifier.
    """
    if not matches(DEPARTMENT_PATTERN, domain):
        raise InputError("domains are lower-case letters, digits and hyphens (max 63), e.g. 'hrss'")
    refuse_identifier(domain, "the domain")  # it is recorded with every re-identification
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("key versions are positive integers")
    return f"govshare/pseudonym/1|{chosen.name}|{kind}|{domain}|v{version}".encode("ascii")


def derive_key(root: SecretKey, chosen: Scheme, kind: Kind, domain: str, version: int) -> SecretKey:
    """HKDF-SHA256(root, salt=none, info=:func:`key_info`) of the scheme's key size."""
    return root.derive(key_info(chosen, kind, domain, version), length=chosen.key_size)
