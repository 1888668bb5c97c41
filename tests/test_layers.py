"""The layers of docs' DESIGN hold in the code: every import is parsed and checked.

The layer order is written once, here (it matches the "Layers" section of the design): a module
may import only from its own component or from layers above it in ``LAYERS``; the capabilities
sit side by side and none imports another; and no module imports a ``_private`` module of another
package (what a package offers is in its ``__init__``), except the base layer's modules, which
are the shared foundation of everything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "govshare.exceptions",
            "govshare.types",
            "govshare._clock",
            "govshare._models",
            "govshare._arrow",
            "govshare._tabular",
            "govshare._noise",
            "govshare._i18n",
            "govshare._version",
            "govshare._html",
        ),
    ),
    ("crypto", ("govshare.crypto",)),
    ("identifiers", ("govshare.identifiers",)),
    ("storage and keys", ("govshare.storage", "govshare.keys")),
    ("audit", ("govshare.audit",)),
    ("capabilities", ("govshare.consent", "govshare.pseudonym", "govshare.tokens", "govshare.dp")),
    ("exchange", ("govshare.exchange",)),
    ("compliance", ("govshare.compliance",)),
    (
        "front doors",
        (
            "govshare",
            "govshare._workspace",
            "govshare.__main__",
            "govshare.cli",
            "govshare.pandas",
            "govshare.spark",
            "govshare.hazmat",
            "govshare.testing",
        ),
    ),
]
"""Layers from the bottom up."""

BASE = LAYERS[0][1]
SIDE_BY_SIDE = {"storage and keys", "capabilities"}
"""Layers whose components are peers that never import each other (the base modules and the
front doors build on one another within their layer)."""


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen in one module."""

    importer: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path) -> list[Import]:
    """Every ``import``/``from … import`` in *path*, including lazy and TYPE_CHECKING ones."""
    name = _module_name(path)
    package = name if _is_package(path) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from govshare.x import _y` may import a submodule: check each name as one too.
            found.append(Import(name, base, node.lineno))
            found += [
                Import(name, f"{base}.{alias.name}", node.lineno)
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return [i for i in found if i.target == "govshare" or i.target.startswith("govshare.")]


def _component(module: str) -> tuple[int, str]:
    """(layer index, component) of a govshare module: the longest component prefix wins."""
    best: tuple[int, str] | None = None
    for index, (_, components) in enumerate(LAYERS):
        for component in components:
            inside = module == component or module.startswith(component + ".")
            if inside and (best is None or len(component) > len(best[1])):
                best = (index, component)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to DESIGN.md)")
    return best


def _owning_package(module: str) -> str:
    """The package a module belongs to: ``govshare.dp._ledger`` -> ``govshare.dp``."""
    if (SRC / module.replace(".", "/")).is_dir():
        return module
    return module.rpartition(".")[0]


def _may_reach(importer: str, private: str) -> bool:
    """Whether *importer* may import the private module *private*: only from inside its package
    (a subpackage counts, except that the top-level package's private modules are its own)."""
    owner = private.rpartition(".")[0]
    package = _owning_package(importer)
    return package == owner or (owner != "govshare" and package.startswith(owner + "."))


def _private_target(target: str) -> str | None:
    """The private module *target* reaches into (``govshare.audit._note``), if any."""
    parts = target.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: i + 1])
    return None


def violations(imports: list[Import]) -> list[str]:
    """Every import that breaks a layering rule, as one line each."""
    problems = []
    for imp in imports:
        src_layer, src_component = _component(imp.importer)
        dst_layer, dst_component = _component(imp.target)
        where = f"{imp.importer} (line {imp.line}) imports {imp.target}"
        if dst_layer > src_layer:
            problems.append(f"{where}: a lower layer imports a higher one")
        elif (
            dst_layer == src_layer
            and dst_component != src_component
            and LAYERS[src_layer][0] in SIDE_BY_SIDE
        ):
            problems.append(f"{where}: side-by-side components import each other")
        private = _private_target(imp.target)
        if private is not None and private not in BASE and not _may_reach(imp.importer, private):
            problems.append(f"{where}: reaches into another package's private module")
    return problems


def _all_imports() -> list[Import]:
    return [imp for path in sorted(SRC.rglob("*.py")) for imp in _imports(path)]


def test_the_code_keeps_the_layers() -> None:
    """No module imports a higher layer, a side-by-side capability, or another's private module."""
    problems = violations(_all_imports())
    assert not problems, "\n".join(problems)


def test_every_module_is_in_a_layer() -> None:
    """Every module under src/govshare belongs to exactly one layer of LAYERS."""
    for path in SRC.rglob("*.py"):
        _component(_module_name(path))


def test_the_checker_sees_imports() -> None:
    """The parser finds imports, including lazy ones, so the layering test cannot pass vacuously."""
    imports = _all_imports()
    assert len(imports) > 200
    lazy = {(i.importer, i.target) for i in imports}
    assert ("govshare._workspace", "govshare.pseudonym") in lazy  # imported inside a method


@pytest.mark.parametrize(
    ("importer", "target", "broken"),
    [
        ("govshare.consent._subjects", "govshare.pseudonym", "side-by-side"),
        ("govshare.tokens._models", "govshare.dp", "side-by-side"),
        ("govshare.dp", "govshare.pandas", "lower layer imports a higher"),
        ("govshare.audit._log", "govshare.consent", "lower layer imports a higher"),
        ("govshare.storage._store", "govshare.audit", "lower layer imports a higher"),
        ("govshare.identifiers._kinds", "govshare.keys", "lower layer imports a higher"),
        ("govshare._workspace", "govshare.audit._note", "private module"),
        ("govshare.tokens._models", "govshare.audit._events", "private module"),
        ("govshare.testing", "govshare.dp._rng", "private module"),
        ("govshare.hazmat", "govshare.crypto._secret", "private module"),
        ("govshare.cli._pseudonym", "govshare.pseudonym._files", "private module"),
        ("govshare.consent._tables", "govshare.storage._tables", "private module"),
    ],
)
def test_each_kind_of_violation_is_caught(importer: str, target: str, broken: str) -> None:
    """Each violation this round removed would fail the layering test if it came back."""
    problems = violations([Import(importer, target, 1)])
    assert problems
    assert broken in problems[0], problems


@pytest.mark.parametrize(
    ("importer", "target"),
    [
        ("govshare.dp._query", "govshare.dp._ledger"),
        ("govshare.dp._ledger", "govshare.audit"),
        ("govshare.consent._grant", "govshare.identifiers"),
        ("govshare.audit._log", "govshare._clock"),
        ("govshare.testing", "govshare._workspace"),
        ("govshare.testing", "govshare._noise"),
        ("govshare.cli._audit", "govshare"),
    ],
)
def test_allowed_imports_pass(importer: str, target: str) -> None:
    """Within a package, to a lower layer, and to the base layer's modules are all allowed."""
    assert violations([Import(importer, target, 1)]) == []
