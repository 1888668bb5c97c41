"""Identifier validation and keyed, domain-separated pseudonyms.

``is_valid_resident_id`` / ``normalise_resident_ids`` check and canonicalise GB 11643 resident ID
numbers over a whole Series; :class:`Pseudonymiser` turns identifiers into self-describing
pseudonyms for one recipient domain (AES or SM4 block PRP, HMAC-SHA256, HMAC-SM3 or AES-SIV);
:func:`pseudonymise` applies it to DataFrame columns. The exact construction is in
``docs/spec/pseudonyms.md``.
"""

from __future__ import annotations

from govshare.pseudonym._frame import pseudonymise
from govshare.pseudonym._pseudonymiser import ROOT_KEY, OnInvalid, Pseudonymiser
from govshare.pseudonym._report import Kind, ValidationReport
from govshare.pseudonym._schemes import DEFAULT_SCHEME, SCHEMES, Scheme, SchemeName
from govshare.pseudonym._validate import (
    is_valid_resident_id,
    normalise_identifiers,
    normalise_resident_ids,
    validate_identifiers,
)

__all__ = [
    "DEFAULT_SCHEME",
    "ROOT_KEY",
    "SCHEMES",
    "Kind",
    "OnInvalid",
    "Pseudonymiser",
    "Scheme",
    "SchemeName",
    "ValidationReport",
    "is_valid_resident_id",
    "normalise_identifiers",
    "normalise_resident_ids",
    "pseudonymise",
    "validate_identifiers",
]
