"""The govshare CLI end to end: init, demo, audit commands, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from govshare.audit import InclusionProof
from govshare.cli import cli
from govshare.testing import TEST_PASSPHRASE
from tests.conftest import Run


def _govshare(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m govshare ARGS` in *folder* as a fresh shell would: no GOVSHARE_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSHARE_")}
    return subprocess.run(
        [sys.executable, "-m", "govshare", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def run(cli_run: Run) -> Run:
    """Invoke the CLI in a temporary folder with a passphrase set; returns (exit code, out, err)."""
    return cli_run


def _demo_size(out: str) -> int:
    """The civil-affairs log size the demo reports (``log verified: N entries``)."""
    (line,) = [x for x in out.splitlines() if x.startswith("log verified: ")]
    return int(line.split()[2])


def test_init_then_demo_then_verify(run) -> None:
    """init creates a workspace; demo adds events and a checkpoint; verify passes with exit 0."""
    code, out, _ = run("init", "--department", "civil-affairs")
    assert code == 0, out
    assert "audit log public key: govshare/civil-affairs/audit/" in out
    code, out, _ = run("demo")
    assert code == 0, out
    assert "hrss cosigned its checkpoint" in out
    size = _demo_size(out)
    code, out, _ = run("audit", "verify")
    assert code == 0
    assert out.startswith(f"ok: {size} entries")


def test_demo_on_a_fresh_folder_without_passphrase(tmp_path: Path) -> None:
    """`python -m govshare demo` works in an empty folder with no settings (README quick start),
    tells the whole story and names the folder it left its files in."""
    proc = _govshare(tmp_path, "demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "demo passphrase" in out
    assert (
        "consents at civil affairs for hrss: consent 75, withdrawn 10, legal-obligation 16, "
        "minors with guardian consent 8, no record 11"
    ) in out
    assert "approved (name dropped, id pseudonymised), countersigned, active" in out
    assert (
        "share: 99 of 122 rows released; excluded: invalid-subject 1, missing-subject 1, "
        "no-record 11, withdrawn 10"
    ) in out
    assert "columns: id_number (pseudonymised aes-prp), district (as held), income (as held)" in out
    assert "99 rows accepted" in out
    assert "epsilon 0.5 spent, 0.5 left" in out
    assert "hrss cosigned its checkpoint (2 signatures)" in out
    assert "11010119900307123" not in out  # the malformed number is counted, never printed
    files = tmp_path / "govshare-demo-files"
    assert out.rstrip().endswith(str(files.resolve()))
    assert sorted(p.name for p in files.iterdir()) == [
        "checkpoint-civil-affairs.txt", "release-1", "residents.csv", "summary.json"
    ]  # fmt: skip
    summary = json.loads((files / "summary.json").read_text(encoding="utf-8"))
    assert summary["received_verified"] is True
    assert (tmp_path / "govshare.db").exists()
    again = _govshare(tmp_path, "demo")
    assert again.returncode == 0, again.stderr  # a second run reuses both workspaces
    assert "99 rows accepted" in again.stdout


def test_tail_and_export(run) -> None:
    """tail prints JSON lines; export writes header, entries and checkpoints."""
    size = _demo_size(run("demo")[1])
    code, out, _ = run("audit", "tail", "-n", "2")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["seq"] for line in lines] == [size - 2, size - 1]
    code, out, _ = run("audit", "export")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["format"] == "govshare-audit-export/1"
    assert rows[0]["size"] == size
    assert [r["seq"] for r in rows[1:5]] == [0, 1, 2, 3]
    assert "checkpoint" in rows[-1]


def test_checkpoint_and_since(run, tmp_path: Path) -> None:
    """checkpoint -o writes a file that verify --since accepts."""
    run("demo")
    code, out, _ = run("audit", "checkpoint", "-o", "cp.txt")
    assert code == 0
    assert (tmp_path / "cp.txt").read_text() == out
    code, out, _ = run("audit", "verify", "--since", "cp.txt")
    assert code == 0, out


def test_proofs(run) -> None:
    """proof --index and --consistency print proofs that verify."""
    run("demo")
    code, out, _ = run("audit", "proof", "--index", "1")
    assert code == 0
    InclusionProof.model_validate_json(out).verify()
    code, out, _ = run("audit", "proof", "--consistency", "2")
    assert code == 0
    assert json.loads(out)["size1"] == 2


def test_verify_with_explicit_key(run) -> None:
    """verify --key with the log's published key passes and skips the note about stored keys."""
    run("demo")
    _, key, _ = run("audit", "public-key")
    code, out, _ = run("audit", "verify", "--key", key.strip())
    assert code == 0
    assert "note:" not in out


