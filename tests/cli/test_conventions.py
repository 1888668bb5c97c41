"""The CLI's conventions and its parity with the library (issue 15 items 1 and 4).

Global ``--db`` before the subcommand, the passphrase from a file, ``--format json`` on the
reporting commands, empty results that say so, base64 hashes, and the commands that list the
vocabulary, list/rotate/retire keys, renew consent, list statutory bases and release the other DP
statistics.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from govshare.cli import cli
from govshare.testing import TEST_PASSPHRASE
from tests.conftest import Run
from tests.consent.conftest import resident_id

ALICE = resident_id(802)


@pytest.fixture
def people(tmp_path: Path) -> Path:
    """A small people file with a privacy unit, a district and an income."""
    path = tmp_path / "people.csv"
    frame = pd.DataFrame(
        {
            "pid": [f"p{i}" for i in range(200)],
            "district": ["east", "west"] * 100,
            "income": [float(i * 10) for i in range(200)],
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_db_is_accepted_before_and_after_the_subcommand(cli_run: Run, tmp_path: Path) -> None:
    """`govshare --db URL cmd` and `govshare cmd --db URL` reach the same store; after wins."""
    db = f"sqlite:///{tmp_path / 'civil.db'}"
    assert cli_run("--db", db, "init", "--department", "civil-affairs")[0] == 0
    assert (tmp_path / "civil.db").exists()
    assert not (tmp_path / "govshare.db").exists()
    code, out, _ = cli_run("--db", db, "audit", "verify", "--format", "json")
    assert code == 0, out
    before = json.loads(out)["size"]
    code, out, _ = cli_run("--db", "sqlite:///nowhere.db", "audit", "verify", "--db", db)
    assert code == 0, out
    assert out.startswith(f"ok: {before} entries")


def test_passphrase_from_a_file(
    cli_workspace: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without GOVSHARE_PASSPHRASE, --passphrase-file opens the key file; without either, exit 2."""
    monkeypatch.delenv("GOVSHARE_PASSPHRASE")
    secret = tmp_path / "passphrase.txt"
    secret.write_text(TEST_PASSPHRASE + "\n", encoding="utf-8")
    code, out, err = cli_workspace("--passphrase-file", str(secret), "keys", "list")
    assert code == 0, err
    assert "signing" in out
    code, out, err = cli_workspace("keys", "list")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert TEST_PASSPHRASE not in err + out
    secret.write_text("not the passphrase\n", encoding="utf-8")
    code, _, err = cli_workspace("--passphrase-file", str(secret), "keys", "list")
    assert code == 2
    assert "WrongPassphrase" in err


def test_reporting_commands_speak_json(cli_workspace: Run, people: Path) -> None:
    """audit verify, budget show, consent check, token inspect, dp query print one JSON document."""
    run = cli_workspace
    assert run("budget", "set", "people", "--epsilon", "2")[0] == 0
    for args in (
        ["audit", "verify"],
        ["budget", "show"],
        ["consent", "check", ALICE, "--recipient", "hrss", "--purpose", "subsidy-eligibility",
         "--category", "income"],
        ["dp", "query", str(people), "--unit", "pid", "--dataset", "people", "--count",
         "--epsilon", "0.5"],
        ["vocab", "list", "purposes"],
        ["keys", "list"],
    ):  # fmt: skip
        code, out, err = run(*args, "--format", "json")
        assert code in (0, 1), (args, err)
        json.loads(out)
    code, token, _ = run(
        "token", "issue", "--audience", "civil-affairs", "--purpose", "subsidy-eligibility",
        "--category", "income",
    )  # fmt: skip
    assert code == 0
    code, out, _ = run("token", "inspect", token.strip(), "--format", "json")
    assert code == 0
    assert json.loads(out)["active"] is True
    code, out, _ = run("token", "inspect", token.strip(), "--format", "text")
    assert code == 0
    assert "active:" in out


def test_hashes_are_base64_everywhere(cli_workspace: Run) -> None:
    """audit verify's root and audit tail's leaf hashes are standard base64 of 32 bytes."""
    code, out, _ = cli_workspace("audit", "verify", "--format", "json")
    assert code == 0
    assert len(base64.b64decode(json.loads(out)["root"], validate=True)) == 32
    code, out, _ = cli_workspace("audit", "verify")
    root = out.split("root ")[1].split(",")[0]
    assert len(base64.b64decode(root, validate=True)) == 32
    code, out, _ = cli_workspace("audit", "tail", "-n", "1")
    assert len(base64.b64decode(json.loads(out)["leaf_hash"], validate=True)) == 32


def test_empty_results_say_so(cli_workspace: Run) -> None:
    """An empty list prints a sentence, not an empty table; JSON gives an empty list."""
    code, out, _ = cli_workspace("budget", "show")
    assert code == 0
    assert out.startswith("no budget caps set")
    code, out, _ = cli_workspace("budget", "show", "--format", "json")
    assert json.loads(out) == []
    code, out, _ = cli_workspace(
        "consent", "statutory-bases", "--recipient", "hrss", "--purpose", "subsidy-eligibility"
    )
    assert code == 0
    assert out.startswith("no statutory basis in force")
    code, out, _ = cli_workspace("keys", "list", "--name", "no-such-key")
    assert out.strip() == "no keys"


