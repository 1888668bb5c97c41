"""Every shell block in the docs runs as written: each page's ```bash blocks, in order, in one shell.

A block may be left out only with a marker on the line before it naming why —
``<!-- shell: not run (installs packages) -->`` or ``(needs a Spark cluster)`` — and those reasons
are the only ones accepted. Each page runs in a fresh folder with no GOVSHARE_ settings, with the
``govshare`` of this environment first on PATH; everything a block uses (people.csv, key files,
tokens) must be made by the page itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(
    r"(?:^<!-- shell: not run \((?P<why>[^)]*)\) -->\n)?^```(?:bash|sh|shell|console)[ \t]*\n"
    r"(?P<code>.*?)^```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
REASONS = {"installs packages", "needs a Spark cluster"}


def _pages() -> list[Path]:
    return [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]


def _blocks(page: Path) -> list[tuple[str | None, str]]:
    text = page.read_text(encoding="utf-8")
    return [(m.group("why"), m.group("code")) for m in _BLOCK.finditer(text)]


def _runnable_pages() -> list[Path]:
    return [p for p in _pages() if any(why is None for why, _ in _blocks(p))]


def test_only_known_reasons_leave_a_block_out() -> None:
    """A shell block is left out only for installing packages or needing a cluster."""
    for page in _pages():
        for why, _ in _blocks(page):
            assert why is None or why in REASONS, f"{page.name}: unknown reason {why!r}"


@pytest.mark.parametrize("page", _runnable_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_blocks_run(page: Path, tmp_path: Path) -> None:
    """The page's shell blocks, concatenated in order, exit 0 in an empty folder."""
    script = "\n".join(code for why, code in _blocks(page) if why is None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSHARE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{page.name}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
