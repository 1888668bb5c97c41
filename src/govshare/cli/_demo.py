"""The end-to-end demo behind ``govshare demo``: every capability, on synthetic residents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from govshare import Workspace
from govshare.crypto import ScryptParams
from govshare.identifiers import check_character

__all__ = ["run_demo"]

_DISTRICTS = ("dongcheng", "xicheng", "chaoyang", "haidian")


def run_demo(ws: Workspace, passphrase: str, scrypt: ScryptParams | None = None) -> None:
    """Walk one data request through the library, printing what each step decided."""
    before = ws.audit.size()
    run = before  # distinguishes this run's dataset and records from earlier runs
    click.echo(f"workspace: department {ws.department}, store {ws.store.url}")
    first = ws.audit.record("demo.dataset-registered", {"dataset": "residents", "rows": 40})
    residents = _residents()
    _pseudonyms(ws, residents)
    allowed = _consent(ws, residents)
    _token(ws, passphrase, scrypt)
    _dp(ws, allowed, run)
    cp = ws.audit.checkpoint()
    click.echo(
        f"audit log: {before} -> {cp.size} entries; signed checkpoint (C2SP tlog-checkpoint):"
    )
    click.echo(cp.text, nl=False)
    proof = ws.audit.inclusion_proof(first, cp.size)
    proof.verify()
    if proof.root != cp.root_hash:
        raise AssertionError("the proof's root is not the checkpoint's root")
    click.echo(f"inclusion proof for entry {first}: {len(proof.proof)} hashes, verified")
    report = ws.audit.verify(since=cp)
    click.echo(f"log verified: {report.size} entries, {report.checkpoints_checked} checkpoint(s)")


def _residents() -> object:
    """40 synthetic residents (valid GB 11643 numbers) and one malformed number."""
    import pandas as pd

    ids = []
    for i in range(40):
        body = f"1101{1 + i % 8:02d}{1950 + i:04d}{1 + i % 12:02d}{1 + i % 28:02d}{100 + i:03d}"
        ids.append(body + check_character(body))
    ids.append("11010119900307123")  # one digit short: reported, never pseudonymised
    return pd.DataFrame(
        {
            "id_number": pd.Series(ids, dtype="str"),
            "district": [_DISTRICTS[i % 4] for i in range(41)],
            "income": [1800.0 + 97.0 * (i % 25) for i in range(41)],
        }
    )


def _pseudonyms(ws: Workspace, residents: object) -> None:
    import pandas as pd

    assert isinstance(residents, pd.DataFrame)
    ps = ws.pseudonymiser(domain="hrss")
    out, report = ps.pseudonymise_with_report(residents["id_number"])
    click.echo(f"pseudonyms for hrss ({ps.scheme}): {report.summary()}")
    click.echo(f"  e.g. {out.iloc[0]}  (scheme and key version in the prefix)")


def _consent(ws: Workspace, residents: object) -> object:
    import pandas as pd

    assert isinstance(residents, pd.DataFrame)
    for subject in residents["id_number"].iloc[:30:2]:  # half of the first 30 residents consent
        ws.consents.grant(
            str(subject),
            recipient="hrss",
            purposes=["subsidy-eligibility"],
            categories=["income"],
            expires_at=ws.clock.now() + timedelta(days=365),
        )
    result = ws.consents.filter(
        residents,
        subject_column="id_number",
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
    )
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(result.report.by_reason.items()))
    click.echo(
        f"consent filter: {result.report.kept} of {result.report.rows} rows may go ({reasons})"
    )
    return result.frame


def _token(ws: Workspace, passphrase: str, scrypt: ScryptParams | None) -> None:
    """A second department (hrss) requests data with a purpose-bound token."""
    database = ws.store.engine.url.database
    folder = Path(database).parent if database and ws.store.backend == "sqlite" else Path()
    with Workspace.open(
        f"sqlite:///{folder / 'govshare-demo-hrss.db'}",
        department="hrss",
        passphrase=passphrase,
        scrypt=scrypt,
    ) as hrss:
        token = hrss.tokens.issue(
            audience=ws.department,
            purpose="subsidy-eligibility",
            categories=["income"],
            ttl=timedelta(minutes=10),
            max_uses=1,
        )
        keys = hrss.keys.export_public()
    ws.tokens.trust(keys)
    grant = ws.tokens.verify(
        token, audience=ws.department, purpose="subsidy-eligibility", categories=["income"]
    )
    click.echo(f"token from hrss (PASETO v4.public): accepted, use {grant.uses} of 1")
    try:
        ws.tokens.verify(token, audience=ws.department, purpose="subsidy-eligibility")
    except Exception as exc:
        click.echo(f"  replayed: refused ({type(exc).__name__})")


def _dp(ws: Workspace, allowed: object, run: int) -> None:
    import pandas as pd

    assert isinstance(allowed, pd.DataFrame)
    dataset = f"demo-income-{run}"
    ws.budgets.set(dataset, epsilon=1.0)
    with ws.dp(allowed, privacy_unit="id_number", dataset=dataset) as q:
        counts = q.count(by="district", keys=list(_DISTRICTS), epsilon=0.5)
        mean = q.mean("income", bounds=(0.0, 5000.0), epsilon=0.5)
    click.echo("differentially private counts by district (epsilon 0.5, 95% intervals):")
    for key, row in counts.iterrows():
        click.echo(f"  {key}: {row['value']:.0f}  [{row['ci_low']:.0f}, {row['ci_high']:.0f}]")
    value = float(mean["value"].iloc[0])
    click.echo(f"differentially private mean income (epsilon 0.5): {value:.0f}")
    status = ws.budgets.get(dataset)
    click.echo(
        f"budget {dataset}: epsilon {status.epsilon_spent:g} of {status.epsilon_cap:g} spent "
        "(one more release would raise BudgetExceeded)"
    )
