"""Pseudonymisation and validation of Spark columns, with the pandas path's code on executors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
from pyspark.sql import DataFrame
from pyspark.sql import functions as sf
from pyspark.sql.pandas.functions import arrow_udf
from pyspark.sql.types import StringType

from govshare.exceptions import InputError
from govshare.identifiers import shown, shown_all
from govshare.pseudonym import OnInvalid, Pseudonymiser, ValidationReport, validate_identifiers
from govshare.spark._session import context_of, quoted
from govshare.spark._ship import ShippedPseudonymiser, ship

if TYPE_CHECKING:
    from pyspark.sql._typing import UserDefinedFunctionLike

__all__ = ["pseudonymise", "validate"]

Pseudonymisers = Pseudonymiser | Mapping[str, Pseudonymiser]


def pseudonymise(
    sdf: DataFrame,
    columns: Sequence[str] | None = None,
    *,
    pseudonymiser: Pseudonymisers,
    invalid: OnInvalid = "raise",
) -> DataFrame:
    """*sdf* with identifier *columns* replaced by their pseudonyms (lazily, like any Spark
    transformation); exactly the pseudonyms :func:`govshare.pseudonym.pseudonymise` makes.

    *pseudonymiser* is one :class:`~govshare.pseudonym.Pseudonymiser` for every column, or a
    mapping from column name to pseudonymiser. Each column is an Arrow UDF running the pandas
    path's vectorised code on the executors, which receive only this domain's key, sealed (see
    the Spark guide). Spark evaluates lazily, so with ``invalid="raise"`` an invalid identifier
    makes the *action* fail (a ``PythonException`` carrying govshare's one-line message: column
    and counts by reason, never values) and nothing is written; call :func:`validate` first for
    a typed error and the full report, or pass ``invalid="null"`` to blank invalid values.

    Raises:
        InputError: *sdf* is not a classic PySpark DataFrame, a column is missing or named twice,
            *columns* is empty, a mapping lacks a column, or *invalid* is not raise/null.
        KeyNotFound: the key version was retired.
    """
    context = context_of(sdf)
    if invalid not in ("raise", "null"):
        raise InputError("invalid= is 'raise' or 'null'")
    chosen = _chosen(sdf, columns, pseudonymiser)
    shipped = {c: ship(context, p) for c, p in chosen.items()}
    return sdf.withColumns(
        {c: _pseudonym_udf(s, invalid, c)(sf.col(quoted(c))) for c, s in shipped.items()}
    )


def validate(
    sdf: DataFrame,
    columns: Sequence[str] | None = None,
    *,
    pseudonymiser: Pseudonymisers,
) -> dict[str, ValidationReport]:
    """The validation report of each identifier column, counted on the executors (one Spark
    job over those columns) with the pandas path's code; no key leaves the driver.

    Counts and reasons are those :meth:`Pseudonymiser.pseudonymise_with_report` gives for the
    same values; ``invalid_rows`` is empty, because rows of a distributed frame have no
    position.

    Raises:
        InputError: as :func:`pseudonymise`.
    """
    context_of(sdf)
    chosen = _chosen(sdf, columns, pseudonymiser)
    kinds = {c: p.kind for c, p in chosen.items()}
    names = list(kinds)

    def govshare_validate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts: dict[str, list[ValidationReport]] = {c: [] for c in names}
        for batch in batches:
            for c, values in zip(names, batch.columns, strict=True):
                series = values.to_pandas(types_mapper=pd.ArrowDtype)
                report = validate_identifiers(series, kind=kinds[c])
                parts[c].append(report.model_copy(update={"invalid_rows": ()}))
        merged = [ValidationReport.merge(kinds[c], parts[c]).model_dump_json() for c in names]
        yield pa.RecordBatch.from_pydict({"column": names, "report": merged})

    selected = sdf.select(*(sf.col(quoted(c)) for c in names))
    rows = selected.mapInArrow(govshare_validate, "column string, report string").collect()
    found: dict[str, list[ValidationReport]] = {c: [] for c in names}
    for row in rows:
        found[row["column"]].append(ValidationReport.model_validate_json(row["report"]))
    return {c: ValidationReport.merge(kinds[c], found[c]) for c in names}


def _pseudonym_udf(
    shipped: ShippedPseudonymiser, invalid: OnInvalid, column: str
) -> UserDefinedFunctionLike:
    def govshare_pseudonymise(batches: Iterator[pa.Array]) -> Iterator[pa.Array]:
        worker = shipped.open()
        for values in batches:
            out, report = worker.pseudonymise_arrow(values)
            if invalid == "raise" and not report.ok:
                raise InputError(_invalid_message(report, column))
            array = out.chunk(0) if out.num_chunks == 1 else out.combine_chunks()
            yield array.cast(pa.string())

    # The type hints make it an iterator UDF: the worker is opened once per task.
    return arrow_udf(govshare_pseudonymise, StringType())  # type: ignore[call-overload,no-any-return]


def _invalid_message(report: ValidationReport, column: str) -> str:
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(report.by_reason.items()))
    return (
        f"{report.invalid} invalid {report.kind} value(s) in column {column!r} ({reasons}) in a "
        "batch of this Spark task; nothing was written (pass invalid='null' to blank them, or "
        "call govshare.spark.validate first)"
    )


def _chosen(
    sdf: DataFrame, columns: Sequence[str] | None, pseudonymiser: Pseudonymisers
) -> dict[str, Pseudonymiser]:
    """Each identifier column and its pseudonymiser, checked as the pandas path checks them."""
    if columns is None:
        if not isinstance(pseudonymiser, Mapping):
            raise InputError("name the identifier columns: columns=['id_number', …]")
        columns = list(pseudonymiser)
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise InputError("columns is a list of column names")
    names = list(columns)
    if not names:
        raise InputError("columns is empty")
    if len(set(names)) != len(names):
        raise InputError("a column is named twice in columns")
    missing = [c for c in names if c not in sdf.columns]
    if missing:
        raise InputError(f"the frame has no column(s) {shown_all(missing)}")
    return {c: _one(pseudonymiser, c) for c in names}


def _one(pseudonymiser: Pseudonymisers, name: str) -> Pseudonymiser:
    if isinstance(pseudonymiser, Pseudonymiser):
        return pseudonymiser
    if isinstance(pseudonymiser, Mapping):
        chosen = pseudonymiser.get(name)
        if isinstance(chosen, Pseudonymiser):
            return chosen
        raise InputError(f"no pseudonymiser given for column {shown(name)}")
    raise InputError("pseudonymiser= is a Pseudonymiser or a mapping of column → Pseudonymiser")
