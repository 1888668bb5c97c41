"""The compiled kernels (``_native.c``) agree with the NumPy reference, byte for byte.

Where the extension was not built these tests are skipped, unless ``GOVSHARE_REQUIRE_NATIVE``
is set (CI sets it), in which case a missing extension is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.crypto import SecretKey
from govshare.identifiers import _packed, _resident_id, check_character
from govshare.identifiers._accel import Kernels
from govshare.identifiers._accel import native as loaded
from govshare.pseudonym import Pseudonymiser

from ._ids import valid_ids

TAG = b"GS\x01\x01\x00\x00\x00"


@pytest.fixture(scope="module")
def native() -> Kernels:
    if loaded is None:
        if os.environ.get("GOVSHARE_REQUIRE_NATIVE"):
            pytest.fail(
                "GOVSHARE_REQUIRE_NATIVE is set but govshare.identifiers._native is missing"
            )
        pytest.skip("the compiled kernels were not built here (NumPy fallback in use)")
    return loaded


def _matrix(texts: list[str]) -> np.ndarray:
    data = b"".join(t.encode("latin-1") for t in texts)
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, 18)


valid_text = st.builds(
    lambda region, born, seq: (lambda body: body + check_character(body))(
        f"{region}{born:%Y%m%d}{seq:03d}"
    ),
    st.integers(110000, 659999),
    st.dates(dt.date(1800, 1, 1), dt.date(2099, 12, 31)),
    st.integers(0, 999),
)
near_miss = st.builds(
    lambda text, at, char: text[:at] + char + text[at + 1 :],
    valid_text,
    st.integers(0, 17),
    st.sampled_from(list("0123456789Xx/:a \x00\xff")),
)
any_bytes = st.binary(min_size=18, max_size=18).map(lambda b: b.decode("latin-1"))
dated = st.builds(
    lambda born, tail: f"110105{born:%Y%m%d}{tail}",
    st.dates(dt.date(1700, 1, 1), dt.date(2200, 12, 31)),
    st.text(alphabet="0123456789Xx", min_size=4, max_size=4),
)
rows = st.lists(st.one_of(valid_text, near_miss, any_bytes, dated), min_size=1, max_size=60)


@given(rows)
@settings(max_examples=300, deadline=None)
def test_resident_ids_match_numpy(native: Kernels, texts: list[str]) -> None:
    """Reason codes agree on every row; valid rows get the same block, invalid rows zeros."""
    matrix = _matrix(texts)
    codes, blocks = _resident_id._analyse_native(matrix)
    want_codes, want_blocks = _resident_id._analyse_numpy(matrix)
    assert codes.tolist() == want_codes.tolist()
    valid = codes == 0
    assert (blocks[valid] == want_blocks[valid]).all()
    assert not blocks[~valid].any()


def test_resident_ids_reason_precedence(native: Kernels) -> None:
    """Characters before birth date before check character, as in the NumPy code."""
    body = "11010519491231002"
    good = body + check_character(body)
    wrong_check = body + ("0" if good[-1] != "0" else "1")
    bad_date = "11010519491331002" + "X"
    bad_chars = "1101051949133100aX"
    codes, _ = _resident_id._analyse_native(_matrix([good, wrong_check, bad_date, bad_chars]))
    assert codes.tolist() == [0, 6, 5, 4]


@given(
    prefix=st.binary(max_size=24),
    k=st.integers(1, 40),
    valid=st.lists(st.booleans(), min_size=1, max_size=50),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_hex_rows_match_numpy(
    native: Kernels, prefix: bytes, k: int, valid: list[bool], seed: int
) -> None:
    """Prefix + hex per valid row and zeros elsewhere, for any prefix and digest length."""
    n = len(valid)
    digests = np.random.default_rng(seed).integers(0, 256, (n, k), dtype=np.uint8)
    mask = np.array(valid)
    got = np.full((n, len(prefix) + 2 * k), 0xEE, dtype=np.uint8)
    native.hex_rows(prefix, digests, mask, got)
    want = np.full_like(got, 0xEE)
    _packed.hex_rows_numpy(prefix, digests.reshape(-1).data, mask, want)
    assert got.tobytes() == want.tobytes()


def test_buffer_sizes_are_checked(native: Kernels) -> None:
    """Mismatched buffers raise before any byte is written; read-only outputs are refused."""
    matrix = _matrix(["110105194912310021"] * 4)
    codes, blocks = np.empty(4, np.uint8), np.empty((3, 16), np.uint8)
    with pytest.raises(ValueError, match="buffer sizes"):
        native.resident_ids(matrix, codes, blocks, TAG)
    with pytest.raises(ValueError, match="buffer sizes"):
        native.resident_ids(matrix, codes, np.empty((4, 16), np.uint8), TAG[:6])
    frozen = np.empty((4, 16), np.uint8)
    frozen.flags.writeable = False
    with pytest.raises((TypeError, BufferError)):
        native.resident_ids(matrix, codes, frozen, TAG)
    with pytest.raises(ValueError, match="buffer sizes"):
        native.hex_rows(b"p1.", np.zeros(32, np.uint8), np.ones(2, bool), np.empty(69, np.uint8))
    with pytest.raises(ValueError, match="buffer sizes"):
        native.hex_rows(b"p1.", np.zeros(31, np.uint8), np.ones(2, bool), np.empty(67, np.uint8))


def test_pseudonyms_identical_without_the_kernels(
    native: Kernels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole column path gives the same pseudonyms and report with the NumPy fallback."""
    ids = valid_ids(3000, seed=7)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002X")
    odd = ["11010519491231002y", None, full_width, "11010519491231002x", "110105491231002"]
    ids = pd.concat([ids, pd.Series(odd)])
    ids = ids.reset_index(drop=True).astype("str")
    ps = Pseudonymiser(SecretKey.from_bytes(bytes(range(32))), domain="hrss")
    fast, fast_report = ps.pseudonymise_with_report(ids)
    monkeypatch.setattr(_resident_id, "native", None)
    monkeypatch.setattr(_packed, "native", None)
    slow, slow_report = ps.pseudonymise_with_report(ids)
    pd.testing.assert_series_equal(fast, slow)
    assert fast_report == slow_report
    assert fast_report.invalid == 1


def test_no_native_switch() -> None:
    """GOVSHARE_NO_NATIVE=1 makes a fresh process use the NumPy code."""
    code = "from govshare.identifiers._accel import native; print(native is None)"
    env = {**os.environ, "GOVSHARE_NO_NATIVE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"
