"""Shared fixtures: the same storage tests run on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings
from sqlalchemy import create_engine, text

from govshare import Workspace
from govshare.cli import cli
from govshare.testing import TEST_PASSPHRASE, FrozenClock, temporary_workspace

# No per-example deadline: it is a timing assertion, and timings do not belong in unit tests
# (under a loaded CI machine it only makes property tests flaky). Benchmarks measure speed.
settings.register_profile("govshare", deadline=None)
settings.load_profile("govshare")

# Plot tests and docs examples draw off-screen, whatever display the machine has.
os.environ.setdefault("MPLBACKEND", "Agg")

POSTGRES_ENV = "GOVSHARE_TEST_POSTGRES_URL"
RUN_ID = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Target:
    """Where a test's store lives."""

    url: str
    schema: str | None
    backend: str


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A fresh, empty store location: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield Target(f"sqlite:///{tmp_path / 'store.db'}", None, "sqlite")
        return
    url = _postgres_url()
    schema = f"gs_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    yield Target(url, schema, "postgresql")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at 2026-01-01T00:00:00Z."""
    return FrozenClock()


@pytest.fixture
def workspace(target: Target, tmp_path: Path, clock: FrozenClock) -> Iterator[Workspace]:
    """A new workspace on each backend, with a cheap key-file KDF."""
    ws = temporary_workspace(tmp_path, url=target.url, schema=target.schema, clock=clock)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path, clock: FrozenClock) -> Iterator[Workspace]:
    """A new workspace on SQLite only (for tests that edit the database file directly)."""
    ws = temporary_workspace(tmp_path, clock=clock)
    yield ws
    ws.close()


Run = Callable[..., tuple[int, str, str]]
"""Invoke the CLI with arguments (and optional ``input=``); returns (exit code, stdout, stderr)."""


@pytest.fixture
def cli_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The govshare CLI, run in a temporary folder with a test passphrase and no other settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", TEST_PASSPHRASE)
    for name in ("GOVSHARE_URL", "GOVSHARE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
        result = runner.invoke(cli, list(args), input=input)
        return result.exit_code, result.stdout, result.stderr

    return invoke


@pytest.fixture
def cli_workspace(cli_run: Run) -> Run:
    """cli_run in a folder where ``govshare init --department civil-affairs`` already ran."""
    assert cli_run("init", "--department", "civil-affairs")[0] == 0
    return cli_run
