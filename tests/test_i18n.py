"""Messages in Simplified Chinese and English: every marked message is translated, the compiled
catalogue is current, and the CLI and the reports speak the language asked for."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from govshare._i18n import (
    get_language,
    gettext,
    language_from_environment,
    set_language,
    use_language,
)
from govshare.cli import cli

ROOT = Path(__file__).resolve().parent.parent
_FIELD = re.compile(r"\{[^{}]*\}")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _tools() -> ModuleType:
    spec = importlib.util.spec_from_file_location("govshare_i18n_tools", ROOT / "tools" / "i18n.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tools() -> ModuleType:
    return _tools()


def test_every_message_has_a_chinese_translation(tools: ModuleType) -> None:
    """A message marked for translation (or a CLI help text) with no zh translation fails here.

    Fix: ``python tools/i18n.py update``, translate the empty entries, ``python tools/i18n.py compile``.
    """
    assert len(tools.template()) > 100
    assert tools.untranslated("zh") == []


def test_the_compiled_catalogue_is_current(tools: ModuleType) -> None:
    assert not tools.stale("zh"), "run: python tools/i18n.py compile"


def test_translations_keep_their_placeholders(tools: ModuleType) -> None:
    for message in tools.load("zh"):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_FIELD.findall(ids[0]))
        for text in strings:
            assert set(_FIELD.findall(text)) == wanted, message.id


def test_the_check_reports_a_missing_translation(tools: ModuleType, tmp_path: Path) -> None:
    """The check is not vacuous: a message the catalogue lacks is reported."""
    catalog = tools.load("zh")
    message = next(m for m in catalog if m.id)
    del catalog[message.id]
    found = [m for m in tools.template() if m.id and catalog.get(m.id) is None]
    assert [m.id for m in found] == [message.id]


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"GOVSHARE_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"GOVSHARE_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"GOVSHARE_LANG": "fr"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_follows_the_environment(environ: dict[str, str], language: str) -> None:
    assert language_from_environment(environ) == language


def test_use_language_is_scoped() -> None:
    before = get_language()
    with use_language("zh"):
        assert gettext("Summary") == "概要"
        with use_language("en"):
            assert gettext("Summary") == "Summary"
    assert get_language() == before
    with pytest.raises(ValueError, match="unknown language"):
        set_language("fr")  # type: ignore[arg-type]


@pytest.mark.parametrize("args", [["--lang", "zh", "--help"], ["--lang=zh", "audit", "--help"]])
def test_cli_help_in_chinese(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert _HAN.search(result.output)


def test_cli_help_follows_govshare_lang() -> None:
    zh = CliRunner().invoke(cli, ["audit", "verify", "--help"], env={"GOVSHARE_LANG": "zh"})
    en = CliRunner().invoke(cli, ["audit", "verify", "--help"], env={"GOVSHARE_LANG": "en"})
    assert zh.exit_code == en.exit_code == 0
    assert _HAN.search(zh.output)
    assert not _HAN.search(en.output)


def test_cli_errors_in_both_languages(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none' / 'store.db'}"
    for lang, prefix in (("zh", "错误"), ("en", "error")):
        result = CliRunner().invoke(cli, ["--lang", lang, "audit", "verify", "--db", missing])
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(prefix), result.stderr
        assert "Traceback" not in result.output


def test_cli_reference_stays_english_after_a_chinese_run() -> None:
    from govshare.cli._reference import render

    CliRunner().invoke(cli, ["--lang", "zh", "--help"])
    assert not _HAN.search(render())
