"""Fixtures for the tokens tests: a holding department on each backend and an issuing one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from govshare import Workspace
from govshare.testing import FrozenClock, temporary_workspace

ISSUER = "hrss"
PURPOSE = "subsidy-eligibility"


@pytest.fixture
def issuer(tmp_path: Path, clock: FrozenClock) -> Iterator[Workspace]:
    """The requesting department ("hrss"), which signs tokens; always on SQLite."""
    ws = temporary_workspace(tmp_path / "issuer", department=ISSUER, clock=clock)
    yield ws
    ws.close()


@pytest.fixture
def holder(workspace: Workspace, issuer: Workspace) -> Workspace:
    """The holding department, on each backend, trusting the issuer's token keys."""
    workspace.tokens.trust(issuer.keys.export_public())
    return workspace


def _maker(issuer: Workspace, holder: Workspace) -> Callable[..., str]:
    """A function issuing tokens from *issuer* to *holder*; keyword arguments override defaults."""

    def make(**overrides: Any) -> str:
        args: dict[str, Any] = {
            "audience": holder.department,
            "purpose": PURPOSE,
            "categories": ["identity", "income"],
            "ttl": timedelta(hours=1),
        }
        args.update(overrides)
        return issuer.tokens.issue(**args)

    return make


@pytest.fixture
def make_token(issuer: Workspace, holder: Workspace) -> Callable[..., str]:
    """Issue a token from the issuer to the holder; keyword arguments override the defaults."""
    return _maker(issuer, holder)


@pytest.fixture
def local_holder(sqlite_workspace: Workspace, issuer: Workspace) -> Workspace:
    """The holding department on SQLite only (for the many parametrised format checks)."""
    sqlite_workspace.tokens.trust(issuer.keys.export_public())
    return sqlite_workspace


@pytest.fixture
def local_make_token(issuer: Workspace, local_holder: Workspace) -> Callable[..., str]:
    """Like make_token, for the SQLite-only holder."""
    return _maker(issuer, local_holder)
