"""Pseudonymise identifier columns of CSV and Parquet files in chunks (files larger than memory).

Output goes to a temporary file beside the target and is renamed into place only when every
chunk succeeded, so a failure never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from govshare._models import Record
from govshare.exceptions import InputError
from govshare.identifiers import ValidationReport, from_arrow, shown, shown_all
from govshare.pseudonym._pseudonymiser import Pseudonymiser

__all__ = ["FileFormat", "FileSummary", "pseudonymise_file"]

FileFormat = Literal["auto", "csv", "parquet"]
_SAMPLE = 1 << 20


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
) -> FileSummary:
    """Copy *source* to *target* with *columns* replaced by pseudonyms, chunk by chunk.

    Other columns pass through (CSV: as text, unchanged). Invalid identifiers become empty
    (``invalid="null"``) and are counted by reason in the summary, or stop the run
    (``invalid="raise"``). *progress* is called with the rows done after each chunk.

    Raises:
        InputError: unknown format, a missing column, a bad chunk size, or (with
            ``invalid="raise"``) an invalid identifier; *target* is then left as it was.
        KeyNotFound: the pseudonymiser's key version was retired.
    """
    src, dst = Path(source), Path(target)
    kind = _format(src, format)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError("chunk_size is a positive number of rows")
    names = list(columns)
    if not names or len(set(names)) != len(names):
        raise InputError("name each identifier column once")
    batches, schema = _read(src, kind, chunk_size)
    missing = [c for c in names if c not in schema.names]
    if missing:
        raise InputError(f"{shown(src.name)} has no column(s) {shown_all(missing)}")
    out_schema = pa.schema(
        [pa.field(f.name, pa.large_string()) if f.name in names else f for f in schema]
    )
    reports: dict[str, list[ValidationReport]] = {c: [] for c in names}
    rows = chunks = 0
    with _atomic(dst) as tmp, _writer(tmp, kind, out_schema) as write:
        for batch in batches:
            arrays = list(batch.columns)
            for name in names:
                i = schema.get_field_index(name)
                arrays[i], report = _one(pseudonymiser, arrays[i], rows, invalid, name)
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


def _merge(ps: Pseudonymiser, reports: list[ValidationReport]) -> ValidationReport:
    return ValidationReport.merge(ps.kind, reports)


def _format(path: Path, format: FileFormat) -> Literal["csv", "parquet"]:
    if format == "csv" or format == "parquet":
        return format
    if format != "auto":
        raise InputError("format is 'auto', 'csv' or 'parquet'")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(f"cannot tell the format of {path.name}; pass format='csv' or 'parquet'")


def _read(path: Path, kind: str, chunk_size: int) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
    if not path.is_file():
        raise InputError(f"input file {path} does not exist")
    try:
        if kind == "parquet":
            parquet = pq.ParquetFile(path)
            return parquet.iter_batches(batch_size=chunk_size), parquet.schema_arrow
        names = pacsv.open_csv(path).schema.names
        block = max(_average_row_bytes(path) * chunk_size, 1 << 12)
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=min(block, 1 << 30)),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names}, strings_can_be_null=True
            ),
        )
        return iter(reader), reader.schema
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"cannot read {path.name} as {kind}: {type(exc).__name__}") from None


def _average_row_bytes(path: Path) -> int:
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE)
    return max(1, len(sample) // max(1, sample.count(b"\n")))


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    if not target.parent.is_dir():
        raise InputError(f"output folder {target.parent} does not exist")
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _writer(path: Path, kind: str, schema: pa.Schema) -> Iterator[Callable[[pa.RecordBatch], None]]:
    writer: pq.ParquetWriter | pacsv.CSVWriter
    writer = pq.ParquetWriter(path, schema) if kind == "parquet" else pacsv.CSVWriter(path, schema)
    try:
        yield writer.write_batch
    finally:
        writer.close()
