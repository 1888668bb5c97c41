"""The ``govshare pseudonymise`` command on CSV and Parquet files larger than one chunk."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from govshare.cli import cli
from govshare.hazmat import SECRET_ACCESS, export_pseudonym_root_key
from govshare.testing import TEST_PASSPHRASE, temporary_workspace
from tests.identifiers._ids import valid_ids


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace folder with a 1,000-row input file in CSV and Parquet (row 5 invalid)."""
    temporary_workspace(tmp_path, department="civil").close()
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv("GOVSHARE_KEY_FILE", str(tmp_path / "govshare.keys"))
    ids = valid_ids(1000, seed=2)
    ids[5] = "110105194912310021"
    frame = pd.DataFrame({"id_number": ids, "code": ["007"] * 1000, "n": range(1000)})
    frame.to_csv(tmp_path / "in.csv", index=False)
    frame.to_parquet(tmp_path / "in.parquet")
    return tmp_path


def run(folder: Path, *args: str) -> tuple[int, str]:
    """Invoke the CLI against the folder's workspace."""
    db = f"sqlite:///{folder / 'govshare.db'}"
    result = CliRunner().invoke(cli, ["pseudonymise", *args, "--db", db, "--quiet"])
    return result.exit_code, result.output


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_streams_in_chunks_and_summarises(folder: Path, suffix: str) -> None:
    """A file of 1,000 rows in 300-row chunks is pseudonymised; the summary counts reasons."""
    src, dst = folder / f"in.{suffix}", folder / f"out.{suffix}"
    code, output = run(
        folder,
        str(src),
        "-o",
        str(dst),
        "--column",
        "id_number",
        "--domain",
        "hrss",
        "--chunk-size",
        "300",
    )
    assert code == 0, output
    assert "1000 rows" in output
    assert "check_character=1" in output
    assert "key version 1" in output
    out = pd.read_csv(dst, dtype=str) if suffix == "csv" else pd.read_parquet(dst)
    original = pd.read_parquet(folder / "in.parquet")
    assert len(out) == 1000
    assert out["id_number"].isna().tolist() == [i == 5 for i in range(1000)]
    assert out["id_number"].str.startswith("ap1.").sum() == 999
    assert out["code"].tolist() == ["007"] * 1000  # other columns pass through unchanged
    with temporary_workspace(folder, department="civil") as ws:
        expected = ws.pseudonymiser(domain="hrss").pseudonymise(
            original["id_number"], invalid="null"
        )
        assert out["id_number"].iloc[:5].tolist() == expected.iloc[:5].tolist()
        assert len(export_pseudonym_root_key(ws.keys, SECRET_ACCESS)) == 32


def test_fail_on_invalid_writes_nothing(folder: Path) -> None:
    """--fail-on-invalid exits 2 naming the row, and leaves no output or temporary file."""
    code, output = run(
        folder,
        str(folder / "in.csv"),
        "-o",
        str(folder / "out.csv"),
        "--column",
        "id_number",
        "--fail-on-invalid",
    )
    assert code == 2
    assert "row 5" in output
    assert not (folder / "out.csv").exists()
    assert not list(folder.glob(".out.csv.*"))


@pytest.mark.parametrize(
    "args",
    [
        ["--column", "nope"],
        ["--column", "id_number", "--scheme", "aes-prp", "--kind", "name"],
        ["--column", "id_number", "--chunk-size", "0"],
    ],
)
def test_bad_arguments_exit_2(folder: Path, args: list[str]) -> None:
    """Missing columns, impossible scheme/kind pairs and bad chunk sizes exit 2 with one line."""
    code, output = run(folder, str(folder / "in.csv"), "-o", str(folder / "out.csv"), *args)
    assert code == 2
    assert "error" in output.lower()
    assert not (folder / "out.csv").exists()


def test_number_columns_are_reported_not_coerced(folder: Path) -> None:
    """A numeric Parquet column is never pseudonymised: no value is a string, so the run stops."""
    code, output = run(
        folder, str(folder / "in.parquet"), "-o", str(folder / "o.parquet"), "--column", "n"
    )
    assert code == 2
    assert "not_a_string=1000" in output
    assert "right column and kind" in output
    assert not (folder / "o.parquet").exists()


def test_a_kind_that_does_not_match_the_column_stops(folder: Path) -> None:
    """--kind mobile on a column of ID numbers stops with a clear error instead of blanking it."""
    code, output = run(
        folder,
        str(folder / "in.csv"),
        "-o",
        str(folder / "out.csv"),
        "--column",
        "id_number",
        "--kind",
        "mobile",
    )
    assert code == 2
    assert "no valid mobile" in output
    assert not (folder / "out.csv").exists()


@pytest.mark.parametrize(("source", "target"), [("csv", "parquet"), ("parquet", "csv")])
def test_the_output_format_follows_its_extension(folder: Path, source: str, target: str) -> None:
    """-o out.parquet from a CSV writes Parquet, and -o out.csv from Parquet writes CSV."""
    out = folder / f"out.{target}"
    code, output = run(
        folder, str(folder / f"in.{source}"), "-o", str(out), "--column", "id_number"
    )
    assert code == 0, output
    frame = pd.read_parquet(out) if target == "parquet" else pd.read_csv(out, dtype=str)
    assert len(frame) == 1000
    assert list(frame.columns) == ["id_number", "code", "n"]


def test_csv_output_quotes_only_where_needed(folder: Path) -> None:
    """Plain values are written bare; a value with a comma, quote or newline is quoted (RFC 4180)."""
    ids = valid_ids(3, seed=5)
    text = "id_number,note\n" + f'{ids[0]},plain\n{ids[1]},"a, b"\n{ids[2]},"say ""hi"""\n'
    (folder / "q.csv").write_text(text, encoding="utf-8")
    code, output = run(
        folder, str(folder / "q.csv"), "-o", str(folder / "q-out.csv"), "--column", "id_number"
    )
    assert code == 0, output
    lines = (folder / "q-out.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id_number,note"
    assert [line.split(",", 1)[1] for line in lines[1:]] == ["plain", '"a, b"', '"say ""hi"""']
    assert not lines[1].startswith('"')
