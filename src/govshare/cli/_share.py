"""``govshare share`` and ``govshare receive``: one release under an agreement, each side.

``share`` reads CSV or Parquet, releases what the agreement and the consent registry allow and
saves the release folder (``data.parquet`` + ``manifest.json``); ``receive`` verifies a saved
release and records its receipt. Both print what was kept, excluded (by reason) and transformed;
``--format json`` prints the manifest instead, for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govshare import Workspace
from govshare.cli._common import db_option
from govshare.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

    from govshare.exchange import ReleaseManifest

__all__ = ["read_frame", "receive", "share"]

_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A summary for people, or the manifest as JSON for scripts.",
)


def read_frame(path: Path, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows of a CSV or Parquet file (by suffix; CSV otherwise), *text_columns* read as
    text so an ID such as ``011…`` or ``…X`` is never turned into a number.

    Raises:
        InputError: the file cannot be read as a table.
    """
    import pandas as pd

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, "str"), keep_default_na=False,
                           na_values=[""])  # fmt: skip
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path} cannot be read as CSV or Parquet ({type(exc).__name__})"
        ) from None


@click.command()
@db_option
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agreement", required=True, metavar="ID", help="The agreement (ag-…).")
@click.option(
    "--token",
    required=True,
    metavar="TOKEN",
    envvar="GOVSHARE_TOKEN",
    help="The requester's token, or @FILE to read it from a file; env GOVSHARE_TOKEN.",
)
@click.option("--subject-column", required=True, metavar="C", help="The resident ID column.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The release folder to write (must not exist).",
)
@_format
def share(
    url: str, data: Path, agreement: str, token: str, subject_column: str, output: Path, fmt: str
) -> None:
    """Release the rows and columns of DATA (CSV or Parquet) that the agreement allows.

    Every check runs in one transaction (token, agreement limits, consent at this instant, granted
    columns, pseudonyms); the release and its signed manifest are written to the -o folder.
    """
    if output.exists():
        raise InputError(f"{output} already exists; a release is never written over")
    text = Path(token[1:]).read_text(encoding="utf-8").strip() if token.startswith("@") else token
    frame = read_frame(data, (subject_column,))
    with Workspace.open(url) as ws:
        release = ws.share(frame, agreement=agreement, token=text, subject_column=subject_column)
    release.save(output)
    _report(release.manifest_unverified, fmt, f"released to {output}")


@click.command()
@db_option
@click.argument("release", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--log-key",
    metavar="KEY",
    help="The provider's audit log key (name+hash+key), if known; the manifest must carry it.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the verified rows here (.parquet or .csv).",
)
@_format
def receive(url: str, release: Path, log_key: str | None, output: Path | None, fmt: str) -> None:
    """Verify the release folder RELEASE (signature, content hash, checkpoint, agreement) and
    record its receipt. Exits 1 if it is refused."""
    from govshare.exchange import Release

    loaded = Release.load(release)
    with Workspace.open(url) as ws:
        received = ws.receive(loaded, log_key=log_key)
    if output is not None:
        if output.suffix.lower() == ".csv":
            received.frame.to_csv(output, index=False)
        else:
            received.frame.to_parquet(output, index=False)
    note = "received again (recorded, not counted twice)" if received.duplicate else "received"
    _report(received.manifest, fmt, note)


def _report(manifest: ReleaseManifest, fmt: str, what: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    m = manifest
    click.echo(f"release {m.release_id}: {what}")
    click.echo(
        f"  {m.provider} -> {m.requester}, agreement {m.agreement_id} v{m.agreement_version}"
    )
    click.echo(f"  purpose {m.purpose}, case {m.case_ref}, token {m.token_jti}")
    kept = ", ".join(f"{k} {v}" for k, v in m.kept_by_basis.items()) or "none"
    click.echo(f"  rows: {m.rows_kept} of {m.rows_in} kept ({kept})")
    for reason, count in m.excluded.items():
        click.echo(f"    excluded {reason}: {count}")
    for c in m.columns:
        how = (
            f"pseudonymised ({c.scheme}, key v{c.key_version}, domain {c.domain})"
            if c.treatment == "pseudonymise"
            else "released"
        )
        click.echo(f"  column {c.name} [{c.category}]: {how}")
    click.echo(f"  columns not released: {m.columns_dropped}")
    click.echo(f"  content sha256 {m.content_sha256} ({m.content_bytes} bytes)")
    click.echo(f"  provider audit event {m.audit.index}, checkpoint of {m.audit.origin}")
