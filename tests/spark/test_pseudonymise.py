"""Pseudonyms on Spark: identical to the pandas path, invalid IDs reported and refused the same way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyspark.errors import PythonException
from pyspark.sql import DataFrame, SparkSession

import govshare.spark as gsp
from govshare.crypto import SecretKey
from govshare.exceptions import InputError
from govshare.pseudonym import SCHEMES, Pseudonymiser
from tests.identifiers._ids import valid_ids
from tests.spark.conftest import to_pandas, to_spark

pytestmark = pytest.mark.spark

ROOT = SecretKey.from_bytes(bytes(range(32, 64)))
BAD = ["11010119900307123", "110101199002301234", "not an id", " 11010119900307123x "]


def _ids(n: int = 300) -> list[str | None]:
    return [*valid_ids(n, seed=11).tolist(), *BAD, None]


def _frame(spark: SparkSession, ids: list[str | None], partitions: int = 3) -> DataFrame:
    pdf = pd.DataFrame({"row": range(len(ids)), "id_number": ids, "phone": None})
    pdf["phone"] = [f"138{i:08d}" if i % 7 else "12345" for i in range(len(ids))]
    return to_spark(spark, pdf).repartition(partitions)


def _by_row(sdf: DataFrame, column: str) -> list[object]:
    out = to_pandas(sdf).sort_values("row")[column]
    return [None if pd.isna(v) else v for v in out]


def _pandas(p: Pseudonymiser, values: list[str | None]) -> list[object]:
    out = p.pseudonymise(pd.Series(values, dtype="str"), invalid="null")
    return [None if pd.isna(v) else v for v in out]


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_pseudonyms_are_identical_to_the_pandas_path(spark: SparkSession, scheme: str) -> None:
    """Every scheme gives on Spark, row for row, the pseudonyms pandas gives (nulls where invalid)."""
    p = Pseudonymiser(ROOT, domain="hrss", scheme=scheme)  # type: ignore[arg-type]
    ids = _ids()
    out = gsp.pseudonymise(_frame(spark, ids), ["id_number"], pseudonymiser=p, invalid="null")
    assert _by_row(out, "id_number") == _pandas(p, ids)


def test_a_mapping_pseudonymises_each_column_with_its_own_kind(spark: SparkSession) -> None:
    """Resident IDs and mobile numbers in one call, other columns untouched, order kept."""
    ids = _ids(100)
    sdf = _frame(spark, ids)
    ps = {
        "id_number": Pseudonymiser(ROOT, domain="hrss"),
        "phone": Pseudonymiser(ROOT, domain="hrss", kind="mobile"),
    }
    out = gsp.pseudonymise(sdf, pseudonymiser=ps, invalid="null")
    assert out.columns == sdf.columns
    phones = to_pandas(sdf).sort_values("row")["phone"].tolist()
    assert _by_row(out, "phone") == _pandas(ps["phone"], phones)
    assert _by_row(out, "id_number") == _pandas(ps["id_number"], ids)
    assert _by_row(out, "row") == list(range(len(ids)))


def test_validate_reports_the_pandas_counts_without_row_positions(spark: SparkSession) -> None:
    """validate() gives the pandas report's counts and reasons; invalid_rows is empty on Spark."""
    p = Pseudonymiser(ROOT, domain="hrss")
    ids = _ids()
    reports = gsp.validate(_frame(spark, ids), ["id_number"], pseudonymiser=p)
    expected = p.pseudonymise_with_report(pd.Series(ids, dtype="str"))[1]
    got = reports["id_number"]
    assert got.model_dump(exclude={"invalid_rows"}) == expected.model_dump(exclude={"invalid_rows"})
    assert got.invalid == len(BAD)
    assert got.invalid_rows == ()


def test_non_string_columns_are_reported_not_coerced(spark: SparkSession) -> None:
    """A numeric column is not_a_string on Spark, as on pandas, and pseudonymises to nulls."""
    p = Pseudonymiser(ROOT, domain="hrss")
    sdf = to_spark(spark, pd.DataFrame({"row": [0, 1, 2], "id_number": [1, 2, None]}))
    report = gsp.validate(sdf, ["id_number"], pseudonymiser=p)["id_number"]
    assert report.by_reason == {"not_a_string": 2}
    assert report.missing == 1
    out = gsp.pseudonymise(sdf, ["id_number"], pseudonymiser=p, invalid="null")
    assert _by_row(out, "id_number") == [None, None, None]


def test_invalid_ids_fail_the_action_and_nothing_is_written(
    spark: SparkSession, tmp_path: Path
) -> None:
    """With invalid='raise' the write fails with govshare's message (no values) and leaves no data."""
    p = Pseudonymiser(ROOT, domain="hrss")
    out = gsp.pseudonymise(_frame(spark, _ids(50)), ["id_number"], pseudonymiser=p)
    target = tmp_path / "out.parquet"
    with pytest.raises(PythonException) as failure:
        out.write.parquet(str(target))
    message = str(failure.value)
    assert "invalid resident_id value(s) in column 'id_number'" in message
    for bad in BAD:
        assert bad.strip() not in message
    assert not list(target.rglob("*.parquet"))


def test_valid_columns_pass_with_the_default_raise(spark: SparkSession) -> None:
    """With only valid IDs the default invalid='raise' pseudonymises every row."""
    p = Pseudonymiser(ROOT, domain="hrss")
    ids: list[str | None] = list(valid_ids(40, seed=2))
    out = gsp.pseudonymise(_frame(spark, ids), ["id_number"], pseudonymiser=p)
    assert _by_row(out, "id_number") == _pandas(p, ids)


@pytest.mark.parametrize(
    ("columns", "pseudonymiser", "match"),
    [
        (["nope"], "one", "no column"),
        ([], "one", "empty"),
        (["id_number", "id_number"], "one", "twice"),
        (None, "one", "name the identifier columns"),
        (["id_number"], {}, "no pseudonymiser given"),
        (["id_number"], "key", "Pseudonymiser or a mapping"),
    ],
)
def test_bad_arguments_are_refused_before_any_job(
    spark: SparkSession, columns: list[str] | None, pseudonymiser: object, match: str
) -> None:
    """Missing, empty or repeated columns and wrong pseudonymisers are InputErrors."""
    chosen = {"one": Pseudonymiser(ROOT, domain="hrss"), "key": ROOT}.get(
        pseudonymiser if isinstance(pseudonymiser, str) else "", pseudonymiser
    )
    with pytest.raises(InputError, match=match):
        gsp.pseudonymise(_frame(spark, _ids(3)), columns, pseudonymiser=chosen)  # type: ignore[arg-type]


def test_only_pyspark_dataframes_are_accepted() -> None:
    """A pandas frame given to the Spark front door is an InputError naming its type."""
    p = Pseudonymiser(ROOT, domain="hrss")
    with pytest.raises(InputError, match="PySpark DataFrame"):
        gsp.pseudonymise(pd.DataFrame({"a": ["x"]}), ["a"], pseudonymiser=p)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="invalid="):
        gsp.pseudonymise(
            _frame_without_spark(),
            ["a"],
            pseudonymiser=p,
            invalid="drop",  # type: ignore[arg-type]
        )


def _frame_without_spark() -> DataFrame:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session is not None
    return to_spark(session, pd.DataFrame({"a": ["x"]}))
