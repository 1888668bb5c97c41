"""``govshare pseudonymise``: replace identifier columns of a CSV, Parquet or .xlsx file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from govshare._tabular import row_count
from govshare.cli._common import db_option, emit, format_option, open_workspace, progress
from govshare.identifiers import KINDS
from govshare.pseudonym import SCHEMES, pseudonymise_file

__all__ = ["input_options", "pseudonymise"]

_F = TypeVar("_F", bound=Callable[..., Any])


def input_options(command: _F) -> _F:
    """``--input-format`` and ``--encoding``, shared by every command that reads a table file."""
    command = click.option(
        "--encoding",
        metavar="NAME",
        help="Text encoding of a CSV input (default: detected — UTF-8/UTF-16 byte-order mark, "
        "UTF-8, else GB18030/GBK).",
    )(command)
    return click.option(
        "--input-format",
        type=click.Choice(["auto", "csv", "parquet", "xlsx"]),
        default="auto",
        show_default=True,
        help="Format of the input (auto: from its extension).",
    )(command)


@click.command()
@click.argument("source", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the result: .csv or .parquet, as its extension says (written to a "
    "temporary file, then renamed).",
)
@click.option(
    "--column", "columns", multiple=True, required=True, help="An identifier column (repeatable)."
)
@click.option("--domain", help="Recipient domain (default: this department's own).")
@click.option(
    "--scheme", type=click.Choice(list(SCHEMES)), help="Pseudonym scheme (default aes-prp)."
)
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    default="resident_id",
    show_default=True,
    help="What the columns hold.",
)
@input_options
@click.option("--chunk-size", default=250_000, show_default=True, help="Rows per chunk.")
@click.option(
    "--fail-on-invalid",
    is_flag=True,
    help="Stop (writing nothing) at the first invalid identifier instead of leaving it empty.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@format_option
@db_option
def pseudonymise(
    source: Path,
    output: Path,
    columns: tuple[str, ...],
    domain: str | None,
    scheme: str | None,
    kind: str,
    input_format: str,
    encoding: str | None,
    chunk_size: int,
    fail_on_invalid: bool,
    quiet: bool,
    output_format: str,
    url: str | None,
) -> None:
    """Replace identifier COLUMNs of INPUT (CSV, Parquet or .xlsx) by pseudonyms, in chunks.

    The output format follows the output's extension. Invalid identifiers are left empty and
    counted by reason in the summary (or, with --fail-on-invalid, stop the run). A malformed
    input stops the run with the line and the reason, and leaves no output. Needs the
    workspace's key file passphrase.
    """
    with open_workspace(url) as ws:
        ps = ws.pseudonymiser(domain=domain or ws.department, scheme=scheme, kind=kind)  # type: ignore[arg-type]
        total = row_count(source, input_format)
        with progress("pseudonymising", total, quiet=quiet) as report:
            summary = pseudonymise_file(
                source,
                output,
                columns=columns,
                pseudonymiser=ps,
                format=input_format,  # type: ignore[arg-type]
                chunk_size=chunk_size,
                invalid="raise" if fail_on_invalid else "null",
                progress=report,
                encoding=encoding,
            )
    lines = [
        f"wrote {summary.output} ({summary.format}): {summary.rows} rows in {summary.chunks} "
        f"chunk(s), scheme {summary.scheme}, key version {summary.key_version}, "
        f"domain {summary.domain}",
        *(f"  {name}: {report.summary()}" for name, report in summary.columns.items()),
    ]
    emit(output_format, summary, text="\n".join(lines))
