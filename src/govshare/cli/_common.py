"""What every command shares: store and passphrase options, output formats, errors and exit codes.

The store (``--db``, ``--schema``) and the key file's passphrase (``--passphrase-file``) may be
given before the subcommand (``govshare --db URL consent check …``) or, for ``--db`` and
``--schema``, after it; a value after the subcommand wins. The passphrase comes from
``GOVSHARE_PASSPHRASE``, else ``--passphrase-file``, else a prompt when stdin is a terminal.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import click
from pydantic import BaseModel

from govshare import Workspace, open_audit_log
from govshare._i18n import gettext as _
from govshare._i18n import is_language, language_from_environment, use_language
from govshare.audit import AuditLog
from govshare.cli._translate import translate_tree
from govshare.exceptions import GovShareError, InputError, IntegrityError
from govshare.keys import PASSPHRASE_ENV

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "GovShareGroup",
    "b64",
    "db_option",
    "emit",
    "format_option",
    "global_options",
    "json_format_option",
    "key_values",
    "open_log",
    "open_workspace",
    "parse_hash",
    "passphrase",
    "progress",
    "schema",
]

EXIT_OK: Final = 0
EXIT_CHECK_FAILED: Final = 1
EXIT_USAGE: Final = 2
_F = TypeVar("_F", bound=Callable[..., Any])
_PLAIN_EVERY: Final = 5.0
_DB_HELP: Final = (
    "Store URL (sqlite:///path.db or postgresql+psycopg://…); default GOVSHARE_URL, else "
    "sqlite:///govshare.db. Also accepted before the subcommand."
)


def _root_param(name: str) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().params.get(name) if ctx is not None else None


def _from_root(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    return value if value is not None else _root_param(param.name or "")


def db_option(command: _F) -> _F:
    """``--db URL`` and ``--schema NAME`` on a subcommand; unset, they take the global ones."""
    command = click.option(
        "--schema",
        "db_schema",
        metavar="NAME",
        expose_value=False,
        callback=_from_root,
        help="PostgreSQL schema of the store. Also accepted before the subcommand.",
    )(command)
    return click.option("--db", "url", metavar="URL", callback=_from_root, help=_DB_HELP)(command)


def global_options(group: _F) -> _F:
    """The options the root group accepts before any subcommand."""
    group = click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"Read the key file passphrase from this file (after {PASSPHRASE_ENV}; else a "
        "prompt on a terminal).",
    )(group)
    group = click.option("--schema", "db_schema", metavar="NAME", help="PostgreSQL schema.")(group)
    return click.option("--db", "url", metavar="URL", help=_DB_HELP)(group)


def schema() -> str | None:
    """The PostgreSQL schema given after the subcommand, else before it."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        value = ctx.params.get("db_schema")
        if value is not None:
            return str(value)
        ctx = ctx.parent
    return None


def passphrase(*, confirm: bool = False) -> str | None:
    """The key file passphrase: GOVSHARE_PASSPHRASE, --passphrase-file, or a terminal prompt
    (asked twice with *confirm*, for a new key file).

    Returns ``None`` when none is available, so the library names what is missing.
    """
    if os.environ.get(PASSPHRASE_ENV):
        return None  # the library reads it itself
    path = _root_param("passphrase_file")
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            raise InputError("cannot read the --passphrase-file") from None
        return text.rstrip("\r\n")
    if sys.stdin.isatty():
        value: str = click.prompt(
            "key file passphrase", hide_input=True, err=True, confirmation_prompt=confirm
        )
        return value
    return None


def open_workspace(url: str | None, **options: Any) -> Workspace:
    """:meth:`Workspace.open` with the store and passphrase the command line gave."""
    options.setdefault("passphrase", passphrase())
    return Workspace.open(url, schema=schema(), **options)


def open_log(url: str | None, **options: Any) -> AuditLog:
    """:func:`open_audit_log` (read-only, no passphrase) on the store the command line gave."""
    return open_audit_log(url, schema=schema(), **options)


def format_option(command: _F) -> _F:
    """``--format text|json``, text by default (the JSON shapes are in docs/cli-json.md)."""
    return _format("text")(command)


def json_format_option(command: _F) -> _F:
    """``--format text|json``, JSON by default: for commands that printed JSON before 0.x."""
    return _format("json")(command)


