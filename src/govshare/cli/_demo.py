"""The end-to-end demo behind ``govshare demo``: one data request, from catalogue to audit.

Two departments on the embedded SQLite store: civil affairs (民政局, the provider; the store the
command opens) and human resources & social security (人社局, ``hrss``; a store beside it). The
residents are synthetic, made at run time with Faker's ``zh_CN`` locale and valid GB 11643 ID
numbers; most consent, some withdraw, some are minors whose guardian consented (or not), some
are covered by a legal obligation instead of consent. The story: catalogue → request → decision
→ agreement → token → share → receive → a DP statistic → audit verification and a cosigned
checkpoint → a summary table. Everything it writes is in one folder, which it names at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govshare import Workspace
from govshare.crypto import ScryptParams
from govshare.identifiers import check_character

if TYPE_CHECKING:
    import pandas as pd

    from govshare.exchange import ReleaseManifest

__all__ = ["DISTRICTS", "FILES_FOLDER", "demo_residents", "run_demo"]

FILES_FOLDER = "govshare-demo-files"
DISTRICTS = {"东城区": "110101", "西城区": "110102", "朝阳区": "110105", "海淀区": "110108"}
"""Beijing districts and their GB/T 2260 area codes (the first six digits of an ID number)."""
PURPOSE = "subsidy-eligibility"
CATEGORIES = ["address", "identity", "income"]
RESIDENTS = 120
_CASE = "人社补〔2026〕42号"
_PRINCIPAL = "zhang.wei@hrss"


@dataclass
class Story:
    """What each step found, for the closing table."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, step: str, result: str) -> None:
        self.rows.append((step, result))


def demo_residents(
    n: int = RESIDENTS, *, seed: int = 14, today: date | None = None
) -> pd.DataFrame:
    """*n* synthetic residents (Faker ``zh_CN`` names, valid ID numbers, district, monthly
    income), one in ten a minor under 14, plus a malformed and a missing ID row. The same
    *seed* gives the same table."""
    import numpy as np
    import pandas as pd
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    today = today or datetime.now(UTC).date()
    districts = list(DISTRICTS)
    rows = []
    for i in range(n):
        minor = i % 10 == 9
        born = fake.date_of_birth(minimum_age=2 if minor else 20, maximum_age=12 if minor else 85)
        district = districts[i % len(districts)]
        body = f"{DISTRICTS[district]}{born:%Y%m%d}{i % 1000:03d}"
        income = 0.0 if minor else round(float(rng.lognormal(8.2, 0.5)), 2)
        rows.append((body + check_character(body), fake.name(), district, income))
    frame = pd.DataFrame(rows, columns=["id_number", "name", "district", "income"])
    bad = pd.DataFrame(
        [("11010119900307123", fake.name(), districts[0], 3000.0), (None, fake.name(), districts[1], 2500.0)],
        columns=frame.columns,
    )  # fmt: skip
    return pd.concat([frame, bad], ignore_index=True).astype({"id_number": "str"})


def run_demo(ws: Workspace, passphrase: str, scrypt: ScryptParams | None = None) -> None:
    """Walk one data request between two departments through the library, printing each step."""
    run = ws.audit.size()  # distinguishes this run's artefacts from earlier runs
    database = ws.store.engine.url.database
    here = Path(database).parent if database and ws.store.backend == "sqlite" else Path()
    files = (here / FILES_FOLDER).resolve()
    files.mkdir(exist_ok=True)
    story = Story()
    click.echo(f"civil affairs (provider): department {ws.department}, store {ws.store.url}")
    with Workspace.open(
        f"sqlite:///{here / 'govshare-demo-hrss.db'}",
        department="hrss",
        passphrase=passphrase,
        scrypt=scrypt,
    ) as hrss:
        click.echo(f"human resources & social security (requester): store {hrss.store.url}")
        ws.tokens.trust(hrss.keys.export_public())
        hrss.tokens.trust(ws.keys.export_public())
        residents = demo_residents(today=ws.clock.now().date())
        residents.to_csv(files / "residents.csv", index=False)
        _consents(ws, residents, story)
        agreement = _agreement(ws, hrss, story)
        token = hrss.tokens.issue(
            audience=ws.department, purpose=PURPOSE, categories=CATEGORIES,
            ttl=timedelta(hours=1), max_uses=1, agreement=agreement, case_ref=_CASE,
            principal=_PRINCIPAL,
        )  # fmt: skip
        click.echo("token: hrss issued a single-use PASETO v4.public token bound to the agreement")
        release = ws.share(residents, agreement=agreement, token=token, subject_column="id_number")
        folder = release.save(files / f"release-{run}")
        manifest = release.manifest_unverified
        _report_share(manifest, folder, story)
        from govshare.exchange import Release

        frame, received = hrss.receive(Release.load(folder))
        click.echo(
            f"receive: hrss verified the manifest signature, the content hash, the checkpoint and "
            f"the agreement; {len(frame)} rows accepted"
        )
        story.add("receive (hrss)", f"{len(frame)} rows verified and recorded")
        _dp(hrss, frame, run, story)
        _audit(ws, hrss, files, story)
        _summary_file(files, manifest, received == manifest)
    _table(story, files)


