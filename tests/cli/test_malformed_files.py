"""The malformed-file corpus through every command that reads a file: one line, exit 2, nothing left.

Each file is well formed for its first chunks and goes wrong later (a ragged row, a truncated last
row, bytes of another encoding, a NUL byte, a corrupt Parquet page), or is broken as a whole (a
truncated Parquet footer, a corrupt workbook). The offending row holds a resident ID number; no
message may show it, no output file may be left behind and the store must be unchanged.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import Run
from tests.consent.conftest import resident_id

SECRET = "110101199003071233"
"""The identifier in every offending row: it must never be printed."""
ROWS = 3000
CHUNK = "500"


@functools.cache
def _id(i: int) -> str:
    return resident_id(1000 + i)


def _people(i: int) -> list[str]:
    return [_id(i), "east" if i % 2 else "west", str(i % 100), "x", "y", "z"]


def _consents(i: int) -> list[str]:
    return [_id(i), "hrss", "subsidy-eligibility", "identity", "2026-01-01T00:00:00+00:00"]


HEADERS = {
    "people": ["pid", "district", "income", "a", "b", "c"],
    "consents": ["subject", "recipient", "purposes", "categories", "granted_at"],
}
ROW = {"people": _people, "consents": _consents}


def _csv(shape: str, tail: bytes, *, rows: int = ROWS, encoding: str = "utf-8") -> bytes:
    header = ",".join(HEADERS[shape]) + "\n"
    body = "".join(",".join(ROW[shape](i)) + "\n" for i in range(rows))
    return (header + body).encode(encoding) + tail


def _bad_row(shape: str) -> list[str]:
    row = ROW[shape](0)
    row[0] = SECRET
    return row


def _ragged(shape: str) -> bytes:
    return _csv(shape, (",".join([*_bad_row(shape), "extra"]) + "\n").encode())


def _truncated_row(shape: str) -> bytes:
    return _csv(shape, ",".join(_bad_row(shape)[:2]).encode())


def _gbk_as_utf8(shape: str) -> bytes:
    row = _bad_row(shape)
    row[1] = "东城区"
    return _csv(shape, (",".join(row) + "\n").encode("gbk"))


def _undecodable(shape: str) -> bytes:
    # Past the 1 MiB detection sample, so UTF-8 is detected and the late bytes fail.
    # In the second column, which every command here reads (dp query reads only what it needs).
    fields = [f.encode() for f in _bad_row(shape)]
    fields[1] += b"\xff\xfe\xff"
    return _csv(shape, b",".join(fields) + b"\n", rows=60_000)


def _nul(shape: str) -> bytes:
    row = _bad_row(shape)
    row[0] = SECRET[:9] + "\x00" + SECRET[9:]
    return _csv(shape, (",".join(row) + "\n").encode())


def _utf16_no_bom(shape: str) -> bytes:
    return _csv(shape, b"", rows=50, encoding="utf-16-le")


def _parquet_table(shape: str) -> pa.Table:
    names = HEADERS[shape]
    rows = [ROW[shape](i) for i in range(ROWS)]
    rows[ROWS // 2][0] = SECRET
    return pa.table({n: [r[j] for r in rows] for j, n in enumerate(names)})


def _parquet_bytes(shape: str, tmp: Path) -> bytes:
    path = tmp / "source.parquet"
    pq.write_table(_parquet_table(shape), path, row_group_size=500, write_page_checksum=True)
    return path.read_bytes()


def _parquet_corrupt_late(shape: str, tmp: Path) -> bytes:
    data = bytearray(_parquet_bytes(shape, tmp))
    meta = pq.ParquetFile(tmp / "source.parquet").metadata
    column = meta.row_group(meta.num_row_groups - 2).column(0)
    # The identifier column's own pages, which every command reads.
    first = column.dictionary_page_offset or column.data_page_offset
    start = first + column.total_compressed_size // 2
    for i in range(start, start + 8):
        data[i] ^= 0x55
    return bytes(data)


def _parquet_truncated(shape: str, tmp: Path) -> bytes:
    data = _parquet_bytes(shape, tmp)
    return data[: len(data) * 2 // 3]


def _xlsx_corrupt(shape: str, tmp: Path) -> bytes:
    return b"PK\x03\x04" + _csv(shape, b"")[:500]


CORPUS: dict[str, tuple[str, Callable[..., bytes]]] = {
    "ragged-late-row": (".csv", _ragged),
    "truncated-last-row": (".csv", _truncated_row),
    "gbk-bytes-in-utf8": (".csv", _gbk_as_utf8),
    "undecodable-late-bytes": (".csv", _undecodable),
    "nul-byte": (".csv", _nul),
    "utf16-without-bom": (".csv", _utf16_no_bom),
    "parquet-corrupt-late-page": (".parquet", _parquet_corrupt_late),
    "parquet-truncated": (".parquet", _parquet_truncated),
    "xlsx-corrupt": (".xlsx", _xlsx_corrupt),
}
"""Each malformed input: its extension and how to make it."""

EXPLICIT_ENCODING = {"gbk-bytes-in-utf8": "utf-8"}
"""Cases that are only malformed under a stated encoding (detection would read them right)."""


def _write(case: str, shape: str, folder: Path) -> Path:
    suffix, make = CORPUS[case]
    maker_takes_folder = suffix != ".csv"
    data = make(shape, folder) if maker_takes_folder else make(shape)
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return path


def _files(folder: Path) -> list[str]:
    # SQLite's -wal and -shm files come and go with connections; everything else must stay.
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("govshare.db-"))


def _dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def _commands(path: Path, case: str) -> dict[str, list[str]]:
    encoding = ["--encoding", EXPLICIT_ENCODING[case]] if case in EXPLICIT_ENCODING else []
    return {
        "pseudonymise": [
            "pseudonymise",
            str(path),
            "-o",
            "out.parquet",
            "--column",
            "pid",
            "--chunk-size",
            CHUNK,
            "--quiet",
            *encoding,
        ],
        "pseudonymise-to-csv": [
            "pseudonymise",
            str(path),
            "-o",
            "out.csv",
            "--column",
            "pid",
            "--chunk-size",
            CHUNK,
            "--quiet",
            *encoding,
        ],
        "dp-query": [
            "dp",
            "query",
            str(path),
            "--unit",
            "pid",
            "--dataset",
            "people",
            "--count",
            "--by",
            "district",
            "--key",
            "east",
            "--key",
            "west",
            "--epsilon",
            "0.5",
            *encoding,
        ],
        "consent-import": ["consent", "import", str(path), *encoding],
    }


COMMANDS = ("pseudonymise", "pseudonymise-to-csv", "dp-query", "consent-import")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(CORPUS))
def test_malformed_input_is_one_line_exit_2_and_leaves_nothing(
    cli_workspace: Run, tmp_path: Path, case: str, command: str
) -> None:
    """Every malformed input: exit 2, one line naming no content, no output, the store unchanged."""
    assert cli_workspace("budget", "set", "people", "--epsilon", "5")[0] == 0
    shape = "consents" if command == "consent-import" else "people"
    path = _write(case, shape, tmp_path)
    before = _files(tmp_path)
    store = _dump(tmp_path / "govshare.db")
    code, out, err = cli_workspace(*_commands(path, case)[command])
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: InputError: "), err
    assert "right column and kind" not in err  # stopped by the malformed input itself
    assert "Traceback" not in err
    for digits in (SECRET, SECRET[:9], SECRET[9:]):
        assert digits not in err
    assert _files(tmp_path) == before  # no output, no temporary file
    assert _dump(tmp_path / "govshare.db") == store


@pytest.mark.parametrize("case", ["ragged-late-row", "undecodable-late-bytes", "nul-byte"])
def test_late_errors_name_the_line(cli_workspace: Run, tmp_path: Path, case: str) -> None:
    """A late ragged, undecodable or NUL row is named by its line number in the file."""
    path = _write(case, "people", tmp_path)
    line = path.read_bytes().count(b"\n")  # the offending row is the last line
    code, _, err = cli_workspace(*_commands(path, case)["pseudonymise"])
    assert code == 2
    assert f"line {line}" in err, err


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("gbk", b""), ("gb18030", b""), ("utf-16", b""), ("utf-8", b"\xef\xbb\xbf")],
)
def test_encodings_departments_use_are_detected(
    cli_workspace: Run, tmp_path: Path, encoding: str, bom: bytes
) -> None:
    """GBK/GB18030 text, UTF-16 with its byte-order mark and UTF-8 with a BOM read without options."""
    text = "pid,district\n" + "".join(f"{_id(i)},东城区\n" for i in range(20))
    source = tmp_path / "people.csv"
    source.write_bytes(bom + text.encode(encoding))
    code, _out, err = cli_workspace(
        "pseudonymise", str(source), "-o", "out.csv", "--column", "pid", "--quiet"
    )
    assert code == 0, err
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "pid,district"
    assert [line.split(",")[1] for line in lines[1:]] == ["东城区"] * 20
