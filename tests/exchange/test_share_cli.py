"""govshare share / receive end to end through the CLI, provider on each backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare import Workspace
from govshare.testing import TEST_PASSPHRASE, TEST_SCRYPT, FrozenClock
from tests.conftest import Run
from tests.exchange.conftest import Pair
from tests.exchange.share_helpers import residents, token
from tests.exchange.test_cli import NOW, civil_url, run

__all__ = ["civil_url", "run"]  # fixtures used here


@pytest.fixture
def cli_pair(run: Run, civil_url: str) -> Iterator[tuple[Pair, str]]:
    """civil-affairs at *civil_url* and hrss in this folder, as the CLI will open them, with an
    active agreement; yields the pair and the agreement id."""
    clock = FrozenClock(NOW)
    opened = [
        Workspace.open(url, department=dept, passphrase=TEST_PASSPHRASE, scrypt=TEST_SCRYPT,
                       clock=clock)
        for url, dept in ((civil_url, "civil-affairs"), ("sqlite:///hrss.db", "hrss"))
    ]  # fmt: skip
    civil, hrss = opened
    civil.tokens.trust(hrss.keys.export_public())
    hrss.tokens.trust(civil.keys.export_public())
    pair = Pair(civil, hrss, clock)
    yield pair, pair.agreement()
    for ws in opened:
        ws.close()


def test_share_and_receive_through_the_cli(
    run: Run, civil_url: str, cli_pair: tuple[Pair, str], tmp_path: Path
) -> None:
    """share writes a release folder and a summary by reason; receive verifies and records it."""
    pair, agreement = cli_pair
    people = residents(pair)
    people.frame.to_csv(tmp_path / "residents.csv", index=False)
    (tmp_path / "token.txt").write_text(token(pair, agreement), encoding="utf-8")
    code, out, err = run("share", "--db", civil_url, "residents.csv", "--agreement", agreement,
                         "--token", "@token.txt", "--subject-column", "id_number", "-o", "out")  # fmt: skip
    assert code == 0, err
    assert f"rows: {len(people.consented) + 1} of {len(people.frame)} kept" in out
    assert "excluded withdrawn: 2" in out
    assert "excluded missing-subject: 1" in out
    assert "column id_number [identity]: pseudonymised (aes-prp, key v1, domain hrss)" in out
    assert not [r for r in people.frame["id_number"].dropna() if r in out + err]
    code, out, err = run("receive", "--db", "sqlite:///hrss.db", "out", "--format", "json",
                         "-o", "rows.parquet")  # fmt: skip
    assert code == 0, err
    manifest = json.loads(out)
    assert manifest["rows_kept"] == len(people.consented) + 1
    assert (tmp_path / "rows.parquet").exists()
    code, out, _ = run("receive", "--db", "sqlite:///hrss.db", "out")
    assert (code, "received again (recorded, not counted twice)" in out) == (0, True)


def test_cli_refusals_are_one_line(
    run: Run, civil_url: str, cli_pair: tuple[Pair, str], tmp_path: Path
) -> None:
    """A refused share exits 2 and a tampered release exits 1, each with one line and no traceback."""
    pair, agreement = cli_pair
    people = residents(pair)
    people.frame.to_parquet(tmp_path / "residents.parquet")
    code, _, err = run("share", "--db", civil_url, "residents.parquet", "--agreement",
                       agreement, "--token", "not-a-token", "--subject-column", "id_number",
                       "-o", "out")  # fmt: skip
    assert code == 2
    assert err.startswith("error: MalformedToken:")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    code, _, err = run("share", "--db", civil_url, "residents.parquet", "--agreement",
                       agreement, "--token", token(pair, agreement), "--subject-column",
                       "id_number", "-o", "out")  # fmt: skip
    assert code == 0, err
    data = bytearray((tmp_path / "out" / "data.parquet").read_bytes())
    data[100] ^= 0xFF
    (tmp_path / "out" / "data.parquet").write_bytes(bytes(data))
    code, _, err = run("receive", "--db", "sqlite:///hrss.db", "out")
    assert code == 1
    assert err.startswith("error: ReleaseTampered:")
    assert len(err.strip().splitlines()) == 1