def test_tables_have_headers_and_aligned_columns(cli_workspace: Run) -> None:
    """keys list prints a header row and every row's columns start where the header's do."""
    code, out, _ = cli_workspace("keys", "list")
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip() and set(line.strip()) != {"─"}]
    header = lines[0]
    assert header.split()[:4] == ["name", "version", "type", "status"]
    start = header.index("status")
    assert all(line[start:].split()[0] in ("active", "retired") for line in lines[1:])


def test_vocab_list(cli_workspace: Run) -> None:
    """vocab list shows purposes, categories and bases with their labels, or one kind."""
    code, out, _ = cli_workspace("vocab", "list", "--format", "json")
    assert code == 0
    kinds = {t["kind"] for t in json.loads(out)}
    assert kinds == {"purpose", "category", "legal-basis"}
    code, out, _ = cli_workspace("vocab", "list", "purposes")
    assert "subsidy-eligibility" in out
    assert "income" not in out.split()


def test_keys_rotate_and_retire(cli_workspace: Run) -> None:
    """keys rotate adds version 2; keys retire retires version 1; list shows both states."""
    code, out, _ = cli_workspace("keys", "list", "--format", "json")
    names = {k["name"] for k in json.loads(out)}
    name = sorted(n for n in names if n != "signing")[0]
    code, out, _ = cli_workspace("keys", "rotate", name, "--format", "json")
    assert code == 0, out
    assert json.loads(out)["version"] == 2
    code, out, _ = cli_workspace("keys", "retire", name, "1", "--format", "json")
    assert code == 0, out
    assert json.loads(out)["status"] == "retired"
    code, out, _ = cli_workspace("keys", "list", "--name", name, "--format", "json")
    assert [(k["version"], k["status"]) for k in json.loads(out)] == [
        (1, "retired"),
        (2, "active"),
    ]
    code, _, err = cli_workspace("keys", "retire", "no-such-key", "1")
    assert code == 2
    assert err.startswith("error: KeyNotFound")


def test_consent_renew_and_statutory_bases(cli_workspace: Run) -> None:
    """consent renew moves the expiry; a declared statutory basis is listed."""
    code, out, _ = cli_workspace(
        "consent", "grant", ALICE, "--recipient", "hrss", "--purpose", "subsidy-eligibility",
        "--category", "income", "--expires-at", "2030-01-01T00:00:00+08:00",
    )  # fmt: skip
    assert code == 0, out
    record_id = json.loads(out)["record_id"]
    code, out, _ = cli_workspace(
        "consent", "renew", record_id, "--expires-at", "2032-01-01T00:00:00+00:00"
    )
    assert code == 0, out
    assert json.loads(out)["expires_at"].startswith("2032-01-01")
    code, _, err = cli_workspace("consent", "renew", record_id)
    assert code == 2
    assert "--expires-at" in err
    code, out, err = cli_workspace(
        "consent", "declare-statutory-basis", "--recipient", "hrss", "--purpose",
        "subsidy-eligibility", "--category", "income", "--legal-basis", "legal-obligation",
        "--law", "Social Insurance Law Art. 1",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = cli_workspace(
        "consent", "statutory-bases", "--recipient", "hrss", "--purpose", "subsidy-eligibility",
        "--format", "json",
    )  # fmt: skip
    assert [b["law"] for b in json.loads(out)] == ["Social Insurance Law Art. 1"]


def test_token_issue_checks_the_vocabulary(cli_workspace: Run) -> None:
    """token issue refuses a purpose or category the vocabulary does not know, as consent does."""
    for option, value in (("--purpose", "alchemy"), ("--category", "horoscope")):
        args = {"--purpose": "subsidy-eligibility", "--category": "income", option: value}
        code, out, err = cli_workspace(
            "token", "issue", "--audience", "civil-affairs", *[x for kv in args.items() for x in kv]
        )
        assert code == 2, out
        assert out == ""
        assert len(err.splitlines()) == 1


def test_dp_statistics_and_preview(cli_workspace: Run, people: Path) -> None:
    """variance, quantile, histogram release from the CLI; preview charges nothing."""
    run = cli_workspace
    assert run("budget", "set", "people", "--epsilon", "5")[0] == 0
    base = ["dp", "query", str(people), "--unit", "pid", "--dataset", "people", "--epsilon", "0.5"]
    code, out, err = run(*base, "--variance", "income", "--bounds", "0", "2000")
    assert code == 0, err
    assert out.splitlines()[0].startswith("value,ci_low,ci_high")
    code, out, err = run(*base, "--quantile", "income", "--q", "0.9", "--bounds", "0", "2000")
    assert code == 0, err
    code, out, err = run(
        *base, "--histogram", "income", "--bin", "0", "--bin", "1000", "--bin", "2000"
    )
    assert code == 0, err
    assert len(out.splitlines()) == 3  # header and two bins
    code, out, err = run(
        *base, "--mean", "income", "--bounds", "0", "2000", "--preview", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["epsilon"] == 0.5
    code, out, _ = run("budget", "show", "--format", "json")
    assert json.loads(out)[0]["epsilon_spent"] == pytest.approx(1.5)
    code, out, err = run(*base, "--count", "--by", "district", "--key", "east", "--key", "west")
    assert code == 0, err
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["east", "west"]


def test_help_names_every_new_command() -> None:
    """The parity commands exist and have help."""
    for path in (
        ["vocab", "list"],
        ["keys", "list"],
        ["keys", "rotate"],
        ["keys", "retire"],
        ["consent", "renew"],
        ["consent", "statutory-bases"],
    ):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