def test_tampered_store_exits_1_with_one_line(run, tmp_path: Path) -> None:
    """A tampered log makes verify exit 1 with one error line naming the entry, no traceback."""
    run("demo")
    with sqlite3.connect(tmp_path / "govshare.db") as db:
        db.execute("UPDATE audit_entries SET entry = replace(entry, 'hrss', 'hrsx') WHERE seq = 2")
    code, _, err = run("audit", "verify")
    assert code == 1
    assert err.count("\n") == 1
    assert "LogTampered: entry 2 was modified" in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(run) -> None:
    """Usage and input errors exit 2."""
    run("demo")
    assert run("audit", "proof")[0] == 2
    assert run("audit", "proof", "--index", "99999")[0] == 2  # past the log's end
    assert run("nonsense")[0] == 2
    code, _, err = run("audit", "verify", "--key", "not-a-key")
    assert code == 2
    assert err.startswith("error: InputError")


def test_missing_store_is_one_line_error(run) -> None:
    """Commands on a folder without a workspace fail with exit 2 and one line."""
    code, _, err = run("audit", "verify", "--db", "sqlite:///nowhere/x.db")
    assert code == 2
    assert "does not exist" in err


def test_wrong_passphrase_is_one_line(run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong passphrase gives exit 2 and one line, and the passphrase is not echoed."""
    run("init", "--department", "civil-affairs")
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", "wrong-pass")
    code, _, err = run("audit", "checkpoint")
    assert code == 2
    assert "WrongPassphrase" in err
    assert "wrong-pass" not in err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    """--debug lets the exception propagate (with its traceback) instead of one line."""
    proc = _govshare(tmp_path, "--debug", "audit", "verify")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_cosign_between_departments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One department's CLI cosigns another's checkpoint, then refuses a missing proof."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", TEST_PASSPHRASE)
    runner = CliRunner()
    a, b = "sqlite:///a.db", "sqlite:///b.db"
    assert runner.invoke(cli, ["init", "--db", a, "--department", "civil-affairs"]).exit_code == 0
    assert runner.invoke(cli, ["init", "--db", b, "--department", "hrss"]).exit_code == 0
    key = runner.invoke(cli, ["audit", "public-key", "--db", a]).stdout.strip()
    runner.invoke(cli, ["audit", "checkpoint", "--db", a, "-o", "cp1.txt"])
    result = runner.invoke(cli, ["audit", "cosign", "cp1.txt", "--db", b, "--log-key", key])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\u2014 ") == 2
    runner.invoke(cli, ["demo", "--db", a])
    runner.invoke(cli, ["audit", "checkpoint", "--db", a, "-o", "cp2.txt"])
    result = runner.invoke(cli, ["audit", "cosign", "cp2.txt", "--db", b, "--log-key", key])
    assert result.exit_code == 1
    proof = runner.invoke(cli, ["audit", "proof", "--db", a, "--consistency", "1"]).stdout
    (tmp_path / "proof.json").write_text(proof)
    result = runner.invoke(
        cli, ["audit", "cosign", "cp2.txt", "--db", b, "--log-key", key, "--proof", "proof.json"]
    )
    assert result.exit_code == 0, result.stderr


def test_version(run) -> None:
    """--version prints the package version."""
    code, out, _ = run("--version")
    assert code == 0
    assert "govshare" in out
