"""Personal identifiers: normalisation, validation and shape detection, with no keys and no store.

The layer every capability that handles identifiers builds on:

- one value: :func:`is_valid_resident_id`, :func:`normalise_resident_id`,
  :func:`check_character` (GB 11643 / ISO 7064 MOD 11-2);
- whole columns (pandas Series, vectorised over Arrow buffers): :func:`normalise_resident_ids`,
  :func:`normalise_identifiers`, :func:`validate_identifiers` and its :class:`ValidationReport`;
- free text: :func:`looks_like_identifier`, which keeps identifier-shaped strings out of logs,
  tokens and messages, and the checkers every door uses, :func:`check_free_text` and
  :func:`refuse_identifier` (both raise :class:`~govshare.IdentifierInText`);
- the columnar building blocks the capabilities share: :class:`Column` (a string column as
  Arrow ``large_string``), :func:`normalise` (reason codes plus a fixed-width byte matrix), and
  the packed forms (:func:`pack_blocks`, :func:`hex_strings`).

Resident ID numbers: NFKC (full-width digits become ASCII), whitespace dropped, ``x`` upper-cased,
15-digit legacy numbers upgraded to 18 characters; then 17 digits, a real birth date from 1800 to
2099 and the check character must hold. Optional C kernels (built on install where a compiler
exists) speed up validation and hex output; they never see key material, and the NumPy code gives
identical results (``GOVSHARE_NO_NATIVE=1`` forces it).

Importing this package is cheap: the columnar parts load NumPy, pandas and pyarrow on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from govshare.identifiers._gb11643 import check_character
from govshare.identifiers._shapes import (
    FREE_TEXT,
    FreeText,
    check_free_text,
    looks_like_identifier,
    refuse_identifier,
    shown,
    shown_all,
)

if TYPE_CHECKING:
    from govshare.identifiers._columns import (
        U8,
        Bool,
        Column,
        fixed_width,
        from_arrow,
        from_series,
        matrix_to_strings,
        present_mask,
        to_series,
    )
    from govshare.identifiers._kinds import KINDS, MOBILE_WIDTH, REASONS, Normalised, normalise
    from govshare.identifiers._packed import hex_strings, pack_blocks, unhex_rows, unpack_blocks
    from govshare.identifiers._report import Kind, ValidationReport, report_from_codes
    from govshare.identifiers._scalar import normalise_resident_id, resident_id_block
    from govshare.identifiers._validate import (
        is_valid_resident_id,
        normalise_identifiers,
        normalise_resident_ids,
        validate_identifiers,
    )

# Names that need NumPy / pandas / pyarrow, imported on first use.
_LAZY = {
    "U8": "_columns",
    "Bool": "_columns",
    "Column": "_columns",
    "fixed_width": "_columns",
    "from_arrow": "_columns",
    "from_series": "_columns",
    "matrix_to_strings": "_columns",
    "present_mask": "_columns",
    "to_series": "_columns",
    "KINDS": "_kinds",
    "MOBILE_WIDTH": "_kinds",
    "REASONS": "_kinds",
    "Normalised": "_kinds",
    "normalise": "_kinds",
    "hex_strings": "_packed",
    "pack_blocks": "_packed",
    "unhex_rows": "_packed",
    "unpack_blocks": "_packed",
    "Kind": "_report",
    "ValidationReport": "_report",
    "report_from_codes": "_report",
    "normalise_resident_id": "_scalar",
    "resident_id_block": "_scalar",
    "is_valid_resident_id": "_validate",
    "normalise_identifiers": "_validate",
    "normalise_resident_ids": "_validate",
    "validate_identifiers": "_validate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govshare.identifiers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"govshare.identifiers.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FREE_TEXT",
    "KINDS",
    "MOBILE_WIDTH",
    "REASONS",
    "U8",
    "Bool",
    "Column",
    "FreeText",
    "Kind",
    "Normalised",
    "ValidationReport",
    "check_character",
    "check_free_text",
    "fixed_width",
    "from_arrow",
    "from_series",
    "hex_strings",
    "is_valid_resident_id",
    "looks_like_identifier",
    "matrix_to_strings",
    "normalise",
    "normalise_identifiers",
    "normalise_resident_id",
    "normalise_resident_ids",
    "pack_blocks",
    "present_mask",
    "refuse_identifier",
    "report_from_codes",
    "resident_id_block",
    "shown",
    "shown_all",
    "to_series",
    "unhex_rows",
    "unpack_blocks",
    "validate_identifiers",
]