def _consents(ws: Workspace, residents: pd.DataFrame, story: Story) -> None:
    """Most adults consent, every eighth withdraws, every seventh is covered by a legal
    obligation; minors' guardians consent for all but one minor in three."""
    now = ws.clock.now()
    grant: dict[str, Any] = {
        "recipient": "hrss", "purposes": [PURPOSE], "categories": CATEGORIES,
        "expires_at": now + timedelta(days=365),
    }  # fmt: skip
    ids = [str(v) for v in residents["id_number"].iloc[:RESIDENTS]]
    adults = [v for i, v in enumerate(ids) if i % 10 != 9]
    tally = {
        "consent": 0,
        "withdrawn": 0,
        "legal-obligation": 0,
        "minors with guardian consent": 0,
        "no record": 0,
    }
    for i, subject in enumerate(ids):
        if i % 10 == 9:  # a minor
            if i % 30 == 29:
                tally["no record"] += 1
                continue
            ws.consents.grant(subject, minor=True, guardian=adults[i // 10], **grant)
            tally["minors with guardian consent"] += 1
        elif i % 7 == 3:
            ws.consents.grant(subject, legal_basis="legal-obligation", **grant)
            tally["legal-obligation"] += 1
        elif i % 8 == 5:
            ws.consents.withdraw(ws.consents.grant(subject, **grant).record_id)
            tally["withdrawn"] += 1
        elif i % 11 == 6:
            tally["no record"] += 1
        else:
            ws.consents.grant(subject, **grant)
            tally["consent"] += 1
    text = ", ".join(f"{k} {v}" for k, v in tally.items())
    click.echo(f"consents at civil affairs for hrss: {text}")
    story.add("consent registry", text)


def _agreement(ws: Workspace, hrss: Workspace, story: Story) -> str:
    """Catalogue → request → decision → agreement, countersigned."""
    item = ws.catalogue.publish(_item())
    hrss.catalogue.import_catalogue(ws.catalogue.export())
    click.echo(
        f"catalogue: civil affairs published {item.item_id} v{item.version}; hrss imported it"
    )
    request = hrss.requests.submit(
        item=item.item_id, columns=["id_number", "name", "district", "income"], purpose=PURPOSE,
        legal_basis="legal-obligation", duty_basis="《社会救助暂行办法》第十一条：审核申请人家庭收入",
        use_type="administrative-basis", justification="核对临时救助申请人的家庭收入状况",
        principals=[_PRINCIPAL], case_ref=_CASE,
        valid_until=ws.clock.now() + timedelta(days=180),
    )  # fmt: skip
    received = ws.requests.receive(request)
    click.echo(
        f"request: hrss asked for 4 columns; decide by {received.decide_by:%Y-%m-%d %H:%M} UTC"
    )
    decision = ws.requests.decide(
        received.id, approve=True, treatments={"name": "drop"}, limits={"max_releases": 5}
    )
    record = hrss.requests.import_decision(decision)
    terms = record.decision.agreement if record.decision is not None else None
    if terms is None:
        raise AssertionError("the approval carries no agreement")
    agreement = terms.agreement_id
    ws.agreements.import_countersignature(hrss.agreements.countersign(agreement))
    click.echo(
        f"agreement {agreement}: approved (name dropped, id pseudonymised), countersigned, active"
    )
    story.add("catalogue → request → agreement", f"{agreement}, active on both sides")
    return agreement


def _item() -> dict[str, Any]:
    return {
        "item_id": "resident-income",
        "source_department": "civil-affairs",
        "title_zh": "居民家庭收入",
        "title_en": "Household income of residents",
        "description_zh": "城乡居民家庭月收入及所属区县",
        "description_en": "Monthly household income of residents, by district",
        "columns": [
            {"name": "id_number", "title_zh": "公民身份号码", "title_en": "Resident ID",
             "category": "identity", "identifier": True, "kind": "resident_id"},
            {"name": "name", "title_zh": "姓名", "title_en": "Name", "category": "identity",
             "identifier": True, "kind": "name"},
            {"name": "district", "title_zh": "所属区县", "title_en": "District",
             "category": "address"},
            {"name": "income", "title_zh": "家庭月收入", "title_en": "Monthly income",
             "category": "income"},
        ],
        "share": "conditional",
        "conditions": ["仅限补贴资格审核使用，不得向第三方提供"],
        "grade": "important",
        "update_frequency": "monthly",
        "share_mode": "file",
    }  # fmt: skip


def _report_share(manifest: ReleaseManifest, folder: Path, story: Story) -> None:
    excluded = ", ".join(f"{k} {v}" for k, v in manifest.excluded.items())
    columns = ", ".join(
        f"{c.name} ({'pseudonymised ' + c.scheme if c.scheme else 'as held'})"
        for c in manifest.columns
    )
    click.echo(
        f"share: {manifest.rows_kept} of {manifest.rows_in} rows released; excluded: {excluded}"
    )
    click.echo(f"  columns: {columns}; {manifest.columns_dropped} not released")
    click.echo(f"  signed manifest and Parquet data in {folder.name}/ (sha256 "
               f"{manifest.content_sha256[:16]}…)")  # fmt: skip
    story.add("share (civil affairs)", f"{manifest.rows_kept} of {manifest.rows_in} rows")
    story.add("excluded, by reason", excluded)
    story.add("columns released", columns)


def _dp(hrss: Workspace, frame: pd.DataFrame, run: int, story: Story) -> None:
    """hrss counts the released rows by district with DP, under its own budget."""
    dataset = f"demo-release-{run}"
    hrss.budgets.set(dataset, epsilon=1.0)
    with hrss.dp(frame, privacy_unit="id_number", dataset=dataset) as q:
        counts = q.count(by="district", keys=list(DISTRICTS), epsilon=0.5)
    click.echo("DP count of released residents by district (epsilon 0.5, 95% interval):")
    for key, row in counts.iterrows():
        click.echo(f"  {key}: {row['value']:.0f}  [{row['ci_low']:.0f}, {row['ci_high']:.0f}]")
    status = hrss.budgets.get(dataset)
    left = status.epsilon_cap - status.epsilon_spent
    click.echo(f"budget {dataset}: epsilon {status.epsilon_spent:g} spent, {left:g} left")
    first = counts.iloc[0]
    story.add(
        "DP statistic (hrss)",
        f"{counts.index[0]} {first['value']:.0f} [{first['ci_low']:.0f}, {first['ci_high']:.0f}]",
    )
    story.add("privacy budget left", f"epsilon {left:g} of {status.epsilon_cap:g}")


def _audit(ws: Workspace, hrss: Workspace, files: Path, story: Story) -> None:
    """Civil affairs signs a checkpoint, hrss cosigns it (with a consistency proof from the
    last one it witnessed), and both logs verify."""
    checkpoint = ws.audit.checkpoint()
    witnessed = [
        int(str(r.event.data["size"]))
        for r in hrss.audit.find(["audit.cosigned"])
        if r.event.data.get("origin") == ws.origin
    ]
    proof = ws.audit.consistency_proof(max(witnessed), checkpoint.size) if witnessed else None
    cosigned = hrss.audit.cosign(checkpoint, log_key=ws.audit.verify_key, proof=proof)
    (files / "checkpoint-civil-affairs.txt").write_text(cosigned.text, encoding="utf-8")
    mine, theirs = ws.audit.verify(since=checkpoint), hrss.audit.verify()
    click.echo(
        f"audit: civil affairs' log verified ({mine.size} entries); hrss cosigned its checkpoint "
        f"({len(cosigned.note.signatures)} signatures); hrss's log verified ({theirs.size} entries)"
    )
    click.echo(f"log verified: {mine.size} entries, {mine.checkpoints_checked} checkpoint(s)")
    story.add("audit logs", f"civil affairs {mine.size} entries, hrss {theirs.size}, verified")
    story.add("checkpoint", f"size {checkpoint.size}, cosigned by hrss")


def _summary_file(files: Path, manifest: ReleaseManifest, verified: bool) -> None:
    summary = {"manifest": manifest.model_dump(mode="json"), "received_verified": verified}
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    (files / "summary.json").write_text(text, encoding="utf-8")


def _table(story: Story, files: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="govshare demo: one lawful, minimal, verifiable release")
    table.add_column("step")
    table.add_column("result")
    for step, result in story.rows:
        table.add_row(step, result)
    Console(width=110).print(table)
    click.echo(
        f"files (residents.csv, the release, the cosigned checkpoint, summary.json): {files}"
    )
