"""Shared value types: one pattern per kind of name, matched in full, errors without the value."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from govshare.exceptions import InputError
from govshare.types import (
    DATASET_PATTERN,
    DepartmentId,
    check_code,
    check_dataset,
    check_department,
    check_domain,
    check_slug,
    matches,
)


class _Holder(BaseModel):
    department: DepartmentId


@pytest.mark.parametrize(
    "bad", ["civil\n", "Civil", "-civil", "ci vil", "c" * 64, "\uff43ivil", ""]
)
def test_department_ids_are_matched_in_full(bad: str) -> None:
    """A trailing newline, upper case, look-alike letters or an over-long id are refused."""
    with pytest.raises(InputError) as info:
        check_department(bad)
    assert bad.strip() not in str(info.value) or not bad.strip()
    with pytest.raises(ValidationError):
        _Holder(department=bad)


def test_good_names_pass_every_checker() -> None:
    """Well-formed names come back unchanged from each checker."""
    assert check_department("civil-affairs") == "civil-affairs"
    assert check_domain("hrss") == "hrss"
    assert check_code("subsidy-eligibility") == "subsidy-eligibility"
    assert check_slug("income.monthly", "purpose") == "income.monthly"
    assert check_dataset("income-2026/q1", "dataset") == "income-2026/q1"
    assert _Holder(department="civil-affairs").department == "civil-affairs"


def test_matches_refuses_non_strings_and_trailing_newlines() -> None:
    """matches() is False for non-strings and for a value followed by a newline."""
    assert not matches(DATASET_PATTERN, 12)
    assert not matches(DATASET_PATTERN, "income\n")
    assert matches(DATASET_PATTERN, "income")