def _format(default: str) -> Callable[[_F], _F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default=default,
        show_default=True,
        help="text for people, json (one document, see docs/cli-json.md) for scripts.",
    )


def key_values(data: dict[str, Any]) -> str:
    """*data* as aligned ``key: value`` lines for people (lists joined by commas)."""
    width = max((len(k) for k in data), default=0)
    return "\n".join(f"{k + ':':<{width + 1}} {_plain(v)}" for k, v in data.items())


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def emit(
    output_format: str,
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    rows: Sequence[Sequence[Any]] | None = None,
    text: str | None = None,
    empty: str = "nothing to show",
) -> None:
    """Print *data* as JSON, or for people as a table (*columns*, *rows*) or *text*.

    An empty table prints *empty* instead, so an empty result says so.
    """
    if output_format == "json":
        click.echo(json.dumps(_jsonable(data), ensure_ascii=False, sort_keys=True))
        return
    if columns is not None:
        if not rows:
            click.echo(empty)
            return
        _table(columns, rows)
    if text is not None:
        click.echo(text)


def b64(raw: bytes) -> str:
    """A hash as users see it everywhere: standard padded base64, as in C2SP signed notes."""
    return base64.b64encode(raw).decode("ascii")


def parse_hash(text: str, what: str) -> bytes:
    """A 32-byte hash given as base64 (as govshare prints it) or, for older scripts, as hex."""
    value = text.strip()
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32 and len(value) == 64:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = b""
    if len(raw) != 32:
        raise InputError(f"{what} takes a SHA-256 hash in base64 (44 characters)")
    return raw


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # Off a terminal (a pipe, a file) rows are never folded to a guessed width.
    console = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 4096)
    table = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    return data


class GovShareGroup(click.Group):
    """A click group that turns govshare errors into one line on stderr and a documented exit code.

    Exit codes: 0 ok; 1 a check failed (the log or a proof does not verify); 2 usage, input or
    environment error. ``govshare --debug …`` shows the traceback instead.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        options = argv[: argv.index("--")] if "--" in argv else argv
        debug = "--debug" in options
        with use_language(_language(options)):
            translate_tree(self)
            return self._main(argv, debug, prog_name, complete_var, **extra)

    def _main(
        self,
        argv: list[str],
        debug: bool,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(
                argv,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Abort:
            click.echo(_("aborted"), err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except GovShareError as exc:
            if debug:
                raise
            kind = type(exc).__name__
            click.echo(_("error: {kind}: {message}").format(kind=kind, message=exc), err=True)
            sys.exit(EXIT_CHECK_FAILED if isinstance(exc, IntegrityError) else EXIT_USAGE)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


@contextlib.contextmanager
def progress(
    label: str, total: int | None, *, quiet: bool = False
) -> Iterator[Callable[[int], None]]:
    """A function to report *done* of *total* units.

    On a terminal (stderr) a rich bar with the count, the rate and the time left; elsewhere a
    plain line on stderr at most every ``_PLAIN_EVERY`` seconds and one at the end; nothing when
    *quiet*.
    """
    if quiet:
        yield lambda done: None
        return
    if not sys.stderr.isatty():
        last = [time.monotonic(), 0]

        def plain(done: int) -> None:
            now = time.monotonic()
            if now - last[0] >= _PLAIN_EVERY:
                rate = (done - last[1]) / max(now - last[0], 1e-9)
                of = f" of {total:,}" if total else ""
                click.echo(f"{label}: {done:,}{of} rows ({rate:,.0f} rows/s)", err=True)
                last[0], last[1] = now, done

        yield plain
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeRemainingColumn(),
    )
    start = time.monotonic()
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, rate="-")

        def fancy(done: int) -> None:
            rate = done / max(time.monotonic() - start, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:,.0f}")

        yield fancy


def _language(options: Sequence[str]) -> Literal["en", "zh"]:
    """The language asked for by ``--lang`` anywhere on the command line, else the environment.

    Read before click parses the command line, so that help and parse errors are translated too.
    """
    for i, word in enumerate(options):
        value = None
        if word == "--lang" and i + 1 < len(options):
            value = options[i + 1]
        elif word.startswith("--lang="):
            value = word.partition("=")[2]
        if is_language(value):
            return value
    return language_from_environment()
