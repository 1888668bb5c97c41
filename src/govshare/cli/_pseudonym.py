"""``govshare pseudonymise``: replace identifier columns of a CSV or Parquet file by pseudonyms."""

from __future__ import annotations

import io
from pathlib import Path

import click

from govshare import Workspace
from govshare.cli._common import db_option
from govshare.identifiers import KINDS
from govshare.pseudonym import SCHEMES, pseudonymise_file

__all__ = ["pseudonymise"]


@click.command()
@click.argument("source", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the result (written to a temporary file, then renamed).",
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
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "parquet"]),
    default="auto",
    show_default=True,
    help="Input and output format.",
)
@click.option("--chunk-size", default=250_000, show_default=True, help="Rows per chunk.")
@click.option(
    "--fail-on-invalid",
    is_flag=True,
    help="Stop (writing nothing) at the first invalid identifier instead of leaving it empty.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@db_option
def pseudonymise(
    source: Path,
    output: Path,
    columns: tuple[str, ...],
    domain: str | None,
    scheme: str | None,
    kind: str,
    file_format: str,
    chunk_size: int,
    fail_on_invalid: bool,
    quiet: bool,
    url: str,
) -> None:
    """Replace identifier COLUMNs of INPUT (CSV or Parquet) by pseudonyms, streaming in chunks.

    Invalid identifiers are left empty and counted by reason in the summary (or, with
    --fail-on-invalid, stop the run). Needs the workspace's key file passphrase.
    """
    with Workspace.open(url) as ws:
        ps = ws.pseudonymiser(domain=domain or ws.department, scheme=scheme, kind=kind)  # type: ignore[arg-type]
        with click.progressbar(
            length=0, label="pseudonymising", file=io.StringIO() if quiet else None
        ) as bar:

            def progress(rows: int) -> None:
                bar.label = f"pseudonymising: {rows:,} rows"
                bar.update(0)
                bar.render_progress()

            summary = pseudonymise_file(
                source,
                output,
                columns=columns,
                pseudonymiser=ps,
                format=file_format,  # type: ignore[arg-type]
                chunk_size=chunk_size,
                invalid="raise" if fail_on_invalid else "null",
                progress=progress,
            )
    click.echo(
        f"wrote {summary.output}: {summary.rows} rows in {summary.chunks} chunk(s), "
        f"scheme {summary.scheme}, key version {summary.key_version}, domain {summary.domain}"
    )
    for name, report in summary.columns.items():
        click.echo(f"  {name}: {report.summary()}")
