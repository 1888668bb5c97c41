"""Shape detection: does text contain something that looks like a personal identifier?

Used to keep raw identifiers out of audit events, tokens and messages. Pure ``re``, no NumPy, so
the audit layer can use it without importing the columnar machinery.

What counts (after NFKC, so full-width digits and punctuation become ASCII, other scripts'
decimal digits become ``0-9`` and invisible format characters are dropped):

- a resident ID number: 18 characters (17 digits and a digit or ``X``) whose characters 7-14
  are a plausible birth date, or a legacy 15-digit number with a plausible ``YYMMDD``;
- a mainland mobile number: ``1[3-9]`` and 9 more digits, optionally after ``86`` or ``0086``;
- a bank-card number: 16 to 19 digits with a card network's prefix (UnionPay ``62``, Visa ``4``,
  Mastercard ``51``-``55`` and ``22``-``27``, JCB ``35``, Discover ``60``/``65``) that pass the
  Luhn check.

Digits count together across separators (spaces, dashes, dots, slashes, underscores,
parentheses, ``+``; at most three in a row), and next to letters: ``"case ID110101199003071233"``,
``"call 138-0013-8000"``, ``"+86 138 0013 8000"`` and ``"110101 19900307 1233"`` all count.

The one exception is an opaque code (a hash, a key id's fingerprint, a token id): a word of 16 or
more letters and digits that is all hex with a letter in it, or that switches between letters and
digits four times or more. Random hex holds digit runs that would otherwise look like phone or
card numbers by chance, so inside such a word only a resident ID with a province code, a birth
date and a valid check character counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Annotated, Final

from pydantic import AfterValidator, Field, ValidationInfo

from govshare._models import is_stored
from govshare.exceptions import IdentifierInText
from govshare.identifiers._gb11643 import check_character
from govshare.types import check_text

__all__ = [
    "FREE_TEXT",
    "FreeText",
    "check_free_text",
    "looks_like_identifier",
    "refuse_identifier",
    "shown",
    "shown_all",
]

_SEP: Final = r"[\s\-\u2010-\u2015\u2212\u30fc\u00b7\u2027\u30fb./\\_()+]"
_GROUP = re.compile(rf"[0-9]+(?:{_SEP}{{1,3}}[0-9]+)*(?:{_SEP}{{0,3}}[Xx])?")
_CLUSTER = re.compile(r"[0-9]+")
_WORD = re.compile(r"[0-9A-Za-z]+")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_SWITCH = re.compile(r"[0-9](?=[A-Za-z])|[A-Za-z](?=[0-9])")
_ANY_DECIMAL = re.compile(r"\d")
_FRACTION = re.compile(r"[0-9]+/[0-9]+")
_MOBILE = re.compile(r"(?:86|0086)?1[3-9][0-9]{9}")
_CARD = re.compile(r"(?:4|5[1-5]|62|2[2-7]|35|6[05])[0-9]+")
_PROVINCES: Final = frozenset(  # GB/T 2260 province-level codes, the first two digits of an ID
    str(n)
    for block in (range(11, 16), range(21, 24), range(31, 38), range(41, 47), range(50, 55))
    for n in block
).union(str(n) for n in (*range(61, 66), 71, 81, 82, 83, 91))
_OPAQUE_LENGTH: Final = 16
_LONGEST: Final = 19  # the longest shape: a 19-digit card number


def looks_like_identifier(text: str) -> bool:
    """Whether *text* contains something shaped like a resident ID, mobile or bank-card number.

    >>> looks_like_identifier("call 138-0013-8000")
    True
    >>> looks_like_identifier("dataset income-2026, 42 rows")
    False
    """
    text = _normalise(text)
    if not any(c.isdigit() for c in text):
        return False
    if _FRACTION.fullmatch(text):  # an exact amount "p/q" is two numbers, not one
        return any(_group_matches(side) for side in text.split("/"))
    plain, found = _mask_opaque(text)
    return found or any(_group_matches(m.group()) for m in _GROUP.finditer(plain))


def refuse_identifier(value: str, what: str) -> str:
    """*value* if it holds nothing shaped like a personal identifier.

    For codes that already matched their pattern (which may still hold digits) and for any text
    about to be recorded.

    Raises:
        IdentifierInText: it does; the message names *what*, never the value.
    """
    if looks_like_identifier(value):
        raise IdentifierInText(
            f"{what} holds something shaped like a personal identifier (a resident ID, phone "
            "or bank-card number); record a pseudonym or a record id instead"
        )
    return value


def check_free_text(value: object, what: str, *, max_length: int = 2000) -> str:
    """*value* if it is free text that may be recorded (audit log, token, signed document).

    Raises:
        InputError: not text of 1 to *max_length* characters, or it holds a control character.
        IdentifierInText: it holds something shaped like a resident ID, mobile or card number.
    """
    return refuse_identifier(check_text(value, what, max_length=max_length), what)


def shown(value: object) -> str:
    """*value* as an error message may show it: its ``repr`` if it is a short, printable string
    with nothing identifier-shaped in it, else ``"(value not shown)"``.

    For names the caller passed that a message refers to (an unknown item id, a missing column):
    a message never repeats text that might be a personal identifier.

    >>> shown("income-2026"), shown("13800138000")
    ("'income-2026'", '(value not shown)')
    """
    if (
        isinstance(value, str)
        and 0 < len(value) <= 100
        and value.isprintable()
        and not looks_like_identifier(value)
    ):
        return repr(value)
    return "(value not shown)"


def shown_all(values: Iterable[object]) -> str:
    """:func:`shown` of each of *values*, comma-separated."""
    return ", ".join(shown(v) for v in values)


def _free_text(value: str, info: ValidationInfo) -> str:
    if not value or is_stored(info):
        return value  # emptiness is the field's own rule; stored rows were checked when written
    return check_free_text(value, "the text", max_length=max(len(value), 1))


FREE_TEXT: Final = AfterValidator(_free_text)
"""Pydantic metadata that makes a ``str`` field free text that may be recorded
(:func:`check_free_text`), e.g. ``Annotated[str, Field(max_length=200), FREE_TEXT]``."""

FreeText = Annotated[str, Field(min_length=1, max_length=2000), FREE_TEXT]
"""A pydantic field of free text of at most 2000 characters that may be recorded."""


def _normalise(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return _ANY_DECIMAL.sub(lambda m: str(unicodedata.decimal(m.group(), 0)), text)


def _mask_opaque(text: str) -> tuple[str, bool]:
    """*text* with each opaque code replaced by ``#``, and whether one held a checked ID."""
    found = False

    def mask(match: re.Match[str]) -> str:
        nonlocal found
        word = match.group()
        if len(word) < _OPAQUE_LENGTH or not _is_opaque(word):
            return word
        found = found or any(_strict_id_within(run) for run in _CLUSTER.findall(word))
        return "#"

    return _WORD.sub(mask, text), found


