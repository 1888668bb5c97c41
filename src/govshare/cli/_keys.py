"""``govshare keys …``: exchange public keys (token and document signing) between departments."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from govshare.cli._common import db_option, open_workspace

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """Export this department's public keys (tokens, documents), or trust another department's."""


@keys.command("export-public")
@db_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write it here."
)
def export_public(url: str, output: Path | None) -> None:
    """Print this department's active token- and document-signing public keys as JSON."""
    with open_workspace(url) as ws:
        doc = ws.keys.export_public()
    click.echo(doc)
    if output is not None:
        output.write_text(doc + "\n", encoding="utf-8")


@keys.command()
@db_option
@click.argument("document", type=click.File("r"))
def trust(url: str, document: TextIO) -> None:
    """Trust the keys in DOCUMENT (another department's export-public output; '-' = stdin).

    The document is that department's complete current key set: its keys missing from it are
    retired here. Receive it over a channel you trust; it is not signed.
    """
    with open_workspace(url) as ws:
        kids = ws.tokens.trust(document.read())
    click.echo(f"trusted {len(kids)} active key(s): {', '.join(kids) or '-'}")
