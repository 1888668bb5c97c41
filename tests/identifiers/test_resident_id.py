"""GB 11643 resident ID validation and normalisation, on hand-checked and generated numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govshare.exceptions import InputError
from govshare.identifiers import (
    check_character,
    is_valid_resident_id,
    normalise_identifiers,
    normalise_resident_ids,
    validate_identifiers,
)
from tests.identifiers._ids import valid_ids

# GB 11643-1999's own examples (appendix) and hand-checked numbers.
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_standard_examples_are_valid(number: str) -> None:
    """The standard's own example numbers validate."""
    assert is_valid_resident_id(number)


def test_check_character_by_hand() -> None:
    """The MOD 11-2 check of 11010519491231002 is X: sum 167, 167 mod 11 = 2 → 'X'."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert sum(int(c) * w for c, w in zip("11010519491231002", weights, strict=True)) == 167
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519491231002Y", "characters"),
        ("110105194912310021", "check_character"),
        ("11010519491331002X", "birth_date"),
        ("110105194902300022", "birth_date"),
        ("1101051949123100", "length"),
        ("", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123I002X", "characters"),
    ],
)
def test_invalid_numbers_are_reported_by_reason(value: str, reason: str) -> None:
    """Each kind of invalid number is refused with its reason, and its row."""
    report = validate_identifiers(pd.Series(["11010519491231002X", value]))
    assert not is_valid_resident_id(value)
    assert report.by_reason == {reason: 1}
    assert report.invalid_rows == (1,)
    assert value not in repr(report) or value == ""


def test_leap_days() -> None:
    """29 February is a real birth date only in leap years (2000 yes, 1900 no)."""
    for body, ok in (("11010520000229001", True), ("11010519000229001", False)):
        assert is_valid_resident_id(body + check_character(body)) is ok


def test_normalisation_forms() -> None:
    """Full-width digits, spaces, lower-case x and 15-digit legacy numbers normalise to one form."""
    forms = pd.Series(
        [
            "11010519491231002X",
            "11010519491231002x",
            " 110105 19491231 002X ",
            "11010519491231002X".translate(FULL_WIDTH),
            "110105491231002",
            None,
            "not an id",
        ],
        index=list("abcdefg"),
        name="id",
    )
    out = normalise_resident_ids(forms)
    assert out.iloc[:5].tolist() == ["11010519491231002X"] * 5
    assert out.iloc[5:].isna().all()
    assert out.name == "id"
    assert list(out.index) == list("abcdefg")
    assert forms.iloc[1] == "11010519491231002x"  # the input is untouched


def test_mixed_types_are_not_a_string() -> None:
    """Numbers and other non-strings in an object column are reported, never coerced."""
    report = validate_identifiers(
        pd.Series([110105194912310020, "11010519491231002X", None, 1.5], dtype=object)
    )
    assert report.by_reason == {"not_a_string": 2}
    assert (report.valid, report.missing) == (1, 1)


def test_empty_and_all_missing_columns() -> None:
    """Empty and all-missing Series validate to empty reports without error."""
    assert validate_identifiers(pd.Series([], dtype="str")).rows == 0
    report = validate_identifiers(pd.Series([None, None], dtype=object))
    assert (report.missing, report.invalid) == (2, 0)


def test_not_a_series_is_refused() -> None:
    """A list instead of a Series raises InputError."""
    with pytest.raises(InputError):
        normalise_resident_ids(["11010519491231002X"])  # type: ignore[arg-type]


def test_generated_numbers_validate_in_bulk() -> None:
    """10,000 generated numbers validate, and flipping one digit always breaks the check."""
    ids = valid_ids(10_000, seed=3)
    assert validate_identifiers(ids).valid == 10_000
    flipped = (
        ids.str.slice(0, 16)
        + ids.str.slice(16, 17).map(lambda d: str((int(d) + 1) % 10))
        + ids.str.slice(17)
    )
    assert validate_identifiers(flipped).by_reason == {"check_character": 10_000}


@given(st.text(max_size=25))
def test_vectorised_matches_single_value(text: str) -> None:
    """Validating a value alone or inside a column gives the same verdict."""
    column = pd.Series(["11010519491231002X", text, "110105491231002"], dtype="str")
    valid = normalise_resident_ids(column).notna().to_numpy()
    assert valid[1] == is_valid_resident_id(text)
    assert valid[0]
    assert valid[2]


@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_exactly_one_check_character_is_valid(body_number: int) -> None:
    """For any 17 digits, exactly one of the 11 check characters validates (when the date is real)."""
    body = f"{body_number:017d}"
    verdicts = [is_valid_resident_id(body + c) for c in "0123456789X"]
    assert sum(verdicts) in (0, 1)
    if sum(verdicts):
        assert verdicts["0123456789X".index(check_character(body))]


def test_mobile_and_name_normalisation() -> None:
    """Mobile numbers lose +86/0086, spaces and hyphens; names are NFKC with tidy whitespace."""
    mobiles = pd.Series(["+86 138-0013-8000", "0086 13800138000", "1380013800", "12800138000"])
    assert normalise_identifiers(mobiles, kind="mobile").tolist()[:2] == ["13800138000"] * 2
    assert validate_identifiers(mobiles, kind="mobile").by_reason == {"format": 2}
    names = pd.Series(["  张　三 ", "\uff21\uff4e\uff4e\uff41  Li", "   "])
    out = normalise_identifiers(names, kind="name")
    assert out.iloc[:2].tolist() == ["张 三", "Anna Li"]
    assert pd.isna(out.iloc[2])
    assert np.array_equal(validate_identifiers(names, kind="name").invalid_rows, (2,))
