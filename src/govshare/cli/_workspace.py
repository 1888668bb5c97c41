"""``govshare init`` and ``govshare demo``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govshare import Workspace
from govshare.cli._common import db_option
from govshare.cli._demo import run_demo
from govshare.exceptions import KeyStoreError
from govshare.keys import PASSPHRASE_ENV

__all__ = ["demo", "init"]

DEMO_PASSPHRASE = "govshare-demo-passphrase"  # noqa: S105 - documented, demo-only


@click.command()
@db_option
@click.option("--department", required=True, help="This department's id, e.g. civil-affairs.")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), help="Key file path.")
def init(url: str, department: str, key_file: Path | None) -> None:
    """Create a workspace: the store's schema, the encrypted key file and the audit log.

    The key file passphrase comes from GOVSHARE_PASSPHRASE.
    """
    with Workspace.open(url, department=department, key_file=key_file) as ws:
        click.echo(f"workspace ready: department {ws.department}, store {ws.store.url}")
        click.echo(f"key file: {ws.keys.path}")
        click.echo(f"audit log public key: {ws.public_key()}")


@click.command()
@db_option
@click.option(
    "--department",
    default="civil-affairs",
    show_default=True,
    help="Department id for a new demo workspace.",
)
def demo(url: str, department: str) -> None:
    """Run the end-to-end demo on a local workspace (SQLite in this folder by default).

    Two departments: civil affairs (this store, created if needed) and human resources & social
    security (hrss, in govshare-demo-hrss.db beside it). Synthetic residents (Faker zh_CN names,
    valid ID numbers) with consents, withdrawals, minors and a legal obligation; then catalogue,
    request, decision, agreement, token, share, receive, a differentially private count with its
    interval and the budget left, audit verification and a checkpoint cosigned by hrss, and a
    summary table. It names the folder it left its files in (govshare-demo-files).
    """
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        click.echo(
            f"note: {PASSPHRASE_ENV} is not set, so the demo key file uses the public demo "
            "passphrase; never do this with real data"
        )
        passphrase = DEMO_PASSPHRASE
    try:
        ws = Workspace.open(url, department=department, passphrase=passphrase)
    except KeyStoreError as exc:
        raise KeyStoreError(f"{exc} (the demo reuses an existing workspace here)") from None
    with ws:
        run_demo(ws, passphrase)
