"""The command tree's help in the user's language.

click keeps help texts as plain strings set when the commands are defined, so they are written in
English (the source language) and translated once, when ``govshare`` starts and knows its language,
by :func:`translate_tree`. ``tools/i18n.py`` collects the same texts with :func:`help_texts` for the
message catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from govshare._i18n import gettext
from govshare.cli._reference import commands

__all__ = ["help_texts", "translate_tree"]

_SOURCE = "_govshare_source_help"


def _texts(command: click.Command) -> Iterator[tuple[click.Command | click.Parameter, str, str]]:
    for attribute in ("help", "short_help", "epilog"):
        text = getattr(command, attribute, None)
        if text:
            yield command, attribute, text
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            yield param, "help", text


def help_texts(root: click.Command | None = None) -> Iterator[tuple[str, str]]:
    """Every help text of the command tree (in the source language) and where it is shown."""
    for path, command in commands(root):
        for owner, attribute, text in _texts(command):
            source: dict[str, str] = getattr(owner, _SOURCE, {})
            where = "cli:" + "/".join(path[1:]) + ("" if owner is command else f":{owner.name}")
            yield source.get(attribute, text), where


def translate_tree(root: click.Command | None = None) -> None:
    """Replace every help text of the tree by its translation in the current language.

    The source texts are kept on each object, so calling it again for another language works.
    """
    for _path, command in commands(root):
        for owner, attribute, text in list(_texts(command)):
            source: dict[str, str] = owner.__dict__.setdefault(_SOURCE, {})
            original = source.setdefault(attribute, text)
            setattr(owner, attribute, gettext(original))
