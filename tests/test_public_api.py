"""The public API: one sorted __all__ per package, nothing exported by accident."""

from __future__ import annotations

import importlib
import inspect

import pytest

import govshare
from govshare import exceptions

PACKAGES = [
    "govshare",
    "govshare.audit",
    "govshare.crypto",
    "govshare.identifiers",
    "govshare.types",
    "govshare.pandas",
    "govshare.keys",
    "govshare.storage",
    "govshare.exceptions",
    "govshare.hazmat",
    "govshare.testing",
    "govshare.pseudonym",
    "govshare.consent",
    "govshare.tokens",
    "govshare.dp",
    "govshare.exchange",
    "govshare.compliance",
    "govshare.spark",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    """Each public module's __all__ is sorted and names every public attribute it defines."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    own = name if name == "govshare" else f"{name}._"
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not inspect.ismodule(v)
        and (getattr(v, "__module__", "") == name or getattr(v, "__module__", "").startswith(own))
    }
    assert public <= set(exported), public - set(exported)
    for n in exported:
        assert hasattr(module, n)


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_every_exception_is_exported_from_govshare() -> None:
    """Every exception class is importable from govshare itself."""
    for name in exceptions.__all__:
        assert getattr(govshare, name) is getattr(exceptions, name)


def test_every_exception_derives_from_root() -> None:
    """Every exception in the tree derives from GovShareError and is drawn in the docstring."""
    doc = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, exceptions.GovShareError)
        assert name in doc


def test_hazmat_is_not_reexported() -> None:
    """Nothing from govshare.hazmat is reachable from the top-level package."""
    from govshare import hazmat

    for name in hazmat.__all__:
        assert not hasattr(govshare, name)
