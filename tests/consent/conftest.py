"""Consent test helpers: valid resident ID numbers and a registry on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govshare import Workspace
from govshare.consent import ConsentRegistry
from govshare.identifiers import check_character


def resident_id(n: int, *, year: int = 1990) -> str:
    """The *n*-th synthetic resident ID number with a correct GB 11643 check character."""
    body = f"110101{year}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    if n >= 1000:  # vary the area code too, so many distinct numbers exist
        body = f"{110101 + n // 1000 % 800000:06d}{body[6:]}"
    return body + check_character(body)


def minor_id(n: int) -> str:
    """A synthetic resident ID number of someone born in 2020."""
    return resident_id(n, year=2020)


@pytest.fixture
def registry(workspace: Workspace) -> Iterator[ConsentRegistry]:
    """The workspace's consent registry (SQLite and PostgreSQL)."""
    return workspace.consents
