"""The ``govshare`` command line: a thin layer over the library.

Exit codes: 0 ok; 1 a check failed; 2 usage, input or environment error.
"""

from __future__ import annotations

import click

from govshare._version import __version__
from govshare.cli._audit import audit
from govshare.cli._common import GovShareGroup, global_options
from govshare.cli._workspace import demo, init

__all__ = ["cli", "main"]


@click.group(cls=GovShareGroup)
@click.version_option(__version__, prog_name="govshare")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@global_options
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of messages and help (default: GOVSHARE_LANG, then the locale).",
)
def cli(
    debug: bool,
    url: str | None,
    db_schema: str | None,
    passphrase_file: str | None,
    lang: str | None,
) -> None:
    """govshare: lawful, minimal and verifiable data sharing between departments.

    Exit codes: 0 ok, 1 a check failed (e.g. the audit log does not verify), 2 usage, input or
    environment error. Errors print one line; --debug shows the traceback.
    """


cli.add_command(init)
cli.add_command(demo)
cli.add_command(audit)
# Capability command groups, one line each: [pseudonym] [consent] [tokens] [dp] [exchange]
from govshare.cli._keys import keys  # noqa: E402  [tokens]
from govshare.cli._tokens import token  # noqa: E402  [tokens]

cli.add_command(token)  # [tokens]
cli.add_command(keys)  # [tokens]
from govshare.cli._pseudonym import pseudonymise  # noqa: E402  [pseudonym]

cli.add_command(pseudonymise)  # [pseudonym]
from govshare.cli._consent import consent  # noqa: E402  [consent]

cli.add_command(consent)  # [consent]
from govshare.cli._dp import budget, dp  # noqa: E402  [dp]

cli.add_command(dp)  # [dp]
cli.add_command(budget)  # [dp]
from govshare.cli._check import check_command  # noqa: E402  [compliance]

cli.add_command(check_command)  # [compliance]
from govshare.cli._exchange import agreement, catalogue, request  # noqa: E402  [exchange]

cli.add_command(catalogue)  # [exchange]
cli.add_command(request)  # [exchange]
cli.add_command(agreement)  # [exchange]
from govshare.cli._share import receive, share  # noqa: E402  [exchange]

cli.add_command(share)  # [exchange]
cli.add_command(receive)  # [exchange]
from govshare.cli._vocab import vocab  # noqa: E402  [consent]

cli.add_command(vocab)  # [consent]


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="govshare")
