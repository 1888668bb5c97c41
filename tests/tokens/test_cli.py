"""The token and keys CLI end to end: export, trust, issue, verify, inspect, revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run


@pytest.fixture
def run(cli_run: Run) -> Run:
    """Invoke the CLI in a temporary folder with a passphrase set; returns (code, out, err)."""
    return cli_run


def test_cross_department_token_flow(run: Run, tmp_path: Path) -> None:
    """hrss issues, civil-affairs trusts hrss's keys, verifies, inspects, revokes, then refuses."""
    hrss, civil = "sqlite:///hrss.db", "sqlite:///civil.db"
    assert run("init", "--db", hrss, "--department", "hrss")[0] == 0
    assert run("init", "--db", civil, "--department", "civil-affairs")[0] == 0
    code, out, _ = run("keys", "export-public", "--db", hrss, "-o", "hrss-keys.json")
    assert code == 0
    assert json.loads(out)["department"] == "hrss"
    code, out, _ = run("keys", "trust", "--db", civil, "hrss-keys.json")
    assert code == 0, out
    assert out.startswith("trusted 2 active key(s): document-signing-v1-")
    assert ", token-signing-v1-" in out
    code, out, _ = run("token", "issue", "--db", hrss, "--audience", "civil-affairs",
                       "--purpose", "subsidy-eligibility", "--category", "income",
                       "--max-uses", "2")  # fmt: skip
    assert code == 0, out
    token = out.strip()
    assert token.startswith("v4.public.")
    code, out, _ = run("token", "verify", "--db", civil, "-", "--purpose",
                       "subsidy-eligibility", "--category", "income", input=token + "\n")  # fmt: skip
    assert code == 0, out
    grant = json.loads(out)
    assert (grant["uses"], grant["iss"], grant["aud"]) == (1, "hrss", "civil-affairs")
    code, out, _ = run("token", "inspect", "--db", civil, token)
    assert code == 0
    assert json.loads(out)["active"] is True
    code, out, _ = run("token", "revoke", "--db", civil, grant["jti"])
    assert (code, out.strip()) == (0, f"revoked {grant['jti']}")
    code, _, err = run("token", "verify", "--db", civil, token, "--purpose", "subsidy-eligibility")
    assert code == 1
    assert err.startswith("refused: TokenRevoked:")
    assert json.loads(run("token", "inspect", "--db", civil, token)[1]) == {"active": False}


def test_verify_refusals_exit_1_and_bad_input_exits_2(run: Run) -> None:
    """A refused token exits 1 naming the reason; a malformed argument exits 2."""
    assert run("init", "--department", "civil-affairs")[0] == 0
    code, _, err = run("token", "verify", "v2.public.abc", "--purpose", "x")
    assert code == 1
    assert err.startswith("refused: MalformedToken:")
    code, _, err = run("token", "revoke", "not-a-jti")
    assert code == 2
    assert "InputError" in err
    code, _, err = run("token", "issue", "--audience", "hrss", "--purpose", "p",
                       "--category", "c", "--consent-hash", "zz")  # fmt: skip
    assert code == 2
