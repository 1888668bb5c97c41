"""One reader and one writer for the files departments exchange: CSV, Parquet and ``.xlsx``.

Every command and capability that reads a table from a file reads it here, so every one of them
accepts the same formats and encodings and fails the same way: an :class:`InputError` that names
the row (or line) and the reason, never the row's content.

* CSV is read in chunks by pyarrow's streaming reader. The encoding is ``encoding=`` or detected:
  a UTF-8 or UTF-16 byte-order mark, else UTF-8 when the first MiB decodes as UTF-8, else
  GB18030 (a superset of GBK and GB2312) when it decodes as that. The rule is deterministic on
  purpose: the three encodings departments use are told apart exactly by it, where a statistical
  detector (charset-normalizer, chardet) guesses and adds a dependency.
* Parquet is read a row-group batch at a time, only the columns asked for.
* ``.xlsx`` is read through openpyxl (the ``xlsx`` extra) in read-only mode, first sheet, first
  row as header.

The writer picks the format from the target's extension and writes to a temporary file that is
renamed into place only when everything succeeded (:func:`atomic_output`). CSV output quotes a
value only when it must (a delimiter, a quote or a line break in it), per RFC 4180.
"""

from __future__ import annotations

import codecs
import contextlib
import mmap
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from govshare._arrow import large_strings, string_buffers
from govshare.exceptions import InputError

__all__ = [
    "ReadFormat",
    "TableReader",
    "WriteFormat",
    "atomic_output",
    "detect_encoding",
    "read_format",
    "read_table",
    "row_count",
    "table_writer",
    "write_format",
]

ReadFormat = Literal["csv", "parquet", "xlsx"]
WriteFormat = Literal["csv", "parquet"]
_SUFFIXES: Final[dict[str, ReadFormat]] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
_SAMPLE: Final = 1 << 20
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NEEDS_QUOTES: Final = r'[",\r\n]'
_EMPTY: Final = pa.scalar("", pa.large_string())


def read_format(path: Path, format: str = "auto") -> ReadFormat:
    """The format to read *path* as: *format*, or (``"auto"``) the one its extension names.

    Raises:
        InputError: an unknown format or extension.
    """
    if format in ("csv", "parquet", "xlsx"):
        return format  # type: ignore[return-value]
    if format != "auto":
        raise InputError("the input format is auto, csv, parquet or xlsx")
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"cannot tell the format of {path.name} from its extension; "
            "use .csv, .parquet or .xlsx, or name the input format"
        )
    return found


def write_format(path: Path, default: WriteFormat | None = None) -> WriteFormat:
    """The format to write *path* in: the one its extension names, else *default*.

    Raises:
        InputError: an extension that is neither CSV nor Parquet and no *default*.
    """
    found = _SUFFIXES.get(path.suffix.lower())
    if found == "csv" or found == "parquet":
        return found
    if found == "xlsx" or default is None:
        raise InputError(f"cannot write {path.name}: outputs are .csv or .parquet")
    return default


def detect_encoding(path: Path) -> str:
    """The text encoding of *path*: from its byte-order mark, else UTF-8, else GB18030.

    Raises:
        InputError: the start of the file is neither UTF-8 nor GB18030 (pass an encoding).
    """
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    for name in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(name)().decode(sample, final=len(sample) < _SAMPLE)
        except UnicodeDecodeError:
            continue
        return name
    raise InputError(f"{path.name} is neither UTF-8 nor GB18030 text; pass its encoding")


