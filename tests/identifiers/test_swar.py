"""The 8-characters-at-a-time resident-ID code agrees with a plain per-character reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.identifiers import check_character
from govshare.identifiers._swar import analyse

TAG = b"GS\x01\x01\x00\x00\x00"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def reference(text: str) -> tuple[bool, bool, int, bytes]:
    """Characters ok, date ok, check sum mod 11 and block, computed one character at a time."""
    chars_ok = text[:17].isdigit() and text[:17].isascii() and text[17] in "0123456789Xx"
    if not chars_ok:
        return False, False, -1, b""
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        date_ok = 1800 <= born.year <= 2099
    except ValueError:
        date_ok = False
    total = sum(int(c) * w for c, w in zip(text[:17], WEIGHTS, strict=True)) % 11
    nibbles = [10 if c in "Xx" else int(c) for c in text]
    block = bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, 18, 2)) + TAG
    return True, date_ok, total, block


ascii18 = st.text(alphabet="0123456789Xx/:a ", min_size=18, max_size=18)
dated = st.builds(
    lambda body, seq: body + seq,
    st.dates(dt.date(1790, 1, 1), dt.date(2110, 12, 31)).map(lambda d: f"110105{d:%Y%m%d}"),
    st.text(alphabet="0123456789", min_size=3, max_size=3).map(lambda s: s + "X"),
)


@given(st.lists(st.one_of(ascii18, dated), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_swar_matches_reference(texts: list[str]) -> None:
    """Digit checks, dates, check sums and blocks agree row by row with the reference."""
    matrix = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    chars_ok, date_ok, total, blocks = analyse(matrix, TAG)
    for i, text in enumerate(texts):
        ok, real, want_total, block = reference(text)
        assert bool(chars_ok[i]) == ok
        if ok:
            assert bool(date_ok[i]) == real
            assert int(total[i]) == want_total
            assert blocks[i].tobytes() == block


def test_feb_29_and_check_character() -> None:
    """29 February of 2000 is a date and of 1900 is not; the check sum picks the right character."""
    body = "11010520000229001"
    matrix = np.frombuffer((body + check_character(body)).encode(), np.uint8).reshape(1, 18)
    assert analyse(matrix, TAG)[1][0]
    body = "11010519000229001"
    matrix = np.frombuffer((body + check_character(body)).encode(), np.uint8).reshape(1, 18)
    assert not analyse(matrix, TAG)[1][0]
