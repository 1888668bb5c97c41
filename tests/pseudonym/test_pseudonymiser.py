"""Pseudonymiser behaviour without a store: determinism, domain separation, formats, bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.crypto import SecretKey
from govshare.exceptions import InputError, KeyNotFound
from govshare.pseudonym import SCHEMES, Pseudonymiser, pseudonymise
from tests.identifiers._ids import valid_ids

ROOT = SecretKey.from_bytes(bytes(range(32)))
PRP_SCHEMES = ["aes-prp", "sm4-prp"]
ids_strategy = st.lists(st.sampled_from(valid_ids(200, seed=7).tolist()), min_size=1, max_size=20)


def make(domain: str = "hrss", **kwargs: object) -> Pseudonymiser:
    """A standalone pseudonymiser on the fixed test root key."""
    return Pseudonymiser(ROOT, domain=domain, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_format_is_self_describing(scheme: str) -> None:
    """Every pseudonym starts with the scheme code and key version and carries >= 128 bits."""
    ps = make(scheme=scheme, version=3)  # type: ignore[arg-type]
    out = ps.pseudonymise(valid_ids(50))
    code = SCHEMES[scheme].code
    assert out.str.startswith(f"{code}3.").all()
    assert (out.str.len() >= len(f"{code}3.") + 32).all()


@given(ids_strategy)
@settings(max_examples=30, deadline=None)
def test_deterministic_and_order_independent(values: list[str]) -> None:
    """The same value gives the same pseudonym, in any column, position or call."""
    ps = make()
    series = pd.Series(values, dtype="str")
    first = ps.pseudonymise(series)
    again = ps.pseudonymise(series.iloc[::-1]).iloc[::-1]
    assert first.tolist() == again.tolist()
    assert [ps.pseudonymise_one(v) for v in values] == first.tolist()


@given(ids_strategy, st.sampled_from(list(SCHEMES)))
@settings(max_examples=20, deadline=None)
def test_domains_are_unlinkable(values: list[str], scheme: str) -> None:
    """Two domains never share a pseudonym for the same values."""
    series = pd.Series(values, dtype="str")
    a = set(make("hrss", scheme=scheme).pseudonymise(series))
    b = set(make("health", scheme=scheme).pseudonymise(series))
    assert not a & b


def test_kinds_and_versions_separate() -> None:
    """Key versions and schemes give different pseudonyms for the same value."""
    value = "11010519491231002X"
    outs = {make(version=v).pseudonymise_one(value)[4:] for v in (1, 2)}
    outs |= {make(scheme=s).pseudonymise_one(value).split(".")[1] for s in SCHEMES}
    assert len(outs) == 2 + len(SCHEMES) - 1  # aes-prp v1 appears twice


def test_nulls_index_and_dtype_are_kept() -> None:
    """Nulls stay null; index, name and an Arrow string dtype are kept; the input is untouched."""
    series = pd.Series(["11010519491231002X", None, "110105491231002"], index=[7, 8, 9], name="id")
    before = series.copy()
    out = make().pseudonymise(series)
    assert out.isna().tolist() == [False, True, False]
    assert out.iloc[0] == out.iloc[2]
    assert list(out.index) == [7, 8, 9]
    assert out.name == "id"
    assert str(out.dtype) == "str"
    pd.testing.assert_series_equal(series, before)
    string = pd.Series(["11010519491231002X"], dtype="string[pyarrow]")
    assert str(make().pseudonymise(string).dtype) == "string"


def test_invalid_values_raise_or_blank_with_a_report() -> None:
    """Invalid IDs raise InputError naming rows and reasons (never values), or become missing."""
    series = pd.Series(["11010519491231002X", "110105194912310021", "x"], name="id")
    with pytest.raises(InputError) as caught:
        make().pseudonymise(series)
    message = str(caught.value)
    assert "110105194912310021" not in message
    assert "rows 1, 2" in message
    assert "check_character=1" in message
    out, report = make().pseudonymise_with_report(series)
    assert out.isna().tolist() == [False, True, True]
    assert report.invalid_rows == (1, 2)
    assert make().pseudonymise(series, invalid="null").isna().sum() == 2
    with pytest.raises(InputError):
        make().pseudonymise_one("110105194912310021")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scheme": "md5"},
        {"kind": "passport"},
        {"scheme": "aes-prp", "kind": "name"},
        {"domain": "Bad Domain"},
        {"version": 0},
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object]) -> None:
    """Unknown schemes or kinds, impossible combinations and bad domains raise InputError."""
    args: dict[str, object] = {"domain": "hrss", **kwargs}
    with pytest.raises(InputError):
        Pseudonymiser(ROOT, **args)  # type: ignore[arg-type]


def test_wrong_key_types_are_refused() -> None:
    """A bytes key raises InputError; a standalone pseudonymiser knows only its own version."""
    with pytest.raises(InputError):
        Pseudonymiser(bytes(32), domain="hrss")  # type: ignore[arg-type]
    with pytest.raises(KeyNotFound):
        make(version=1)._key(2)


def test_handles_do_not_leak_or_pickle() -> None:
    """repr shows no key material and pickling is refused."""
    ps = make()
    assert "SecretKey" not in repr(ps)
    assert ROOT.fingerprint() not in repr(ps)
    with pytest.raises(TypeError):
        pickle.dumps(ps)


@pytest.mark.slow
def test_no_collisions_among_a_million_distinct_ids() -> None:
    """10^6 distinct valid IDs give 10^6 distinct default-scheme pseudonyms."""
    ids = valid_ids(1_000_000, seed=11, distinct=True)
    assert ids.nunique() == len(ids)
    out = make().pseudonymise(ids)
    assert out.nunique() == len(ids)


def test_frame_api_replaces_columns_in_a_copy() -> None:
    """pseudonymise(df, columns=…) returns a new frame, leaving the caller's untouched."""
    df = pd.DataFrame(
        {
            "id_number": ["11010519491231002X", None],
            "phone": ["+86 138 0013 8000", "13900139000"],
            "income": [1.0, 2.0],
        }
    )
    before = df.copy()
    ps = make()
    phones = make(kind="mobile")
    out = pseudonymise(df, ["id_number", "phone"], pseudonymiser={"id_number": ps, "phone": phones})
    pd.testing.assert_frame_equal(df, before)
    assert out["id_number"].iloc[0] == ps.pseudonymise_one("11010519491231002X")
    assert out["phone"].str.startswith("ap1.").all()
    assert np.array_equal(out["income"], df["income"])
    series_out = pseudonymise(df["id_number"], pseudonymiser=ps)
    assert isinstance(series_out, pd.Series)