class TableReader:
    """The batches of one file, in order, with every failure an :class:`InputError`.

    Iterating yields ``pyarrow.RecordBatch`` objects of at most *chunk_size* rows (Parquet: at most
    one row group's). With ``as_text=True`` every CSV and ``.xlsx`` column is text (identifiers are
    never parsed as numbers); otherwise types are inferred. ``rows`` counts the rows yielded.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        format: str = "auto",
        columns: Sequence[str] | None = None,
        chunk_size: int = 250_000,
        encoding: str | None = None,
        as_text: bool = True,
    ) -> None:
        self.path = Path(path)
        self.format = read_format(self.path, format)
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise InputError("chunk_size is a positive number of rows")
        if not self.path.is_file():
            raise InputError(f"input file {self.path.name} does not exist")
        self.rows = 0
        self._bad_row: tuple[int, int, str] | None = None
        self.encoding = "utf-8"
        if self.format == "csv":
            self.encoding = _checked_encoding(encoding) or detect_encoding(self.path)
        opened = self._open(list(columns) if columns is not None else None, chunk_size, as_text)
        self._batches, self.schema = opened

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            try:
                batch = next(self._batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError, UnicodeError, ValueError, KeyError) as exc:
                raise self._failure(exc) from None
            if self.format == "csv":
                self._refuse_binary(batch)
                self._refuse_nul(batch)
            self.rows += batch.num_rows
            yield batch

    def read_all(self) -> pa.Table:
        """Every batch as one table."""
        return pa.Table.from_batches(list(self), schema=self.schema)

    def _open(
        self, columns: list[str] | None, chunk_size: int, as_text: bool
    ) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
        try:
            if self.format == "parquet":
                # Pages written with a CRC are checked, so corruption is an error, not data.
                parquet = pq.ParquetFile(self.path, page_checksum_verification=True)
                names = parquet.schema_arrow.names
                self._check_columns(names, columns)
                schema = parquet.schema_arrow
                if columns is not None:
                    schema = pa.schema([schema.field(c) for c in columns])
                return parquet.iter_batches(batch_size=chunk_size, columns=columns), schema
            if self.format == "xlsx":
                return self._open_xlsx(columns, chunk_size, as_text)
            return self._open_csv(columns, chunk_size, as_text)
        except InputError:
            raise
        except (pa.ArrowException, OSError, UnicodeError, ValueError, KeyError) as exc:
            raise self._failure(exc) from None

    def _open_csv(
        self, columns: list[str] | None, chunk_size: int, as_text: bool
    ) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
        read = pacsv.ReadOptions(encoding=self.encoding, block_size=1 << 16)
        names = pacsv.open_csv(self.path, read_options=read).schema.names
        self._check_columns(names, columns)
        block = max(_average_row_bytes(self.path) * chunk_size, 1 << 12)
        convert = pacsv.ConvertOptions(
            include_columns=columns,
            column_types={n: pa.large_string() for n in names} if as_text else None,
            strings_can_be_null=True,
        )
        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(encoding=self.encoding, block_size=min(block, 1 << 30)),
            parse_options=pacsv.ParseOptions(invalid_row_handler=self._on_bad_row),
            convert_options=convert,
        )
        return iter(reader), reader.schema

    def _open_xlsx(
        self, columns: list[str] | None, chunk_size: int, as_text: bool
    ) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
        try:
            import openpyxl  # type: ignore[import-untyped]
        except ImportError:
            raise InputError(
                "reading .xlsx needs the xlsx extra: pip install 'govshare[xlsx]'"
            ) from None
        import zipfile

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
            raise InputError(
                f"cannot read {self.path.name} as xlsx: not a readable workbook"
                f" ({type(exc).__name__})"
            ) from None
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(v) if v is not None else "" for v in next(rows, ())]
        self._check_columns(header, columns)
        wanted = columns if columns is not None else header
        index = [header.index(c) for c in wanted]
        return _xlsx_batches(rows, index, wanted, chunk_size, as_text), pa.schema(
            [pa.field(c, pa.large_string()) for c in wanted] if as_text else []
        )

    def _check_columns(self, names: Sequence[str], columns: Sequence[str] | None) -> None:
        missing = [c for c in columns or () if c not in names]
        if missing:
            raise InputError(f"{self.path.name} has no column(s) {', '.join(map(repr, missing))}")

    def _on_bad_row(self, row: Any) -> str:
        # Called by pyarrow on a row with the wrong number of fields; keeps the text only to find
        # the row's line on the error path, never to show it.
        self._bad_row = (row.expected_columns, row.actual_columns, row.text)
        return "error"

    def _refuse_binary(self, batch: pa.RecordBatch) -> None:
        # pyarrow infers a column it cannot decode as binary; text files hold text.
        if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in batch.schema.types):
            raise self._failure(UnicodeError())

    def _refuse_nul(self, batch: pa.RecordBatch) -> None:
        for column in batch.columns:
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                continue
            offsets, data = string_buffers(large_strings(column))
            span = data[offsets[0] : offsets[-1]]
            hits = np.flatnonzero(span == 0)
            if hits.size:
                row = int(np.searchsorted(offsets, offsets[0] + hits[0], side="right"))
                raise InputError(
                    f"{self.path.name}: line {self.rows + row + 1} holds a NUL byte "
                    "(a binary file, or UTF-16 without a byte-order mark?)"
                )

    def _failure(self, exc: BaseException) -> InputError:
        name = self.path.name
        if self._bad_row is not None:
            expected, actual, text = self._bad_row
            line = _line_of(self.path, text, self.encoding)
            where = f"line {line}" if line else f"a row after row {self.rows}"
            return InputError(
                f"{name}: {where} has {actual} fields where the header has {expected}"
            )
        if isinstance(exc, UnicodeError) or "UTF8" in str(exc):
            line = _first_undecodable_line(self.path, self.encoding)
            where = f"line {line}" if line else f"a row after row {self.rows}"
            return InputError(
                f"{name}: {where} is not valid {self.encoding} text; pass the file's encoding"
            )
        if self.format == "csv" and "conversion error" in str(exc):
            return InputError(
                f"{name}: a value after row {self.rows} does not match its column's type "
                "as read from the first rows"
            )
        what = "a readable Parquet file" if self.format == "parquet" else f"readable {self.format}"
        place = "" if self.rows == 0 else f" after row {self.rows}"
        return InputError(f"{name} is not {what}{place} ({type(exc).__name__})")


def row_count(path: str | Path, format: str = "auto") -> int | None:
    """The number of data rows of *path* when its format records it (Parquet), else ``None``."""
    path = Path(path)
    try:
        if read_format(path, format) == "parquet":
            return int(pq.ParquetFile(path).metadata.num_rows)
    except (InputError, pa.ArrowException, OSError):
        return None
    return None


def read_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    format: str = "auto",
    encoding: str | None = None,
    as_text: bool = True,
) -> pa.Table:
    """The whole of *path* (only *columns*, when given) as one Arrow table.

    Raises:
        InputError: as :class:`TableReader`.
    """
    reader = TableReader(path, format=format, columns=columns, encoding=encoding, as_text=as_text)
    return reader.read_all()


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside *target*, renamed onto it when the block succeeds, else removed."""
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
def table_writer(
    path: Path, format: WriteFormat, schema: pa.Schema
) -> Iterator[Callable[[pa.RecordBatch], None]]:
    """A function that appends batches of *schema* to *path* as CSV (minimal quoting) or Parquet."""
    if format == "parquet":
        writer = pq.ParquetWriter(path, schema)
        try:
            yield writer.write_batch
        finally:
            writer.close()
        return
    with path.open("wb") as handle:
        handle.write(_csv_lines([pa.array([n]) for n in schema.names]))

        def write(batch: pa.RecordBatch) -> None:
            if batch.num_rows:
                handle.write(_csv_lines(batch.columns))

        yield write