def _is_opaque(word: str) -> bool:
    if _HEX.fullmatch(word) and not word.isdigit():
        return True
    return len(_SWITCH.findall(word)) >= 4


def _group_matches(group: str) -> bool:
    """Whether some run of consecutive digit clusters in *group* has an identifier's shape."""
    clusters = _CLUSTER.findall(group)
    check_x = group[-1] in "Xx"
    for start in range(len(clusters)):
        digits = ""
        for end in range(start, len(clusters)):
            digits += clusters[end]
            if len(digits) > _LONGEST:
                if _strict_id_within(digits):
                    return True
                break
            if _shaped(digits) or (
                check_x and end == len(clusters) - 1 and len(digits) == 17 and _id18(digits)
            ):
                return True
    return False


def _shaped(digits: str) -> bool:
    n = len(digits)
    if n == 18 and _id18(digits):
        return True
    if n == 15 and _plausible_date("19" + digits[6:12]):
        return True
    if n in (11, 13, 15) and _MOBILE.fullmatch(digits):
        return True
    return 16 <= n <= _LONGEST and _CARD.fullmatch(digits) is not None and _luhn(digits)


def _id18(chars: str) -> bool:
    return _plausible_date(chars[6:14])


def _plausible_date(yyyymmdd: str) -> bool:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _strict_id_within(digits: str) -> bool:
    """Whether *digits* holds a resident ID with a province code, a birth date from 1900 and a
    valid check character (a chance match in random hex is then about one in a million)."""
    return any(
        w[:2] in _PROVINCES
        and w[6:8] in ("19", "20")
        and _id18(w)
        and check_character(w[:17]) == w[17]
        for w in _windows(digits, 18)
    )


def _windows(digits: str, width: int) -> Iterator[str]:
    for i in range(len(digits) - width + 1):
        yield digits[i : i + width]


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
