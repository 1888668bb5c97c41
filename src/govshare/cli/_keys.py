"""``govshare keys …``: exchange public keys (token and document signing) between departments."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from govshare.cli._common import db_option, emit, format_option, open_workspace
from govshare.keys import KeyInfo

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """List, rotate and retire this department's keys; export its public keys or trust another's."""


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


def _key_rows(infos: list[KeyInfo]) -> list[list[object]]:
    return [[i.name, i.version, i.type, i.status, i.created.isoformat(), i.kid] for i in infos]


_KEY_COLUMNS = ["name", "version", "type", "status", "created", "kid"]


@keys.command("list")
@db_option
@click.option("--name", help="Only the versions of this key.")
@format_option
def list_keys(url: str | None, name: str | None, output_format: str) -> None:
    """List this department's keys: name, version, type, status and id (never key material)."""
    with open_workspace(url) as ws:
        infos = [i for i in ws.keys.key_infos() if name is None or i.name == name]
    emit(output_format, infos, columns=_KEY_COLUMNS, rows=_key_rows(infos), empty="no keys")


@keys.command()
@db_option
@click.argument("name")
@format_option
def rotate(url: str | None, name: str, output_format: str) -> None:
    """Make a new version of key NAME the primary one (older versions stay usable until retired)."""
    with open_workspace(url) as ws:
        info = ws.keys.rotate(name)
    emit(output_format, info, columns=_KEY_COLUMNS, rows=_key_rows([info]))


@keys.command()
@db_option
@click.argument("name")
@click.argument("version", type=click.IntRange(1))
@format_option
def retire(url: str | None, name: str, version: int, output_format: str) -> None:
    """Retire VERSION of key NAME: it no longer signs, verifies or derives anything."""
    with open_workspace(url) as ws:
        info = ws.keys.retire(name, version)
    emit(output_format, info, columns=_KEY_COLUMNS, rows=_key_rows([info]))