def _csv_lines(columns: Sequence[pa.Array]) -> bytes:
    """RFC 4180 lines for *columns*, quoting only the values that need it (vectorised)."""
    cells = []
    for column in columns:
        text = (
            column if pa.types.is_large_string(column.type) else pc.cast(column, pa.large_string())
        )
        text = pc.fill_null(text, _EMPTY)
        needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
        if pc.any(needs).as_py():
            quote = pa.scalar('"', pa.large_string())
            escaped = pc.replace_substring(text, '"', '""')
            quoted = pc.binary_join_element_wise(quote, escaped, quote, _EMPTY)
            text = pc.if_else(needs, quoted, text)
        cells.append(text)
    joined = pc.binary_join_element_wise(*cells, pa.scalar(",", pa.large_string()))
    newline = pa.scalar("\n", pa.large_string())
    lines = large_strings(pc.binary_join_element_wise(joined, newline, _EMPTY))
    offsets, data = string_buffers(lines)
    return bytes(data[offsets[0] : offsets[-1]])


def _xlsx_batches(
    rows: Iterator[tuple[Any, ...]],
    index: list[int],
    names: list[str],
    chunk_size: int,
    as_text: bool,
) -> Iterator[pa.RecordBatch]:
    # openpyxl yields rows of Python values; this is the one per-row loop, the format's own cost.
    while True:
        chunk = [row for _, row in zip(range(chunk_size), rows, strict=False)]
        if not chunk:
            return
        values = [[_cell(r, i, as_text) for r in chunk] for i in index]
        kind = pa.large_string() if as_text else None
        yield pa.RecordBatch.from_arrays([pa.array(v, type=kind) for v in values], names=names)


def _cell(row: tuple[Any, ...], i: int, as_text: bool) -> Any:
    value = row[i] if i < len(row) else None
    if value is None or not as_text:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _checked_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError("unknown encoding; use e.g. utf-8, gb18030, gbk or utf-16") from None


def _average_row_bytes(path: Path) -> int:
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE)
    return max(1, len(sample) // max(1, sample.count(b"\n")))


def _line_of(path: Path, text: str, encoding: str) -> int | None:
    """The 1-based line where *text* stands alone in *path* (error path only)."""
    try:
        needle = text.encode(encoding.replace("utf-16", "utf-16-le"))
    except UnicodeError:
        return None
    if encoding.startswith("utf-16") or not needle:
        return None
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        at = 0 if m[: len(needle)] == needle else m.find(b"\n" + needle)
        if at < 0:
            return None
        return int(m[:at].count(b"\n")) + (2 if at else 1)


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The 1-based line of the first byte *path* cannot decode as *encoding* (error path only)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with path.open("rb") as handle:
        while block := handle.read(_SAMPLE):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block[: exc.start].count(b"\n")
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines
    return None
