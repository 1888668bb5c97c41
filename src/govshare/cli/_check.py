"""``govshare check``: run the compliance rules over a store, read-only, as a CI gate."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal, TextIO

import click

from govshare._i18n import get_language
from govshare.cli._common import EXIT_CHECK_FAILED, EXIT_OK, db_option, schema
from govshare.compliance import Policy, Progress, check, load_policy
from govshare.exceptions import InputError
from govshare.storage import Store

__all__ = ["check_command"]


def _when(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{what} is not an ISO 8601 time (e.g. 2026-01-01T00:00:00+08:00)"
        ) from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} needs a timezone (e.g. 2026-01-01T00:00:00+08:00)")
    return parsed


@contextmanager
def _progress() -> Iterator[Progress]:
    """A rich progress bar on a terminal; plain lines on stderr otherwise."""
    if not sys.stderr.isatty():
        seen: set[str] = set()

        def plain(stage: str, done: int, total: int) -> None:
            if stage not in seen:
                seen.add(stage)
                click.echo(f"check: {stage} …", err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def fancy(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield fancy


@click.command("check")
@db_option
@click.option(
    "--key",
    metavar="VERIFIER_KEY",
    help="The log's public key (name+hash+key) as you were given it. Default: the key recorded "
    "in the store itself (the report says so).",
)
@click.option("--since", metavar="TIME", help="Start of the period (ISO 8601 with timezone).")
@click.option("--until", metavar="TIME", help="End of the period, exclusive.")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML policy file (thresholds: token lifetime, key rotation age, …).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.File("r"),
    help="A checkpoint you kept (repeatable): the log must be consistent with each.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of the report (default: the language of the messages: --lang, GOVSHARE_LANG "
    "or the locale).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
def check_command(
    url: str,
    key: str | None,
    since: str | None,
    until: str | None,
    policy_file: Path | None,
    checkpoint_files: tuple[TextIO, ...],
    fmt: Literal["text", "json", "html"],
    lang: Literal["zh", "en"] | None,
    output: Path | None,
) -> None:
    """Run the compliance rules over a store and its audit log, read-only.

    Opens the store for reading only (a copy, or read-only database credentials) and needs only
    the department's public key, never its key file. Exit code 0 when every rule passes or does
    not apply, 1 when any fails, 2 on a usage or input error: usable as a CI gate.
    """
    lang = get_language() if lang is None else lang
    policy = load_policy(policy_file) if policy_file is not None else Policy()
    checkpoints = [f.read() for f in checkpoint_files]
    start, end = _when(since, "--since"), _when(until, "--until")
    with Store.open(url, read_only=True, schema=schema()) as store, _progress() as progress:
        report = check(
            store,
            since=start,
            until=end,
            policy=policy,
            checkpoints=checkpoints,
            key=key,
            progress=progress,
        )
    if fmt == "json":
        text = report.to_json()
    elif fmt == "html":
        text = report.to_html(lang=lang)
    else:
        text = report.to_text(lang=lang)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{'pass' if report.passed else 'FAIL'}: report written to {output}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_OK if report.passed else EXIT_CHECK_FAILED)
