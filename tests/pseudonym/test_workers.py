"""The worker export: a sealed domain key that rebuilds the same pseudonymiser and nothing more."""

from __future__ import annotations

import pickle

import pandas as pd
import pyarrow as pa
import pytest

from govshare.crypto import SecretKey, WrappingKey
from govshare.exceptions import InputError, IntegrityError, KeyNotFound
from govshare.hazmat import SECRET_ACCESS
from govshare.pseudonym import SCHEMES, Pseudonymiser, SealedPseudonymiser, ValidationReport
from tests.identifiers._ids import valid_ids

ROOT = SecretKey.from_bytes(bytes(range(32)))
KINDS_OF = {"resident_id": valid_ids(40, seed=3).tolist(), "mobile": ["13800138000"] * 3}


def _values(kind: str) -> pd.Series:
    return pd.Series([*KINDS_OF[kind], None, "not-an-id"], dtype="str")


@pytest.mark.parametrize("kind", list(KINDS_OF))
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_opened_worker_gives_the_same_pseudonyms_and_report(scheme: str, kind: str) -> None:
    """A sealed-then-opened pseudonymiser makes exactly the driver's pseudonyms and report."""
    driver = Pseudonymiser(ROOT, domain="hrss", scheme=scheme, kind=kind, version=2)  # type: ignore[arg-type]
    wrapping = WrappingKey.generate()
    worker = pickle.loads(pickle.dumps(SealedPseudonymiser.seal(driver, wrapping))).open(wrapping)
    values = _values(kind)
    expected, report = driver.pseudonymise_with_report(values)
    got, worker_report = worker.pseudonymise_with_report(values)
    assert got.tolist() == expected.tolist()
    assert worker_report == report
    assert worker.prefix == driver.prefix


def test_sealed_form_holds_neither_root_nor_domain_key_in_the_clear() -> None:
    """The pickled sealed pseudonymiser and its repr contain no root or derived key bytes."""
    driver = Pseudonymiser(ROOT, domain="hrss")
    sealed = SealedPseudonymiser.seal(driver, WrappingKey.generate())
    derived = driver._key(1).export(SECRET_ACCESS)
    blob = pickle.dumps(sealed)
    for secret in (derived, ROOT.export(SECRET_ACCESS)):
        assert secret not in blob
        assert secret.hex() not in repr(sealed)
    assert "sealed" not in repr(sealed)


def test_a_sealed_key_opens_only_under_its_wrapping_key_and_parameters() -> None:
    """Another wrapping key, or a sealed key relabelled to another domain, is an IntegrityError."""
    wrapping = WrappingKey.generate()
    sealed = SealedPseudonymiser.seal(Pseudonymiser(ROOT, domain="hrss"), wrapping)
    with pytest.raises(IntegrityError):
        sealed.open(WrappingKey.generate())
    relabelled = SealedPseudonymiser("health", sealed.scheme, sealed.kind, 1, sealed.sealed)
    with pytest.raises(IntegrityError):
        relabelled.open(wrapping)


def test_worker_pseudonymiser_cannot_reidentify_or_use_other_versions() -> None:
    """The worker's pseudonymiser has no audit log and only its one key version."""
    wrapping = WrappingKey.generate()
    sealed = SealedPseudonymiser.seal(Pseudonymiser(ROOT, domain="hrss"), wrapping)
    worker = sealed.open(wrapping)
    pseudonyms = worker.pseudonymise(valid_ids(3))
    with pytest.raises(InputError, match="audit log"):
        worker.reidentify(pseudonyms, reason="case 1")
    with pytest.raises(KeyNotFound):
        worker._key(2)
    with pytest.raises(TypeError):
        pickle.dumps(worker)


def test_seal_refuses_other_objects() -> None:
    """seal() takes a Pseudonymiser and a WrappingKey, nothing else."""
    with pytest.raises(InputError):
        SealedPseudonymiser.seal(object(), WrappingKey.generate())  # type: ignore[arg-type]
    with pytest.raises(InputError):
        SealedPseudonymiser.seal(Pseudonymiser(ROOT, domain="hrss"), ROOT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "array",
    [
        pa.array(["110101199003071234", None, "bad"], pa.string()),
        pa.chunked_array([pa.array(["x"], pa.large_string()), pa.array([None], pa.large_string())]),
        pa.array([1, None, 3]),
        pa.nulls(2),
    ],
    ids=["string", "chunked-large", "int64", "null"],
)
def test_pseudonymise_arrow_matches_the_series_path(array: pa.Array) -> None:
    """Arrow input gives the pseudonyms and report a Series of the same values gives."""
    ps = Pseudonymiser(ROOT, domain="hrss")
    series = pd.Series(array.to_pylist(), dtype=object)
    out, report = ps.pseudonymise_arrow(array)
    expected, expected_report = ps.pseudonymise_with_report(series)
    assert out.to_pylist() == [None if pd.isna(v) else v for v in expected.tolist()]
    assert report == expected_report


def test_reports_merge_by_adding_counts() -> None:
    """ValidationReport.merge adds counts and reasons and concatenates the invalid rows."""
    ps = Pseudonymiser(ROOT, domain="hrss")
    a = ps.pseudonymise_with_report(pd.Series(["bad", None], dtype="str"))[1]
    b = ps.pseudonymise_with_report(pd.Series([*valid_ids(2).tolist(), "1"], dtype="str"))[1]
    merged = ValidationReport.merge("resident_id", [a, b])
    whole = ps.pseudonymise_with_report(
        pd.Series(["bad", None, *valid_ids(2).tolist(), "1"], dtype="str")
    )[1]
    assert (merged.rows, merged.valid, merged.missing, merged.invalid) == (5, 2, 1, 2)
    assert merged.by_reason == whole.by_reason
    assert merged.invalid_rows == (0, 2)  # b's rows were not shifted: the caller's job
