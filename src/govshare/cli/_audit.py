"""``govshare audit …``: read, verify, checkpoint, prove, export and witness the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

import click

from govshare.audit import AuditLog, SignedCheckpoint, parse_verifier_key, verifier_key_string
from govshare.cli._common import (
    b64,
    db_option,
    emit,
    format_option,
    open_log,
    open_workspace,
)
from govshare.exceptions import InputError

__all__ = ["audit"]

key_option = click.option(
    "--key",
    metavar="VERIFIER_KEY",
    help="The log's public key (name+hash+key), as handed to you out of band. "
    "Default: the key recorded in the store itself.",
)


@click.group()
def audit() -> None:
    """Read, verify, checkpoint and prove the tamper-evident audit log."""


@audit.command()
@db_option
@click.option("-n", "count", default=10, show_default=True, help="How many entries.")
def tail(url: str | None, count: int) -> None:
    """Print the last entries as JSON lines (seq, event, leaf hash in base64)."""
    with open_log(url) as log:
        records = log.tail(count)
    for rec in records:
        click.echo(json.dumps({"seq": rec.seq, "leaf_hash": b64(rec.leaf_hash), **_event(rec)}))


@audit.command()
@db_option
@key_option
@click.option(
    "--since",
    type=click.File("r"),
    help="A checkpoint file you kept earlier: the log must still be consistent with it.",
)
@format_option
def verify(url: str | None, key: str | None, since: TextIO | None, output_format: str) -> None:
    """Recompute the whole log and check it against its tree and signed checkpoints.

    Exit code 1 names the first entry found modified, deleted, inserted or reordered.
    """
    with open_log(url, key=key) as log:
        report = log.verify(since=since.read() if since else None)
    lines = [
        f"ok: {report.size} entries, root {b64(report.root)}, "
        f"{report.checkpoints_checked} checkpoint(s) checked"
    ]
    if key is None:
        lines.append("note: checked against the key recorded in the store; pass --key to use yours")
    data = {**report.model_dump(mode="json"), "root": b64(report.root), "key": key or "store"}
    emit(output_format, data, text="\n".join(lines))


@audit.command()
@db_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write it here."
)
def checkpoint(url: str, output: Path | None) -> None:
    """Sign a checkpoint of the log as it is now and print it (needs the key file passphrase)."""
    with open_workspace(url) as ws:
        text = ws.audit.checkpoint().text
    click.echo(text, nl=False)
    if output is not None:
        output.write_text(text, encoding="utf-8")


@audit.command()
@db_option
@click.option("--index", type=int, help="Inclusion proof for this entry.")
@click.option("--consistency", "size1", type=int, help="Consistency proof from this tree size.")
@click.option("--size", type=int, help="Tree size to prove against (default: the current size).")
def proof(url: str, index: int | None, size1: int | None, size: int | None) -> None:
    """Print an inclusion (--index) or consistency (--consistency) proof as JSON."""
    if (index is None) == (size1 is None):
        raise click.UsageError("give exactly one of --index or --consistency")
    with open_log(url) as log:
        if index is not None:
            click.echo(log.inclusion_proof(index, size).model_dump_json(indent=2))
        else:
            assert size1 is not None
            click.echo(log.consistency_proof(size1, size).model_dump_json(indent=2))


@audit.command()
@db_option
@click.option("-o", "--output", type=click.File("w"), default="-", help="Where (default stdout).")
def export(url: str, output: TextIO) -> None:
    """Export the log as JSON lines: a header, every entry's exact hashed text, the checkpoints.

    An auditor can recompute every leaf hash as SHA-256(0x00 || entry) and the root from them.
    """
    with open_log(url) as log:
        _export(log, output)


@audit.command("public-key")
@db_option
def public_key(url: str) -> None:
    """Print the log's verifier key (hand it to auditors and witnesses)."""
    with open_log(url) as log:
        click.echo(verifier_key_string(log.origin, log.verify_key))


@audit.command()
@db_option
@click.argument("checkpoint_file", type=click.File("r"))
@click.option("--log-key", required=True, metavar="VERIFIER_KEY", help="The other log's key.")
@click.option("--proof", "proof_file", type=click.File("r"), help="Consistency proof JSON.")
def cosign(url: str, checkpoint_file: TextIO, log_key: str, proof_file: TextIO | None) -> None:
    """Witness another department's checkpoint: verify, check consistency, cosign, print."""
    from govshare.audit import ConsistencyProof

    name, key = parse_verifier_key(log_key)
    checkpoint = SignedCheckpoint.from_text_unverified(checkpoint_file.read())
    if name != checkpoint.origin:
        raise InputError("the --log-key names another log than the checkpoint's origin")
    consistency = ConsistencyProof.model_validate_json(proof_file.read()) if proof_file else None
    with open_workspace(url) as ws:
        cosigned = ws.audit.cosign(checkpoint, log_key=key, proof=consistency)
    click.echo(cosigned.text, nl=False)


def _event(rec: object) -> dict[str, object]:
    from govshare.audit import AuditRecord

    assert isinstance(rec, AuditRecord)
    dumped: dict[str, object] = rec.event.model_dump(mode="json")
    return dumped


def _export(log: AuditLog, out: TextIO) -> None:
    size = log.size()
    header = {
        "format": "govshare-audit-export/1",
        "origin": log.origin,
        "log_key": verifier_key_string(log.origin, log.verify_key),
        "size": size,
    }
    out.write(json.dumps(header) + "\n")
    for seq, entry, leaf in log.raw_entries(0, size):
        # "entry" is the exact hashed text: SHA-256(0x00 || entry as UTF-8) is the leaf hash.
        line = {"seq": seq, "leaf_hash": b64(leaf), "entry": entry.decode("utf-8")}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    for cp in log.checkpoints():
        out.write(json.dumps({"checkpoint": cp.text}) + "\n")
