"""The identifiers layer's public face: one check-character rule, shape detection, a cheap import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import govshare.identifiers as ids
from govshare.identifiers import check_character, looks_like_identifier, normalise_resident_id


def test_check_character_refuses_what_is_not_17_digits() -> None:
    """check_character takes exactly 17 ASCII digits and says so otherwise."""
    for bad in ["1101051949123100", "110105194912310021", "1101051949123100x", "\uff11" * 17]:
        with pytest.raises(ValueError, match="17 digits"):
            check_character(bad)


def test_scalar_normalisation_uses_the_same_rule() -> None:
    """The one-value normaliser accepts a number exactly when its check character is right."""
    body = "11010519491231002"
    good = body + check_character(body)
    assert normalise_resident_id(good.lower()) == good
    wrong = body + ("0" if good[-1] != "0" else "1")
    assert normalise_resident_id(wrong) is None


def test_shapes_are_detected_without_the_columnar_machinery() -> None:
    """looks_like_identifier finds a bare ID or mobile number and ignores ordinary codes."""
    assert looks_like_identifier("holder 110105194912310021 asked")
    assert looks_like_identifier("call 13800138000")
    assert not looks_like_identifier("dataset income-2026, 42 rows")


def test_import_is_cheap() -> None:
    """Importing govshare.identifiers (and govshare) imports neither pandas, NumPy nor pyarrow."""
    code = (
        "import sys, govshare, govshare.identifiers as i; i.looks_like_identifier('x'); "
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve_and_unknown_ones_fail() -> None:
    """Every exported name resolves on first use; an unknown one is an AttributeError."""
    for name in ids.__all__:
        assert getattr(ids, name) is not None
    with pytest.raises(AttributeError):
        _ = ids.no_such_name  # type: ignore[attr-defined]
