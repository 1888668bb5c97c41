"""Keyed, domain-separated pseudonyms over whole columns and files.

:class:`Pseudonymiser` turns identifiers into self-describing pseudonyms for one recipient domain
(AES or SM4 block PRP, HMAC-SHA256, HMAC-SM3 or AES-SIV); :func:`pseudonymise` applies it to
DataFrame columns and :func:`pseudonymise_file` to CSV and Parquet files in chunks;
:class:`SealedPseudonymiser` carries one domain's key, sealed, to the workers of a distributed
engine. Identifiers are normalised and validated first by :mod:`govshare.identifiers` (whose
validation helpers are re-exported here). The exact construction is in ``docs/spec/pseudonyms.md``.
"""

from __future__ import annotations

from govshare.identifiers import (
    Kind,
    ValidationReport,
    is_valid_resident_id,
    normalise_identifiers,
    normalise_resident_ids,
    validate_identifiers,
)
from govshare.pseudonym._files import FileFormat, FileSummary, pseudonymise_file
from govshare.pseudonym._frame import pseudonymise
from govshare.pseudonym._pseudonymiser import ROOT_KEY, OnInvalid, Pseudonymiser
from govshare.pseudonym._schemes import DEFAULT_SCHEME, SCHEMES, Scheme, SchemeName
from govshare.pseudonym._workers import SealedPseudonymiser

__all__ = [
    "DEFAULT_SCHEME",
    "ROOT_KEY",
    "SCHEMES",
    "FileFormat",
    "FileSummary",
    "Kind",
    "OnInvalid",
    "Pseudonymiser",
    "Scheme",
    "SchemeName",
    "SealedPseudonymiser",
    "ValidationReport",
    "is_valid_resident_id",
    "normalise_identifiers",
    "normalise_resident_ids",
    "pseudonymise",
    "pseudonymise_file",
    "validate_identifiers",
]
