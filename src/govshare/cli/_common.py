"""What every command shares: the store option, error mapping and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Final

import click

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
        debug = "--debug" in argv[: argv.index("--")] if "--" in argv else "--debug" in argv
        try:
            return super().main(
                argv,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except GovShareError as exc:
            if debug:
                raise
            kind = type(exc).__name__
            click.echo(f"error: {kind}: {exc}", err=True)
            sys.exit(EXIT_CHECK_FAILED if isinstance(exc, IntegrityError) else EXIT_USAGE)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
