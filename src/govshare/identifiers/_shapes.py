"""Shape detection: does free text contain something that looks like a personal identifier?

Used to keep raw identifiers out of audit events, tokens and messages. Pure ``re``, no NumPy, so
the audit layer can use it without importing the columnar machinery.
"""

from __future__ import annotations

import re

__all__ = ["looks_like_identifier"]

# Raw personal identifiers that must never reach the log: resident ID numbers (GB 11643, 18 or
# legacy 15 digits) and mainland mobile numbers, standing alone between non-alphanumerics.
_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15}|(?:\+?86|0086)?[-\s]?1[3-9]\d{9})(?![0-9A-Za-z])"
)


def looks_like_identifier(text: str) -> bool:
    """Whether *text* contains something shaped like a resident ID or mobile number."""
    return _IDENTIFIER.search(text) is not None
