"""The language of user-facing text: CLI help and messages, report labels.

Messages are written in English in the source, marked with :func:`gettext` (``_``) where they are
shown or :func:`N_` where they are only declared, and translated through GNU gettext message
catalogues (``govshare/locale/<lang>/LC_MESSAGES/govshare.po``, compiled to ``.mo``), maintained
with Babel (``python tools/i18n.py update|compile``). ``tests/test_i18n.py`` fails when a marked
message has no translation or a compiled catalogue is stale.

The language is, in order: the one set by :func:`set_language` or :func:`use_language` (the CLI's
``--lang``), ``GOVSHARE_LANG``, then the POSIX locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``):
``zh*`` gives Simplified Chinese, anything else English.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final, Literal, TypeGuard, get_args

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Language",
    "get_language",
    "gettext",
    "is_language",
    "language_from_environment",
    "ngettext",
    "set_language",
    "translations",
    "use_language",
]

Language = Literal["en", "zh"]
"""A language govshare speaks: ``en`` (the source language) or ``zh`` (Simplified Chinese)."""

LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
DOMAIN: Final = "govshare"
LOCALE_DIR: Final = Path(__file__).parent / "locale"

_chosen: ContextVar[Language | None] = ContextVar("govshare_language", default=None)


def is_language(value: object) -> TypeGuard[Language]:
    """Whether *value* is one of :data:`LANGUAGES`."""
    return value in LANGUAGES


def language_from_environment(environ: Mapping[str, str] | None = None) -> Language:
    """The language the environment asks for: ``GOVSHARE_LANG``, else the POSIX locale."""
    env = os.environ if environ is None else environ
    wanted = env.get("GOVSHARE_LANG", "").strip().lower()
    if is_language(wanted):
        return wanted
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def get_language() -> Language:
    """The language user-facing text is shown in now."""
    chosen = _chosen.get()
    return language_from_environment() if chosen is None else chosen


def set_language(language: Language | None) -> None:
    """Show user-facing text in *language* from now on (``None``: follow the environment)."""
    if language is not None and not is_language(language):
        raise ValueError(f"unknown language; use one of {', '.join(LANGUAGES)}")
    _chosen.set(language)


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    """Show user-facing text in *language* inside the ``with`` block."""
    if not is_language(language):
        raise ValueError(f"unknown language; use one of {', '.join(LANGUAGES)}")
    token = _chosen.set(language)
    try:
        yield
    finally:
        _chosen.reset(token)


@cache
def translations(language: Language) -> _gettext.NullTranslations:
    """The message catalogue of *language* (English is the source: no catalogue needed)."""
    if language == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def gettext(message: str) -> str:
    """*message* in the current language (the source text when it has no translation)."""
    return translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for *n*, in the current language."""
    return translations(get_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the conventional name extraction tools look for
    """Mark *message* for translation without translating it (translated where it is shown)."""
    return message
