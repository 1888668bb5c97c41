"""The README's quick start and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_quick_start_has_exactly_two_commands() -> None:
    """The quick start is two one-line commands: demo, then tests."""
    blocks = _bash_blocks()
    assert len(blocks) == 2
    assert all("\n" not in b for b in blocks)
    assert blocks[0].endswith("govshare demo")
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim."""
    test_command = _bash_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
    assert "GOVSHARE_TEST_POSTGRES_URL" in ci
