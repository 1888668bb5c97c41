"""The documentation agrees with the code, the test vectors and the site navigation."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

import govshare.exceptions

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
VECTORS = ROOT / "tests" / "vectors"
TREE_ROOT = "GovShareError"
# Pages that need no nav entry: the home page and the generated CLI reference.
NOT_IN_NAV = frozenset({"index.md", "cli-reference.md"})

_TEXT_BLOCK = re.compile(r"^```text[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _docstring_tree() -> list[str]:
    """The exception tree drawn in ``govshare.exceptions.__doc__``, dedented, one line per class."""
    doc = govshare.exceptions.__doc__
    assert doc is not None
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == TREE_ROOT)
    tree: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            break
        tree.append(line)
    return textwrap.dedent("\n".join(tree)).splitlines()


def _page_tree() -> list[str]:
    """The exception tree of docs/exceptions.md: its ```text block that starts at the root class."""
    text = (DOCS / "exceptions.md").read_text(encoding="utf-8")
    blocks = [m.group(1) for m in _TEXT_BLOCK.finditer(text)]
    trees = [b for b in blocks if b.splitlines() and b.splitlines()[0].strip() == TREE_ROOT]
    assert len(trees) == 1, "docs/exceptions.md should hold exactly one ```text exception tree"
    return trees[0].rstrip("\n").splitlines()


def _nav_pages(node: object) -> set[str]:
    """Every page path named anywhere in an mkdocs ``nav`` value (lists, mappings and strings)."""
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return {page for item in node for page in _nav_pages(item)}
    if isinstance(node, dict):
        return {page for value in node.values() for page in _nav_pages(value)}
    return set()


def test_exception_tree_matches_module_docstring() -> None:
    """The exception tree in docs/exceptions.md is line for line the tree in the module docstring."""
    docstring_tree = _docstring_tree()
    assert docstring_tree[0] == TREE_ROOT
    assert len(docstring_tree) > 1
    assert _page_tree() == docstring_tree


def test_every_vector_folder_with_provenance_is_documented() -> None:
    """Every tests/vectors/ folder with a PROVENANCE.md or README.md is named in docs/test-vectors.md."""
    page = (DOCS / "test-vectors.md").read_text(encoding="utf-8")
    folders = sorted(
        folder.name
        for folder in VECTORS.iterdir()
        if folder.is_dir()
        and ((folder / "PROVENANCE.md").is_file() or (folder / "README.md").is_file())
    )
    assert folders, "no vector folder has a PROVENANCE.md or README.md"
    missing = [name for name in folders if f"tests/vectors/{name}/" not in page]
    assert not missing, f"docs/test-vectors.md does not mention: {missing}"


def test_every_docs_page_is_in_the_nav() -> None:
    """Every Markdown page under docs/ (but the home page and CLI reference) is in mkdocs.yml's nav."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_pages(config["nav"])
    pages = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")}
    missing = sorted(pages - NOT_IN_NAV - nav)
    assert not missing, f"pages not reachable from mkdocs.yml's nav: {missing}"
