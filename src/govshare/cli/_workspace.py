"""``govshare init`` and ``govshare demo``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govshare._workspace import Workspace
from govshare.cli._common import db_option
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

    Creates the workspace if needed, records events, signs a checkpoint, proves an entry is in the
    log, and verifies the whole log.
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
        _run_demo(ws)


def _run_demo(ws: Workspace) -> None:
    log = ws.audit
    click.echo(f"workspace: department {ws.department}, store {ws.store.url}")
    before = log.size()
    first = log.record("demo.dataset-registered", {"dataset": "residents-2026", "rows": 1200})
    log.record("demo.request-received", {"from": "hrss", "purpose": "subsidy-eligibility"})
    log.record("demo.release-prepared", {"to": "hrss", "rows_kept": 1180, "rows_excluded": 20})
    click.echo(f"audit log: {before} -> {log.size()} entries")
    cp = log.checkpoint()
    click.echo("signed checkpoint (C2SP tlog-checkpoint):")
    click.echo(cp.text, nl=False)
    proof = log.inclusion_proof(first, cp.size)
    proof.verify()
    if proof.root != cp.root_hash:
        raise AssertionError("the proof's root is not the checkpoint's root")
    click.echo(f"inclusion proof for entry {first}: {len(proof.proof)} hashes, verified")
    report = log.verify(since=cp)
    click.echo(f"log verified: {report.size} entries, {report.checkpoints_checked} checkpoint(s)")
