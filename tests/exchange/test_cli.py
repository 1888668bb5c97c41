"""The sharing workflow end to end between two workspaces through the CLI, on both backends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from govshare._clock import SystemClock
from tests.conftest import RUN_ID, Run, Target
from tests.exchange.conftest import CASE, PRINCIPAL, PURPOSE, item_fields

NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)


@pytest.fixture
def run(cli_run: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI with the system clock fixed on a working day of 2026, so deadlines are reproducible."""
    monkeypatch.setattr(SystemClock, "now", lambda self: NOW)
    return cli_run


@pytest.fixture
def civil_url(target: Target) -> Iterator[str]:
    """The provider's store URL: a SQLite file, or a fresh PostgreSQL schema named in the URL."""
    if target.backend == "sqlite":
        yield "sqlite:///civil.db"
        return
    schema = f"gs_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(target.url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{target.url}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def test_catalogue_request_decision_agreement_flow(
    run: Run, civil_url: str, tmp_path: Path
) -> None:
    """Publish, export, import, submit, receive, decide, import, countersign, token, suspend, ODRL."""
    hrss, civil = "sqlite:///hrss.db", civil_url
    assert run("init", "--db", civil, "--department", "civil-affairs")[0] == 0
    assert run("init", "--db", hrss, "--department", "hrss")[0] == 0
    assert run("keys", "export-public", "--db", civil, "-o", "civil-keys.json")[0] == 0
    assert run("keys", "export-public", "--db", hrss, "-o", "hrss-keys.json")[0] == 0
    assert run("keys", "trust", "--db", civil, "hrss-keys.json")[0] == 0
    assert run("keys", "trust", "--db", hrss, "civil-keys.json")[0] == 0

    (tmp_path / "item.yaml").write_text(yaml.safe_dump(item_fields(), allow_unicode=True), "utf-8")
    code, out, err = run("catalogue", "publish", "--db", civil, "item.yaml")
    assert code == 0, err
    assert json.loads(out)["version"] == 1
    code, out, _ = run("catalogue", "list", "--db", civil)
    assert "low-income-households\tv1\tconditional\t城乡低保家庭" in out
    assert run("catalogue", "export", "--db", civil, "-o", "catalogue.json")[0] == 0
    code, out, _ = run("catalogue", "import", "--db", hrss, "catalogue.json")
    assert (code, out.strip()) == (0, "imported 1 new item version(s): low-income-households@1")
    code, out, _ = run(
        "catalogue", "show", "--db", hrss, "low-income-households", "--provider", "civil-affairs"
    )
    assert json.loads(out)["description_zh"] == item_fields()["description_zh"]

    code, _, err = run("request", "submit", "--db", hrss, "--item", "low-income-households",
                       "--column", "id_number", "--column", "income", "--purpose", PURPOSE,
                       "--legal-basis", "legal-obligation", "--duty-basis", "《社会救助暂行办法》第十一条",
                       "--use-type", "administrative-basis", "--justification", "核对家庭收入",
                       "--principal", PRINCIPAL, "--case-ref", CASE,
                       "--valid-until", "2026-12-31T00:00:00+08:00", "-o", "request.json")  # fmt: skip
    assert code == 0, err
    code, out, err = run("request", "receive", "--db", civil, "request.json")
    assert code == 0, err
    received = json.loads(out)
    assert (received["status"], received["decide_by"]) == ("pending", "2026-03-16T16:00:00Z")
    request_id = received["request"]["request_id"]
    code, out, _ = run("request", "list", "--db", civil)
    assert f"{request_id}\tprovider\tpending\thrss->civil-affairs" in out
    code, _, err = run("request", "decide", "--db", civil, request_id, "--refuse")
    assert (code, "InputError" in err) == (2, True)
    code, _, err = run("request", "decide", "--db", civil, request_id, "--approve",
                       "--max-releases", "5", "--condition", "每月核对", "-o", "decision.json")  # fmt: skip
    assert code == 0, err
    code, out, _ = run("request", "import-decision", "--db", hrss, "decision.json")
    assert code == 0
    agreement = json.loads(out)["decision"]["agreement"]["agreement_id"]
    code, _, err = run("request", "import-decision", "--db", hrss, "decision.json")
    assert code == 1
    assert err.startswith("error: DocumentReplayed:")

    code, out, _ = run("agreement", "list", "--db", hrss)
    assert f"{agreement}\trequester\tpending" in out
    assert (
        run("agreement", "countersign", "--db", hrss, agreement, "-o", "countersigned.json")[0] == 0
    )
    code, out, _ = run("agreement", "import-countersignature", "--db", civil, "countersigned.json")
    assert (code, out.strip()) == (0, f"agreement {agreement} is active")

    code, token, err = run("token", "issue", "--db", hrss, "--audience", "civil-affairs",
                           "--purpose", PURPOSE, "--category", "income", "--agreement", agreement,
                           "--case-ref", CASE, "--principal", PRINCIPAL)  # fmt: skip
    assert code == 0, err
    verify = ("token", "verify", "--db", civil, "-", "--purpose", PURPOSE, "--agreement", agreement)
    code, out, _ = run(*verify, input=token)
    assert code == 0
    assert json.loads(out)["authorization_details"][0]["agreement"] == agreement
    code, out, _ = run("agreement", "suspend", "--db", civil, agreement, "--reason", "核查")
    assert (code, out.strip()) == (0, f"agreement {agreement} is suspended")
    code, _, err = run(*verify, input=token)
    assert code == 1
    assert err.startswith("refused: AgreementInactive:")
    assert run("agreement", "resume", "--db", civil, agreement)[0] == 0
    assert run(*verify, input=token)[0] == 0

    code, out, _ = run("agreement", "export-odrl", "--db", civil, agreement)
    assert json.loads(out)["type"] == "Agreement"
    code, out, _ = run("agreement", "show", "--db", civil, agreement)
    assert json.loads(out)["terms"]["limits"]["max_releases"] == 5
    code, out, _ = run("agreement", "terminate", "--db", hrss, agreement, "--reason", "结案")
    assert (code, out.strip()) == (0, f"agreement {agreement} is terminated")
    code, out, _ = run("request", "show", "--db", civil, request_id)
    assert json.loads(out)["status"] == "approved"
    assert run("audit", "verify", "--db", civil)[0] == 0


def test_overdue_and_bad_input_exit_codes(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Bad YAML and unknown ids exit 2 with one line; --overdue lists late requests only."""
    assert run("init", "--department", "civil-affairs")[0] == 0
    (tmp_path / "bad.yaml").write_text("item_id: [unclosed", "utf-8")
    code, _, err = run("catalogue", "publish", "bad.yaml")
    assert (code, err.strip()) == (2, "error: InputError: bad.yaml is not valid YAML")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", "utf-8")
    assert run("catalogue", "publish", "list.yaml")[0] == 2
    (tmp_path / "not-shared.yaml").write_text(
        yaml.safe_dump(item_fields(share="not-shared", conditions=[]), allow_unicode=True), "utf-8"
    )
    code, _, err = run("catalogue", "publish", "not-shared.yaml")
    assert code == 2
    assert "legal basis" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("request", "decide", "rq-" + "0" * 32, "--approve")
    assert (code, err.split(":")[1].strip()) == (2, "RecordNotFound")
    code, _, err = run("agreement", "suspend", "ag-" + "0" * 32, "--reason", "x")
    assert code == 2
    code, out, _ = run("request", "list", "--overdue")
    assert (code, out) == (0, "")
    code, _, err = run("catalogue", "import", "-", input="{}")
    assert code == 1
    assert err.startswith("error: MalformedDocument:")
