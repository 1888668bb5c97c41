"""The identifier scanner: IDs, mobiles and card numbers however they are written, codes spared."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govshare.exceptions import IdentifierInText, InputError
from govshare.identifiers import (
    check_character,
    check_free_text,
    looks_like_identifier,
    refuse_identifier,
    shown,
)

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_SEPARATORS = [" ", "-", ".", "/", "_", " - ", "\u2014", "\u3000", "－", "(", ")"]


def _luhn_complete(body: str) -> str:
    """*body* with the Luhn check digit appended."""
    for last in "0123456789":
        digits = body + last
        total = 0
        for i, c in enumerate(reversed(digits)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid 18-character resident ID number."""
    region = draw(st.sampled_from(["110101", "310104", "440305", "510107", "650102"]))
    year = draw(st.integers(1930, 2020))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    first17 = f"{region}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    return first17 + check_character(first17)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    """A mainland mobile number, with or without the country code."""
    number = f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 10**9 - 1)):09d}"
    return draw(st.sampled_from(["", "86", "+86 ", "0086"])) + number


@st.composite
def cards(draw: st.DrawFn) -> str:
    """A Luhn-valid UnionPay or Visa card number of 16 to 19 digits."""
    prefix = draw(st.sampled_from(["62", "4", "6222", "5"]))
    if prefix == "5":
        prefix += str(draw(st.integers(1, 5)))
    length = draw(st.integers(16, 19))
    body = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1)))  # fmt: skip
    return _luhn_complete(body)


@st.composite
def disguised(draw: st.DrawFn, numbers: st.SearchStrategy[str]) -> str:
    """*numbers* split by random separators, maybe full-width, inside random text."""
    number = draw(numbers)
    out, i = "", 0
    while i < len(number):
        step = draw(st.integers(1, 6))
        out += number[i : i + step]
        i += step
        if i < len(number) and draw(st.booleans()):
            out += draw(st.sampled_from(_SEPARATORS))
    if draw(st.booleans()):
        out = out.translate(_FULL_WIDTH)
    before = draw(st.sampled_from(["", "case ", "ID", "tel:", "身份证", "no. ", "call ", "x"]))
    after = draw(st.sampled_from(["", " ok", "号", " 2026", ".", "xyz"]))  # "abc" + digits: hex
    return before + out + after


@given(disguised(resident_ids() | mobiles() | cards()))
def test_disguised_identifiers_are_found(text: str) -> None:
    """IDs, mobiles and cards are found split by separators, full-width, or next to letters."""
    assert looks_like_identifier(text)


@pytest.mark.parametrize(
    "text",
    [
        "case ID110101199003071233",
        "call 138-0013-8000",
        "+86 138 0013 8000",
        "110101 19900307 1233",
        "１３８００１３８０００",
        "subject 11010519491231002X",
        "legacy 110101900307123",
        "x\u200b138\u200b0013\u200b8000",  # zero-width spaces are dropped
        "call 138 0013 8000 2 times",
        "(+86) 138.0013.8000",
        "card " + " ".join(_luhn_complete("622202123456789")[i : i + 4] for i in range(0, 16, 4)),
    ],
)
def test_issue_examples_are_found(text: str) -> None:
    """The examples of issue 11 and their neighbours are identifier-shaped."""
    assert looks_like_identifier(text)


@pytest.mark.parametrize(
    "text",
    [
        "dataset income-2026, 42 rows",
        "2026-01-01T00:00:00Z",
        "token-signing-v1-3800138000abcdef",
        "govshare/civil-affairs/audit/13800138000abcde",
        "ag-f21088c7ccf55e272aba880d1b34d766",
        "人社补〔2026〕42号",
        "fraud case 2026-17",
        "0.000000000000001",
        "1 2 3 4 5 6 7 8 9 10 11 12",
        "Art. 13(1)",
    ],
)
def test_codes_and_ordinary_text_pass(text: str) -> None:
    """Hashes, key ids, dates, case numbers and small numbers are not identifiers."""
    assert not looks_like_identifier(text)


def test_random_hex_codes_pass() -> None:
    """Token ids and hashes (random hex) are spared: their chance digit runs are not identifiers."""
    codes = [secrets.token_hex(16) for _ in range(3000)] + [
        secrets.token_hex(32) for _ in range(3000)
    ]
    assert not [c for c in codes if looks_like_identifier(c) and not c.isdigit()]


def test_a_checked_id_inside_a_hex_word_is_still_found() -> None:
    """Inside an opaque hex word a resident ID with a valid check character still counts."""
    assert looks_like_identifier("abcdef" + "110101199003071233" + "abc")


@given(disguised(resident_ids() | mobiles()))
def test_refusals_never_repeat_the_text(text: str) -> None:
    """check_free_text raises IdentifierInText naming the field, never the text or its digits."""
    with pytest.raises(IdentifierInText) as info:
        check_free_text(text, "the reason")
    message = str(info.value)
    assert message.startswith("the reason holds")
    assert not any(c.isdigit() for c in message)


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "a\x1bb", "x\u202eevil", "x" * 2001, 42])
def test_free_text_shape_is_checked(bad: object) -> None:
    """Free text is 1-2000 characters, not only spaces, with no control or bidi characters."""
    with pytest.raises(InputError):
        check_free_text(bad, "the reason")


def test_refuse_identifier_is_a_typed_input_error() -> None:
    """IdentifierInText is an InputError (and so a ValueError) for callers that catch those."""
    with pytest.raises(ValueError, match="shaped like"):
        refuse_identifier("ID110101199003071233", "dataset")
    assert refuse_identifier("income-2026", "dataset") == "income-2026"


def test_shown_hides_identifier_shaped_values() -> None:
    """shown() repeats a harmless name and hides anything identifier-shaped or odd."""
    assert shown("income-2026") == "'income-2026'"
    assert shown("13800138000") == "(value not shown)"
    assert shown("a\nb") == "(value not shown)"
    assert shown(None) == "(value not shown)"
