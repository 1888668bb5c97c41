"""Public validation helpers: one value, or a whole Series at once."""

from __future__ import annotations

import pandas as pd

from govshare.exceptions import InputError
from govshare.identifiers._columns import from_series, to_series
from govshare.identifiers._kinds import REASONS, normalise
from govshare.identifiers._report import Kind, ValidationReport, report_from_codes
from govshare.identifiers._shapes import shown

__all__ = [
    "is_valid_resident_id",
    "normalise_identifiers",
    "normalise_resident_ids",
    "validate_identifiers",
]


def is_valid_resident_id(value: str) -> bool:
    """Whether *value* is a valid GB 11643 resident ID number after normalisation.

    Accepts 18-character numbers (and 15-digit legacy ones), full-width digits, spaces and a
    lower-case ``x``; anything that is not a string is simply not valid.
    """
    if not isinstance(value, str):
        return False
    column = from_series(pd.Series([value], dtype="str"))
    return bool(normalise("resident_id", column).valid[0])


def normalise_resident_ids(values: pd.Series) -> pd.Series:
    """Resident ID numbers in canonical form (18 ASCII characters, upper-case ``X``).

    Invalid values become missing; use :func:`validate_identifiers` to learn which and why.
    Returns a new Series (same index and name, Arrow-backed strings).

    Raises:
        InputError: *values* is not a pandas Series.
    """
    return normalise_identifiers(values, kind="resident_id")


def normalise_identifiers(
    values: pd.Series,
    *,
    kind: Kind,
) -> pd.Series:
    """Identifiers of *kind* in canonical form; invalid ones become missing.

    Resident IDs: as :func:`normalise_resident_ids`. Mobile numbers: the 11 digits without
    ``+86``/``0086``, spaces or hyphens. Names: NFKC, whitespace runs collapsed, trimmed.

    Raises:
        InputError: *values* is not a Series, or *kind* is unknown.
    """
    return to_series(normalise(kind, from_series(values)).strings(), values)


def validate_identifiers(
    values: pd.Series,
    *,
    kind: Kind = "resident_id",
) -> ValidationReport:
    """Count valid, missing and invalid identifiers by reason, and list the invalid rows.

    Raises:
        InputError: *values* is not a Series, or *kind* is unknown.
    """
    if kind not in REASONS:
        raise InputError(f"unknown identifier kind {shown(kind)}")
    codes = normalise(kind, from_series(values)).codes
    return report_from_codes(kind, codes, REASONS[kind])
