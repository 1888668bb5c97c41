"""One resident ID number at a time, in plain Python, with exactly the column path's rules.

The vectorised path (``_resident_id.py``) pays a fixed cost of NumPy and Arrow
calls that dominates for a single value (a consent check, a token issued for one person). This
module gives the same normalisation and the same PRP input block for one string; a property test
pins that both paths agree on every input.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

from govshare.identifiers._gb11643 import check_character
from govshare.identifiers._packed import tag

__all__ = ["normalise_resident_id", "resident_id_block"]

# Arrow's RE2 \s: ASCII whitespace only (Python's \s would also match other Unicode spaces).
_WHITESPACE: Final = re.compile(r"[\t\n\f\r ]+")
_DIGITS: Final = frozenset("0123456789")
_MIN_YEAR, _MAX_YEAR = 1800, 2099


def normalise_resident_id(value: str) -> str | None:
    """The canonical 18-character form of *value*, or None if it is not a valid number.

    NFKC, ASCII whitespace removed, upper case; a 15-digit legacy number gains ``19`` and its
    check character; then 17 digits, a real birth date from 1800 to 2099, and the ISO 7064
    MOD 11-2 check character must hold.
    """
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", value)).upper()
    if len(text) == 15 and set(text) <= _DIGITS:
        body = text[:6] + "19" + text[6:]
        text = body + check_character(body)
    if len(text) != 18 or not set(text[:17]) <= _DIGITS or text[17] not in "0123456789X":
        return None
    year, month, day = int(text[6:10]), int(text[10:12]), int(text[12:14])
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        date(year, month, day)
    except ValueError:
        return None
    return text if check_character(text[:17]) == text[17] else None


def resident_id_block(number: str) -> bytes:
    """The 16-byte PRP input block of a canonical number (docs/spec/pseudonyms.md section 4)."""
    nibbles = [ord(c) & 0xF for c in number]
    packed = bytearray((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, 18, 2))
    if number[17] == "X":  # 'X' & 0xF is 8; the check value 10 is nibble 0xA
        packed[8] |= 0x02
    return bytes(packed) + tag("resident_id")
