"""The single-value path agrees with the column path on every input."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.crypto import SecretKey
from govshare.exceptions import InputError
from govshare.identifiers import check_character, normalise_resident_id, normalise_resident_ids
from govshare.pseudonym import Pseudonymiser

KEY = SecretKey.from_bytes(bytes(range(32)))


@st.composite
def candidates(draw: st.DrawFn) -> str:
    """Valid numbers, legacy numbers, near misses and decorated spellings."""
    region = draw(st.from_regex(r"[1-6][0-9]{5}", fullmatch=True))
    year = draw(st.integers(1790, 2105))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    seq = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    body = f"{region}{year:04d}{month:02d}{day:02d}{seq}"
    number = body + draw(st.sampled_from([check_character(body), "0", "X", "x", "5"]))
    if draw(st.booleans()):  # a legacy 15-digit number
        number = f"{region}{year % 100:02d}{month:02d}{day:02d}{seq}"
    if draw(st.booleans()):  # full-width digits
        number = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(number)))
        number = (
            number[:cut]
            + draw(st.sampled_from([" ", "\t", "\u3000", "\u00a0", "-", "a"]))
            + number[cut:]
        )
    return number


@settings(max_examples=400, deadline=None)
@given(st.one_of(candidates(), st.text(max_size=24)))
def test_scalar_normalisation_matches_column(value: str) -> None:
    """normalise_resident_id gives exactly what normalise_resident_ids gives for one value."""
    column = normalise_resident_ids(pd.Series([value], dtype="str"))
    expected = None if pd.isna(column.iloc[0]) else str(column.iloc[0])
    assert normalise_resident_id(value) == expected


@pytest.mark.parametrize("scheme", ["aes-prp", "sm4-prp", "hmac-sha256", "hmac-sm3", "aes-siv"])
@settings(max_examples=60, deadline=None)
@given(value=candidates())
def test_pseudonymise_one_matches_column(scheme: str, value: str) -> None:
    """pseudonymise_one returns the column path's pseudonym, or refuses the same inputs."""
    ps = Pseudonymiser(KEY, domain="hrss", scheme=scheme)  # type: ignore[arg-type]
    column = ps.pseudonymise(pd.Series([value], dtype="str"), invalid="null")
    if pd.isna(column.iloc[0]):
        with pytest.raises(InputError):
            ps.pseudonymise_one(value)
    else:
        assert ps.pseudonymise_one(value) == column.iloc[0]