@pytest.mark.parametrize(
    ("columns", "pseudonymiser"),
    [
        (["nope"], "one"),
        ([], "one"),
        (["id_number", "id_number"], "one"),
        (None, "one"),
        ("id_number", "one"),
        (["id_number"], "map-missing"),
    ],
)
def test_frame_api_refuses_bad_columns(columns: object, pseudonymiser: str) -> None:
    """Missing, empty, repeated or unmapped columns raise InputError."""
    df = pd.DataFrame({"id_number": ["11010519491231002X"], "x": [1]})
    chosen: object = make() if pseudonymiser == "one" else {"x": make()}
    with pytest.raises(InputError):
        pseudonymise(df, columns, pseudonymiser=chosen)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        pseudonymise([1, 2], ["a"], pseudonymiser=make())  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_empty_and_all_missing_columns(scheme: str) -> None:
    """Empty and all-missing columns give empty and all-missing results for every scheme."""
    ps = make(scheme=scheme)  # type: ignore[arg-type]
    assert ps.pseudonymise(pd.Series([], dtype="str")).empty
    assert ps.pseudonymise(pd.Series([None, None], dtype=object)).isna().all()
    frame = pd.DataFrame({"id_number": pd.Series([], dtype="str")})
    assert pseudonymise(frame, ["id_number"], pseudonymiser=ps).empty


def test_columns_longer_than_one_slice_keep_row_numbers() -> None:
    """Columns spanning several internal slices report invalid rows at their true positions."""
    ids = pd.concat([valid_ids(70_000, seed=4), valid_ids(5, seed=5)], ignore_index=True)
    ids.iloc[[3, 65_540, 70_004]] = ["bad", "110105194912310021", None]
    out, report = make().pseudonymise_with_report(ids)
    assert report.invalid_rows == (3, 65_540)
    assert (report.missing, report.valid) == (1, 70_002)
    assert out.isna().sum() == 3
    assert out.iloc[70_000] == make().pseudonymise_one(ids.iloc[70_000])
