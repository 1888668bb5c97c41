"""Pseudonymise identifier columns of CSV and Parquet files in chunks (files larger than memory).

Output goes to a temporary file beside the target and is renamed into place only when every
chunk succeeded, so a failure never leaves a half-written output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa  # type: ignore[import-untyped]

from govshare._models import Record
from govshare._tabular import TableReader, atomic_output, table_writer, write_format
from govshare.exceptions import InputError
from govshare.identifiers import ValidationReport, from_arrow, shown, shown_all
from govshare.pseudonym._pseudonymiser import Pseudonymiser

__all__ = ["FileFormat", "FileSummary", "pseudonymise_file"]

FileFormat = Literal["auto", "csv", "parquet", "xlsx"]


class FileSummary(Record):
    """What :func:`pseudonymise_file` did: rows, chunks, per-column validation, scheme and key."""

    output: str
    format: Literal["csv", "parquet"]
    rows: int
    chunks: int
    domain: str
    scheme: str
    key_version: int
    columns: dict[str, ValidationReport]


def pseudonymise_file(
    source: str | Path,
    target: str | Path,
    *,
    columns: Sequence[str],
    pseudonymiser: Pseudonymiser,
    format: FileFormat = "auto",
    chunk_size: int = 250_000,
    invalid: Literal["null", "raise"] = "null",
    progress: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> FileSummary:
    """Copy *source* to *target* with *columns* replaced by pseudonyms, chunk by chunk.

    *format* is the input's (``"auto"``: from its extension; CSV, Parquet or ``.xlsx``). The
    output's format follows *target*'s extension (``.csv`` or ``.parquet``; another extension
    keeps the input's format, ``.xlsx`` input then writing CSV). CSV input is read in *encoding*,
    or detected (UTF-8/UTF-16 byte-order mark, UTF-8, GB18030). Other columns pass through (CSV:
    as text, unchanged). Invalid identifiers become empty (``invalid="null"``) and are counted by
    reason in the summary, or stop the run (``invalid="raise"``). *progress* is called with the
    rows done after each chunk. A column with no valid identifier in the whole first chunk
    (e.g. phone numbers read as ``resident_id``) stops the run: it is the wrong column or kind.

    Raises:
        InputError: unknown format, a missing column, a bad chunk size, a malformed input (the
            message names the line and the reason, never its content), or (with
            ``invalid="raise"``) an invalid identifier, or a column of the wrong kind; *target*
            is then left as it was.
        KeyNotFound: the pseudonymiser's key version was retired.
    """
    src, dst = Path(source), Path(target)
    names = list(columns)
    if not names or len(set(names)) != len(names):
        raise InputError("name each identifier column once")
    reader = TableReader(src, format=format, chunk_size=chunk_size, encoding=encoding)
    schema = reader.schema
    missing = [c for c in names if c not in schema.names]
    if missing:
        raise InputError(f"{shown(src.name)} has no column(s) {shown_all(missing)}")
    kind = write_format(dst, "csv" if reader.format == "xlsx" else reader.format)
    out_schema = pa.schema(
        [pa.field(f.name, pa.large_string()) if f.name in names else f for f in schema]
    )
    reports: dict[str, list[ValidationReport]] = {c: [] for c in names}
    rows = chunks = 0
    with atomic_output(dst) as tmp, table_writer(tmp, kind, out_schema) as write:
        for batch in reader:
            arrays = list(batch.columns)
            for name in names:
                i = schema.get_field_index(name)
                arrays[i], report = _one(pseudonymiser, arrays[i], rows, invalid, name)
                if chunks == 0:
                    _check_kind(report, name)
                reports[name].append(report)
            write(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            rows += batch.num_rows
            chunks += 1
            if progress is not None:
                progress(rows)
    return FileSummary(
        output=str(dst),
        format=kind,
        rows=rows,
        chunks=chunks,
        domain=pseudonymiser.domain,
        scheme=pseudonymiser.scheme,
        key_version=pseudonymiser.version,
        columns={c: _merge(pseudonymiser, r) for c, r in reports.items()},
    )


def _one(
    ps: Pseudonymiser, values: pa.Array, offset: int, invalid: str, name: str
) -> tuple[pa.Array, ValidationReport]:
    # Numbers etc. are never coerced: from_arrow reports them as not_a_string.
    chunks, report = ps._pseudonymise_arrow(from_arrow(values), row_offset=offset)
    array = chunks.combine_chunks()
    if invalid == "raise" and not report.ok:
        first = report.invalid_rows[0]
        raise InputError(
            f"column {shown(name)} has an invalid {report.kind} at row {first} "
            f"({report.summary()}); no output was written"
        )
    return array, report


def _check_kind(report: ValidationReport, name: str) -> None:
    # A whole first chunk of values, none of them valid, is a wrong kind, not bad data: stop
    # rather than write a file of empty pseudonyms.
    if report.valid == 0 and report.invalid > 0:
        raise InputError(
            f"column {name!r} holds no valid {report.kind} in its first {report.rows} row(s) "
            f"({report.summary()}); is it the right column and kind?"
        )


def _merge(ps: Pseudonymiser, reports: list[ValidationReport]) -> ValidationReport:
    return ValidationReport.merge(ps.kind, reports)
