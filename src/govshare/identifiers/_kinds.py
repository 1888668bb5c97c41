"""Normalisation of every identifier kind, behind one shape: codes per row plus the values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from govshare.exceptions import InputError
from govshare.identifiers._columns import (
    U8,
    Bool,
    Column,
    fixed_width,
    matrix_to_strings,
    present_mask,
)
from govshare.identifiers._report import Kind
from govshare.identifiers._resident_id import CODE_NAMES, Codes, parse_resident_ids
from govshare.identifiers._shapes import shown

__all__ = ["KINDS", "REASONS", "Normalised", "normalise"]

KINDS: Final[tuple[Kind, ...]] = ("resident_id", "mobile", "name")
REASONS: Final[dict[Kind, tuple[str, ...]]] = {
    "resident_id": CODE_NAMES,
    "mobile": ("valid", "missing", "not_a_string", "format"),
    "name": ("valid", "missing", "not_a_string", "empty"),
}
MOBILE_WIDTH: Final = 11
_MOBILE = r"^1[3-9][0-9]{9}$"


@dataclass
class Normalised:
    """Normalised identifiers: a reason code per row (0 = valid) and the values.

    Fixed-width kinds (resident IDs, mobile numbers) keep an ``(n, width)`` ASCII matrix; names
    keep an Arrow string array.
    """

    kind: Kind
    codes: Codes
    matrix: U8 | None = None
    text: pa.LargeStringArray | None = None
    blocks: U8 | None = None  # PRP input blocks, when the parser already built them

    @property
    def valid(self) -> Bool:
        """True where the row holds a valid identifier."""
        valid: Bool = self.codes == 0
        return valid

    def take_blocks(self) -> U8 | None:
        """Hand over the PRP blocks the parser built (and forget them, to free memory early)."""
        blocks, self.blocks = self.blocks, None
        return blocks

    def strings(self) -> pa.LargeStringArray:
        """The normalised values, null where missing or invalid."""
        if self.matrix is not None:
            return matrix_to_strings(self.matrix, self.valid)
        assert self.text is not None
        return pc.if_else(pa.array(self.valid), self.text, pa.scalar(None, pa.large_string()))

    def utf8(self) -> list[bytes]:
        """The valid values' UTF-8 bytes, in row order (for the per-value schemes)."""
        if self.matrix is not None:
            # Fixed-width ASCII rows (never containing NUL) as one NumPy bytes column: the
            # list of Python bytes is built in C.
            width = self.matrix.shape[1]
            rows = np.ascontiguousarray(self.matrix[self.valid]).view(f"S{width}").ravel()
            return rows.tolist()
        valid = self.strings().filter(pa.array(self.valid))
        return valid.cast(pa.large_binary()).to_pylist()  # type: ignore[no-any-return]


def normalise(kind: Kind, column: Column) -> Normalised:
    """Normalise and validate *column* as identifiers of *kind*.

    Raises:
        InputError: unknown *kind*.
    """
    if kind == "resident_id":
        parsed = parse_resident_ids(column)
        return Normalised(kind, parsed.codes, matrix=parsed.matrix, blocks=parsed.blocks)
    if kind == "mobile":
        return _mobiles(column)
    if kind == "name":
        return _names(column)
    raise InputError(f"unknown identifier kind {shown(kind)} (use one of {', '.join(KINDS)})")


def _base_codes(column: Column) -> Codes:
    present = present_mask(column.values)
    codes = np.zeros(len(present), dtype=np.uint8)
    codes[~present] = 1
    codes[column.not_string] = 2
    return codes


def _mobiles(column: Column) -> Normalised:
    """Mainland mobile numbers: NFKC, drop spaces and hyphens and a +86 / 0086 prefix."""
    text = pc.utf8_normalize(column.values, form="NFKC")
    text = pc.replace_substring_regex(text, pattern=r"[\s\-]+", replacement="")
    text = pc.replace_substring_regex(text, pattern=r"^(?:\+86|0086)", replacement="")
    matches = pc.fill_null(pc.match_substring_regex(text, pattern=_MOBILE), False)
    codes = _base_codes(column)
    codes[(codes == 0) & ~np.asarray(matches.to_numpy(zero_copy_only=False), dtype=np.bool_)] = 3
    matrix, _ = fixed_width(text, MOBILE_WIDTH)
    return Normalised("mobile", codes, matrix=np.ascontiguousarray(matrix))


def _names(column: Column) -> Normalised:
    """Free-text names: NFKC, whitespace runs collapsed to one space, trimmed."""
    text = pc.utf8_normalize(column.values, form="NFKC")
    text = pc.replace_substring_regex(text, pattern=r"\s+", replacement=" ")
    text = pc.utf8_trim_whitespace(text)
    codes = _base_codes(column)
    empty = pc.fill_null(pc.equal(pc.utf8_length(text), 0), False)
    codes[(codes == 0) & np.asarray(empty.to_numpy(zero_copy_only=False), dtype=np.bool_)] = 3
    return Normalised("name", codes, text=text)
