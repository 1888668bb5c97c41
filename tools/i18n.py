"""Maintain govshare's message catalogues with Babel.

    python tools/i18n.py update    # extract every message, merge it into each .po (new ones empty)
    python tools/i18n.py compile   # compile each .po into the .mo that govshare loads at run time
    python tools/i18n.py check     # exit 1 listing messages with no translation or a stale .mo

Messages come from three places: ``_()``/``gettext``/``ngettext``/``N_`` calls in ``src/govshare``
(Babel's Python extractor), the Jinja2 templates (Jinja2's Babel extractor), and the help texts of
the ``govshare`` command tree (click keeps them as plain strings, so they are collected by walking
the tree; ``govshare.cli`` translates them the same way when it starts).
Needs Babel (in the ``test`` extra); govshare itself reads the ``.mo`` files with the standard
library's :mod:`gettext`.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "govshare"
sys.path.insert(0, str(ROOT / "src"))

from govshare._i18n import DOMAIN, LANGUAGES, LOCALE_DIR  # noqa: E402
from govshare.cli._translate import help_texts  # noqa: E402

_HEADER = {
    "header_comment": "# Translations of govshare's user-facing messages (maintained with tools/i18n.py).",
    "copyright_holder": "govshare developers",
    "msgid_bugs_address": "",
    "last_translator": "govshare developers",
    "language_team": "govshare developers",
}

METHODS = [
    ("**/templates/**.j2", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.j2": {"trimmed": "true"}}


def _extracted() -> Iterator[tuple[str | tuple[str, str], str, int]]:
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), METHODS, OPTIONS, keywords=DEFAULT_KEYWORDS
    ):
        if filename.startswith("locale/"):
            continue
        yield message, f"src/govshare/{filename}", lineno
    for text, where in help_texts():
        yield text, where, 0


def template() -> Catalog:
    """Every translatable message of govshare, as a Babel catalogue (the ``.pot``)."""
    catalog = Catalog(project="govshare", domain=DOMAIN, fuzzy=False, **_HEADER)
    for message, filename, lineno in _extracted():
        if message in ("", ("", "")):
            continue
        catalog.add(message, locations=[(filename, lineno)])
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="govshare", fuzzy=False, **_HEADER)
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    pot = template()
    for language in LANGUAGES:
        if language == "en":
            continue
        catalog = load(language)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(
                fh, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False
            )
        print(
            f"{path.relative_to(ROOT)}: {len(catalog)} messages, {len(untranslated(language))} to translate"
        )


def untranslated(language: str) -> list[str]:
    """Messages of the template that *language*'s catalogue does not translate."""
    catalog = load(language)
    missing = []
    for message in template():
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found is not None else None
        texts = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def compile_all() -> None:
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language).with_suffix(".mo")
        path.write_bytes(compiled(load(language)))
        print(f"{path.relative_to(ROOT)} written")


def stale(language: str) -> bool:
    """Whether the committed ``.mo`` of *language* differs from compiling its ``.po`` now."""
    mo = po_path(language).with_suffix(".mo")
    return not mo.exists() or mo.read_bytes() != compiled(load(language))


def check() -> int:
    status = 0
    for language in LANGUAGES:
        if language == "en":
            continue
        for message in untranslated(language):
            print(f"{language}: no translation: {message!r}")
            status = 1
        if stale(language):
            print(f"{language}: {po_path(language).with_suffix('.mo').name} is stale; run compile")
            status = 1
    return status


def main(argv: list[str]) -> int:
    commands = {"update": update, "compile": compile_all}
    if argv == ["check"]:
        return check()
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
