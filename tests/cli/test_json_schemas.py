"""``--format json`` output matches the JSON Schemas in docs/cli-json.md, and the page is current."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from govshare.cli._schemas import SCHEMAS, render, schema
from tests.conftest import Run
from tests.consent.conftest import resident_id

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli-json.md"


def test_page_is_current() -> None:
    """docs/cli-json.md is exactly what the schema generator renders now."""
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/cli-json.md is out of date; regenerate: python -m govshare.cli._schemas > "
        "docs/cli-json.md"
    )


@pytest.mark.parametrize("command", sorted(SCHEMAS))
def test_every_schema_is_a_valid_schema(command: str) -> None:
    """Each documented schema is itself a valid draft 2020-12 JSON Schema."""
    jsonschema.Draft202012Validator.check_schema(schema(command))


def test_outputs_match_their_schemas(cli_workspace: Run, tmp_path: Path) -> None:
    """Real --format json output of each reporting command validates against its schema."""
    people = tmp_path / "people.csv"
    ids = [resident_id(i) for i in range(50)]
    pd.DataFrame({"pid": ids, "district": ["east", "west"] * 25}).to_csv(people, index=False)
    assert cli_workspace("budget", "set", "people", "--epsilon", "3")[0] == 0
    code, token, _ = cli_workspace(
        "token", "issue", "--audience", "civil-affairs", "--purpose", "subsidy-eligibility",
        "--category", "income",
    )  # fmt: skip
    assert code == 0
    dp = ["dp", "query", str(people), "--unit", "pid", "--dataset", "people", "--count"]
    runs = {
        "audit verify": ["audit", "verify"],
        "budget show": ["budget", "show"],
        "consent check": ["consent", "check", ids[0], "--recipient", "hrss", "--purpose",
                          "subsidy-eligibility", "--category", "income"],
        "consent statutory-bases": ["consent", "statutory-bases", "--recipient", "hrss",
                                    "--purpose", "subsidy-eligibility"],
        "dp query": [*dp, "--by", "district", "--key", "east", "--key", "west", "--epsilon", "1"],
        "dp query --preview": [*dp, "--epsilon", "1", "--preview"],
        "keys list": ["keys", "list"],
        "pseudonymise": ["pseudonymise", str(people), "-o", str(tmp_path / "o.parquet"),
                         "--column", "pid", "--quiet"],
        "token inspect": ["token", "inspect", token.strip()],
        "token verify": ["token", "verify", token.strip(), "--purpose", "subsidy-eligibility"],
        "vocab list": ["vocab", "list"],
    }  # fmt: skip
    assert set(runs) | {"consent import"} == set(SCHEMAS)
    for command, args in runs.items():
        code, out, err = cli_workspace(*args, "--format", "json")
        assert code in (0, 1), (command, err)
        jsonschema.validate(json.loads(out), schema(command))
    forms = tmp_path / "forms.csv"
    pd.DataFrame(
        [
            {
                "subject": ids[1],
                "recipient": "hrss",
                "purposes": "subsidy-eligibility",
                "categories": "income",
                "granted_at": "2026-01-01T00:00:00+00:00",
            }
        ]
    ).to_csv(forms, index=False)
    code, out, err = cli_workspace("consent", "import", str(forms), "--format", "json")
    assert code == 0, err
    jsonschema.validate(json.loads(out), schema("consent import"))
