"""The documentation stays true: the CLI reference is current and every Python example runs."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from govshare.cli._reference import commands, render

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "cli-reference.md"
REGENERATE = "python -m govshare.cli._reference > docs/cli-reference.md"

# A fenced block opened by exactly ```python (```py and ```text blocks are shown, not run).
_PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _pages() -> list[Path]:
    pages = sorted(DOCS.rglob("*.md"))
    readme = ROOT / "README.md"
    return [*pages, readme] if readme.exists() else pages


def _python_blocks(page: Path) -> list[tuple[int, str]]:
    """``(line number, code)`` of every ```python block on *page*, in order."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _PYTHON_BLOCK.finditer(text)]


def _pages_with_code() -> list[Path]:
    return [page for page in _pages() if _python_blocks(page)]


def test_cli_reference_is_current() -> None:
    """docs/cli-reference.md is exactly what the reference generator renders from the CLI now."""
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        f"docs/cli-reference.md is out of date; regenerate it with: {REGENERATE}"
    )


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in commands()])
def test_every_command_is_documented_with_help(path: str) -> None:
    """Every command in the CLI tree has a reference section and non-empty help text."""
    command = {" ".join(p): c for p, c in commands()}[path]
    help_text = command.help or command.short_help or ""
    assert help_text.strip(), f"`{path}` has no help text"
    if isinstance(command, click.Group):
        assert command.commands, f"group `{path}` has no subcommands"
    assert f"\n## {path}\n" in REFERENCE.read_text(encoding="utf-8"), (
        f"`{path}` is missing from docs/cli-reference.md; regenerate it with: {REGENERATE}"
    )


def test_docs_have_python_examples() -> None:
    """The example collector finds runnable blocks, so the example test cannot pass vacuously."""
    assert len(_pages_with_code()) >= 3


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of a page runs, in order and in one namespace, in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", "docs-test-passphrase")
    monkeypatch.delenv("GOVSHARE_URL", raising=False)
    monkeypatch.delenv("GOVSHARE_KEY_FILE", raising=False)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    name = page.relative_to(ROOT)
    for line, code in _python_blocks(page):
        # Pad with blank lines so a traceback points at the block's line in the Markdown file.
        compiled = compile("\n" * (line - 1) + code, str(name), "exec")
        exec(compiled, namespace)
