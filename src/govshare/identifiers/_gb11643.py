"""The GB 11643-1999 check-character rule (ISO 7064 MOD 11-2), defined once for Python code.

The compiled kernel (``_native.c``) keeps its own copy of the two tables for speed;
``tests/identifiers/test_native.py`` pins it equal to this one on arbitrary input.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CHECK_CHARACTERS", "WEIGHTS", "check_character"]

WEIGHTS: Final[tuple[int, ...]] = tuple(2 ** (17 - i) % 11 for i in range(17))
"""The weight of each of the first 17 digits."""

CHECK_CHARACTERS: Final = "10X98765432"
"""The check character for each value of ``sum(digit * weight) % 11``."""


def check_character(first17: str) -> str:
    """The check character (``0`` to ``9`` or ``X``) of a number's first 17 ASCII digits.

    >>> check_character("11010519491231002")
    'X'

    Raises:
        ValueError: *first17* is not 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_character takes the first 17 digits of a resident ID number")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]
