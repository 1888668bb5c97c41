"""Resident identity numbers (GB 11643-1999), normalised and validated over whole columns.

A valid number is 17 digits and a check character: 6 digits of region, 8 of birth date
(``YYYYMMDD``, a real calendar date from 1800 to 2099; the standard's own example
is born in 1880), 3 of sequence, and the ISO 7064 MOD 11-2
check character (``0`` to ``9`` or ``X``). Normalisation applies Unicode NFKC (full-width digits
become ASCII), drops whitespace, upper-cases ``x``, and upgrades 15-digit legacy numbers
(``YYMMDD`` birth dates, all in the 1900s) to 18 characters by inserting ``19`` and computing
the check character.

Everything is computed with NumPy over an ``(n, 18)`` byte matrix; only rows that are not
already 18 ASCII characters take the (Arrow-compute) normalisation path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from govshare.identifiers._accel import native
from govshare.identifiers._columns import U8, Bool, Column, fixed_width, present_mask
from govshare.identifiers._gb11643 import CHECK_CHARACTERS, WEIGHTS
from govshare.identifiers._packed import tag
from govshare.identifiers._swar import analyse

__all__ = [
    "CODE_NAMES",
    "VALID",
    "ParsedIds",
    "parse_resident_ids",
]

Codes = npt.NDArray[np.uint8]

VALID: Final = 0
MISSING: Final = 1
NOT_A_STRING: Final = 2
LENGTH: Final = 3
CHARACTERS: Final = 4
BIRTH_DATE: Final = 5
CHECK_CHARACTER: Final = 6
CODE_NAMES: Final = (
    "valid",
    "missing",
    "not_a_string",
    "length",
    "characters",
    "birth_date",
    "check_character",
)

WIDTH: Final = 18
_WEIGHTS: Final = np.array(WEIGHTS, dtype=np.uint16)
_CHECK: Final = np.frombuffer(CHECK_CHARACTERS.encode("ascii"), dtype=np.uint8)
_TAG: Final = tag("resident_id")
_ZERO, _UPPER_X, _LOWER_X = 48, 88, 120


@dataclass(frozen=True)
class ParsedIds:
    """Normalised numbers as an ``(n, 18)`` ASCII matrix and a reason code per row (0 = valid)."""

    matrix: U8
    codes: Codes
    blocks: U8  # PRP input blocks (docs/spec/pseudonyms.md section 4); valid rows only

    @property
    def valid(self) -> Bool:
        """True for rows holding a valid number."""
        valid: Bool = self.codes == VALID
        return valid


def parse_resident_ids(column: Column) -> ParsedIds:
    """Normalise and validate every row of *column*; see the module docstring for the rules."""
    values = column.values
    present = present_mask(values)
    matrix, fits = fixed_width(values, WIDTH)
    codes, blocks = _analyse(matrix)
    slow = present & ~column.not_string & (~fits | (codes == CHARACTERS))
    if slow.any():
        matrix = matrix.copy() if not matrix.flags.writeable else matrix
        rows = np.flatnonzero(slow)
        fixed, fixed_codes = _normalise_slow(values.take(pa.array(rows)))
        matrix[rows] = fixed
        codes[rows] = fixed_codes
        blocks[rows] = _analyse(fixed)[1]
    lower = matrix[:, WIDTH - 1] == _LOWER_X
    if lower.any():
        matrix = matrix.copy() if not matrix.flags.writeable else matrix
        matrix[lower, WIDTH - 1] = _UPPER_X
    codes[column.not_string] = NOT_A_STRING
    codes[~present & ~column.not_string] = MISSING
    return ParsedIds(matrix, codes, blocks)


def _analyse(matrix: U8) -> tuple[Codes, U8]:
    """Reason codes and PRP blocks for an ``(n, 18)`` matrix (other lengths are sorted out later).

    Blocks of rows that are not valid hold zeros or garbage; callers mask them.
    """
    if native is not None:
        return _analyse_native(matrix)
    return _analyse_numpy(matrix)


def _analyse_native(matrix: U8) -> tuple[Codes, U8]:
    """:func:`_analyse` by the compiled kernel: one pass, about 10x faster than NumPy's."""
    assert native is not None
    n = len(matrix)
    codes = np.empty(n, dtype=np.uint8)
    blocks = np.empty((n, 16), dtype=np.uint8)
    if n:
        native.resident_ids(np.ascontiguousarray(matrix), codes, blocks, _TAG)
    return codes, blocks


def _analyse_numpy(matrix: U8) -> tuple[Codes, U8]:
    """:func:`_analyse` in NumPy (the reference, and the path where the kernel is not built)."""
    chars_ok, date_ok, total, blocks = analyse(matrix, _TAG)
    last = matrix[:, 17]
    check_ok = _CHECK[total] == np.where(last == _LOWER_X, np.uint8(_UPPER_X), last)
    codes = np.full(len(matrix), VALID, dtype=np.uint8)
    codes[~check_ok] = CHECK_CHARACTER
    codes[~date_ok] = BIRTH_DATE
    codes[~chars_ok] = CHARACTERS
    return codes, blocks


def _normalise_slow(values: pa.LargeStringArray) -> tuple[U8, Codes]:
    """NFKC, drop whitespace, upper-case; 15-digit legacy numbers upgraded to 18 characters."""
    text = pc.utf8_normalize(values, form="NFKC")
    text = pc.replace_substring_regex(text, pattern=r"\s+", replacement="")
    text = pc.utf8_upper(text)
    matrix, fits18 = fixed_width(text, WIDTH)
    matrix = matrix.copy() if not matrix.flags.writeable else matrix
    legacy, fits15 = fixed_width(text, 15)
    if fits15.any():
        matrix[fits15] = _upgrade(legacy[fits15])
    codes, _ = _analyse(matrix)
    codes[~(fits18 | fits15)] = LENGTH
    legacy_chars_ok = ((legacy - np.uint8(_ZERO)) < 10).all(axis=1)
    codes[fits15 & ~legacy_chars_ok] = CHARACTERS
    return matrix, codes


def _upgrade(legacy: U8) -> U8:
    """15-digit numbers (``RRRRRRYYMMDDSSS``) to 18 characters: insert ``19``, add the check."""
    upgraded = np.empty((len(legacy), WIDTH), dtype=np.uint8)
    upgraded[:, :6] = legacy[:, :6]
    upgraded[:, 6] = ord("1")
    upgraded[:, 7] = ord("9")
    upgraded[:, 8:17] = legacy[:, 6:15]
    digits = (upgraded[:, :17] - np.uint8(_ZERO)).astype(np.uint16)
    upgraded[:, 17] = _CHECK[(digits @ _WEIGHTS) % 11]
    return upgraded
