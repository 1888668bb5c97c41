"""What every command shares: the store option, error mapping and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Final, Literal

import click

from govshare._i18n import gettext as _
from govshare._i18n import is_language, language_from_environment, use_language
from govshare.cli._translate import translate_tree
from govshare.exceptions import GovShareError, IntegrityError

__all__ = ["EXIT_CHECK_FAILED", "EXIT_OK", "EXIT_USAGE", "GovShareGroup", "db_option"]

EXIT_OK: Final = 0
EXIT_CHECK_FAILED: Final = 1
EXIT_USAGE: Final = 2

db_option = click.option(
    "--db",
    "url",
    envvar="GOVSHARE_URL",
    default="sqlite:///govshare.db",
    show_default=True,
    metavar="URL",
    help="Store URL (sqlite:///path.db or postgresql+psycopg://…); env GOVSHARE_URL.",
)


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
