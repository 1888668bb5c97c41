"""``govshare dp query`` and ``govshare budget show | set`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import Run


@pytest.fixture
def run(cli_workspace: Run, tmp_path: Path) -> Run:
    """Invoke the CLI in a temporary folder holding an initialised workspace and a CSV."""
    rng = np.random.default_rng(1)
    pd.DataFrame(
        {
            "pid": rng.integers(0, 300, 1000),
            "district": rng.choice(["east", "west"], 1000),
            "income": rng.uniform(0, 100, 1000),
        }
    ).to_csv(tmp_path / "people.csv", index=False)
    return cli_workspace


def test_budget_set_query_and_show(run: Run) -> None:
    """set a cap, release a grouped count and a mean, then show the spending."""
    code, out, _ = run("budget", "set", "people", "--epsilon", "1", "--delta", "1e-6")
    assert code == 0, out
    code, out, _ = run(
        "dp",
        "query",
        "people.csv",
        "--unit",
        "pid",
        "--dataset",
        "people",
        "--count",
        "--by",
        "district",
        "--keys",
        "east,west",
        "--epsilon",
        "0.5",
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "district,value,ci_low,ci_high,raw_value"
    assert [line.split(",")[0] for line in lines[1:]] == ["east", "west"]
    code, out, _ = run(
        "dp",
        "query",
        "people.csv",
        "--unit",
        "pid",
        "--dataset",
        "people",
        "--mean",
        "income",
        "--bounds",
        "0",
        "100",
        "--epsilon",
        "0.25",
    )
    assert code == 0, out
    code, out, _ = run("budget", "show", "--json")
    assert code == 0
    status = json.loads(out.splitlines()[0])
    assert status["epsilon_spent"] == 0.75


def test_overspending_and_bad_input_exit_2_with_one_line(run: Run) -> None:
    """A refused charge and a missing statistic print one error line and exit 2."""
    run("budget", "set", "people", "--epsilon", "0.1")
    code, out, err = run(
        "dp",
        "query",
        "people.csv",
        "--unit",
        "pid",
        "--dataset",
        "people",
        "--count",
        "--epsilon",
        "0.5",
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: BudgetExceeded:")
    code, _, err = run(
        "dp", "query", "people.csv", "--unit", "pid", "--dataset", "people", "--epsilon", "0.5"
    )
    assert code == 2
    assert "exactly one of" in err
    code, _, err = run(
        "dp",
        "query",
        "people.csv",
        "--unit",
        "pid",
        "--dataset",
        "people",
        "--sum",
        "income",
        "--epsilon",
        "0.05",
    )
    assert code == 2
    assert "--bounds" in err
    code, out, _ = run("budget", "show", "--format", "json")
    assert [(s["dataset"], s["epsilon_spent"], s["epsilon_cap"]) for s in json.loads(out)] == [
        ("people", 0.0, 0.1)
    ]


def test_query_on_behalf_of_a_token_needs_its_purpose(run: Run) -> None:
    """--token without --purpose is refused with one line (exit 2) before anything is charged."""
    run("budget", "set", "people", "--epsilon", "1")
    code, out, err = run(
        "dp",
        "query",
        "people.csv",
        "--unit",
        "pid",
        "--dataset",
        "people",
        "--count",
        "--epsilon",
        "0.5",
        "--token",
        "v4.public.not-a-token",
    )
    assert code == 2
    assert out == ""
    assert "both token= and purpose=" in err
    code, out, _ = run("budget", "show")
    assert out.split()[:4] == ["dataset", "requester", "epsilon", "spent/cap"]
    assert ["people", "*", "0/1", "0/0"] in [line.split() for line in out.splitlines()]
