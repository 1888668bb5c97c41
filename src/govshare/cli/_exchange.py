"""``govshare catalogue | request | agreement …``: the sharing workflow between departments.

Every document another department sends is a file (or ``-`` for standard input); every document
for another department is written with ``-o FILE`` (or printed). A refused document exits 1.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click
import yaml

from govshare.cli._common import db_option, open_workspace
from govshare.exceptions import InputError

__all__ = ["agreement", "catalogue", "request"]

_output = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the signed document here (default: print it).",
)
_document = click.argument("document", type=click.File("r", encoding="utf-8"))


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _send(doc: Any, output: Path | None) -> None:
    """Write a signed document to *output*, or print it."""
    text = doc.to_json()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {doc.type} document {doc.id} to {output}", err=True)


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what} is not an ISO 8601 date-time") from None


def _yaml(file: TextIO) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file)
    except yaml.YAMLError:
        raise InputError(f"{file.name} is not valid YAML") from None
    if not isinstance(data, dict):
        raise InputError(f"{file.name} does not hold a YAML mapping of item fields")
    return data


# -- catalogue ---------------------------------------------------------------------------------


@click.group()
def catalogue() -> None:
    """Publish this department's shared-data catalogue, or import another department's."""


@catalogue.command()
@db_option
@click.argument("item_file", metavar="ITEM.yaml", type=click.File("r", encoding="utf-8"))
def publish(url: str, item_file: TextIO) -> None:
    """Publish the catalogue item in ITEM.yaml as its next version; prints the stored item."""
    with open_workspace(url) as ws:
        item = ws.catalogue.publish(_yaml(item_file))
    _echo(item.model_dump(mode="json"))


@catalogue.command("list")
@db_option
@click.option("--provider", help="Another department's imported items ('*': every department).")
def list_items(url: str, provider: str | None) -> None:
    """List the latest version of each catalogue item (default: this department's own)."""
    with open_workspace(url) as ws:
        items = ws.catalogue.list(provider=provider)
    for item in items:
        click.echo(
            f"{item.provider}\t{item.item_id}\tv{item.version}\t{item.share}\t{item.title_zh}"
        )


@catalogue.command()
@db_option
@click.argument("item_id")
@click.option("--version", type=click.IntRange(1), help="Default: the latest.")
@click.option("--provider", help="The providing department (default: this one).")
def show(url: str, item_id: str, version: int | None, provider: str | None) -> None:
    """Print catalogue item ITEM_ID as JSON."""
    with open_workspace(url) as ws:
        item = ws.catalogue.get(item_id, version, provider=provider)
    _echo(item.model_dump(mode="json"))


@catalogue.command()
@db_option
@_output
def export(url: str, output: Path | None) -> None:
    """Sign this department's current catalogue as a document for other departments."""
    with open_workspace(url) as ws:
        doc = ws.catalogue.export()
    _send(doc, output)


@catalogue.command("import")
@db_option
@_document
def import_(url: str, document: TextIO) -> None:
    """Verify and import another department's signed catalogue DOCUMENT ('-' = stdin)."""
    with open_workspace(url) as ws:
        items = ws.catalogue.import_catalogue(document.read())
    click.echo(
        f"imported {len(items)} new item version(s): "
        + (", ".join(f"{i.item_id}@{i.version}" for i in items) or "-")
    )


# -- requests ----------------------------------------------------------------------------------


@click.group()
def request() -> None:
    """Request another department's catalogue item, or receive and decide requests for yours."""


@request.command()
@db_option
@click.option("--item", required=True, help="The imported catalogue item id.")
@click.option("--provider", help="The providing department, if several publish the item.")
@click.option("--column", "columns", multiple=True, required=True, help="Repeatable.")
@click.option("--purpose", required=True, help="Purpose code (consent vocabulary).")
@click.option("--legal-basis", required=True, help="PIPL Art. 13 basis code.")
@click.option("--duty-basis", required=True, help="The statutory duty (law and article).")
@click.option(
    "--use-type",
    required=True,
    type=click.Choice(
        ["administrative-basis", "work-reference", "data-verification", "business-coordination"]
    ),
)
@click.option("--justification", required=True, help="Why the data is needed.")
@click.option("--principal", "principals", multiple=True, required=True, help="Repeatable.")
@click.option("--case-ref", required=True, help="This department's case or file reference.")
@click.option("--valid-until", required=True, help="ISO 8601 date-time with offset.")
@_output
def submit(
    url: str,
    item: str,
    provider: str | None,
    columns: tuple[str, ...],
    purpose: str,
    legal_basis: str,
    duty_basis: str,
    use_type: str,
    justification: str,
    principals: tuple[str, ...],
    case_ref: str,
    valid_until: str,
    output: Path | None,
) -> None:
    """Sign a request for an imported catalogue item, for its provider."""
    with open_workspace(url) as ws:
        doc = ws.requests.submit(
            item=item,
            provider=provider,
            columns=list(columns),
            purpose=purpose,
            legal_basis=legal_basis,
            duty_basis=duty_basis,
            use_type=use_type,  # type: ignore[arg-type]  # click.Choice checked it
            justification=justification,
            principals=list(principals),
            case_ref=case_ref,
            valid_until=_time(valid_until, "--valid-until"),  # type: ignore[arg-type]
        )
    _send(doc, output)


@request.command()
@db_option
@_document
@_output
def receive(url: str, document: TextIO, output: Path | None) -> None:
    """Verify and record a request DOCUMENT ('-' = stdin); prints it with its deadline.

    A request for an unconditional item is approved at once: -o writes its signed decision.
    """
    with open_workspace(url) as ws:
        record = ws.requests.receive(document.read())
        decision = ws.requests.decision_document(record.id) if record.decision else None
    _echo(record.model_dump(mode="json"))
    if decision is not None and output is not None:
        _send(decision, output)


@request.command()
@db_option
@click.argument("request_id")
@click.option("--approve/--refuse", required=True, help="The decision.")
@click.option("--reason", "reasons", multiple=True, help="Written reason (required to refuse).")
@click.option("--condition", "conditions", multiple=True, help="Condition of use; repeatable.")
@click.option("--column", "columns", multiple=True, help="Grant only these columns.")
@click.option("--drop", "drops", multiple=True, help="Identifier column to drop, not pseudonymise.")
@click.option(
    "--aggregate-only", "aggregates", multiple=True, help="Column for DP statistics only."
)
@click.option("--max-releases", type=click.IntRange(1))
@click.option("--max-rows", type=click.IntRange(1))
@click.option("--epsilon", type=click.FloatRange(0, 100, min_open=True), help="Total DP epsilon.")
@click.option("--retention-days", type=click.IntRange(1), default=365, show_default=True)
@click.option("--effective-from", help="ISO 8601 date-time with offset (default: now).")
@click.option("--expires-at", help="ISO 8601 date-time with offset (default: as requested).")
@click.option("--provider-principal", "provider_principals", multiple=True, help="Repeatable.")
@_output
def decide(
    url: str,
    request_id: str,
    approve: bool,
    reasons: tuple[str, ...],
    conditions: tuple[str, ...],
    columns: tuple[str, ...],
    drops: tuple[str, ...],
    aggregates: tuple[str, ...],
    max_releases: int | None,
    max_rows: int | None,
    epsilon: float | None,
    retention_days: int,
    effective_from: str | None,
    expires_at: str | None,
    provider_principals: tuple[str, ...],
    output: Path | None,
) -> None:
    """Approve or refuse received request REQUEST_ID; signs the decision for the requester."""
    treatments: dict[str, Any] = {c: "drop" for c in drops} | {
        c: "aggregate-only" for c in aggregates
    }
    limits = {"max_releases": max_releases, "max_rows": max_rows, "epsilon": epsilon}
    with open_workspace(url) as ws:
        doc = ws.requests.decide(
            request_id,
            approve=approve,
            reasons=list(reasons),
            conditions=list(conditions),
            columns=list(columns) or None,
            treatments=treatments,
            limits=limits,
            retention_days=retention_days,
            effective_from=_time(effective_from, "--effective-from"),
            expires_at=_time(expires_at, "--expires-at"),
            provider_principals=list(provider_principals),
        )
    _send(doc, output)


@request.command("import-decision")
@db_option
@_document
def import_decision(url: str, document: TextIO) -> None:
    """Verify and record the provider's decision DOCUMENT ('-' = stdin) on a request sent here."""
    with open_workspace(url) as ws:
        record = ws.requests.import_decision(document.read())
    _echo(record.model_dump(mode="json"))


@request.command("list")
@db_option
@click.option("--status", type=click.Choice(["pending", "approved", "refused"]))
@click.option("--overdue", is_flag=True, help="Only received requests pending past their deadline.")
def list_requests(url: str, status: str | None, overdue: bool) -> None:
    """List requests (sent and received), one per line."""
    with open_workspace(url) as ws:
        records = ws.requests.list(status=status, overdue=overdue)
    for r in records:
        due = r.decide_by.isoformat() if r.decide_by else "-"
        if r.deadline_provisional:
            due += " (provisional: the working-day calendar lacks a year)"
        click.echo(
            f"{r.id}\t{r.side}\t{r.status}\t{r.request.requester}->{r.request.provider}\t"
            f"{r.request.item_id}\tdue {due}"
        )


@request.command("show")
@db_option
@click.argument("request_id")
def show_request(url: str, request_id: str) -> None:
    """Print request REQUEST_ID (and its decision) as JSON."""
    with open_workspace(url) as ws:
        record = ws.requests.get(request_id)
    _echo(record.model_dump(mode="json"))


# -- agreements --------------------------------------------------------------------------------


@click.group()
def agreement() -> None:
    """Countersign, inspect, suspend, resume and terminate data-sharing agreements."""


@agreement.command("list")
@db_option
@click.option(
    "--status", type=click.Choice(["pending", "active", "suspended", "expired", "terminated"])
)
def list_agreements(url: str, status: str | None) -> None:
    """List the agreements this department is party to, with their status now."""
    with open_workspace(url) as ws:
        found = ws.agreements.list(status=status)  # type: ignore[arg-type]  # click.Choice
    for a in found:
        t = a.terms
        click.echo(
            f"{a.id}\t{a.side}\t{a.status}\t{t.provider}->{t.requester}\t{t.item_id}\t{t.purpose}"
        )


@agreement.command("show")
@db_option
@click.argument("agreement_id")
def show_agreement(url: str, agreement_id: str) -> None:
    """Print agreement AGREEMENT_ID (terms, status, counters) as JSON."""
    with open_workspace(url) as ws:
        found = ws.agreements.get(agreement_id)
    _echo(found.model_dump(mode="json"))


@agreement.command()
@db_option
@click.argument("agreement_id")
@_output
def countersign(url: str, agreement_id: str, output: Path | None) -> None:
    """Countersign AGREEMENT_ID as its requester; signs the countersignature for the provider."""
    with open_workspace(url) as ws:
        doc = ws.agreements.countersign(agreement_id)
    _send(doc, output)


@agreement.command("import-countersignature")
@db_option
@_document
def import_countersignature(url: str, document: TextIO) -> None:
    """Verify the requester's countersignature DOCUMENT ('-' = stdin); the agreement turns active."""
    with open_workspace(url) as ws:
        found = ws.agreements.import_countersignature(document.read())
    click.echo(f"agreement {found.id} is {found.status}")


@agreement.command()
@db_option
@click.argument("agreement_id")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
def suspend(url: str, agreement_id: str, reason: str) -> None:
    """Suspend AGREEMENT_ID here: tokens bound to it are refused until it is resumed."""
    with open_workspace(url) as ws:
        found = ws.agreements.suspend(agreement_id, reason=reason)
    click.echo(f"agreement {found.id} is {found.status}")


@agreement.command()
@db_option
@click.argument("agreement_id")
@click.option("--reason", default="resumed", show_default=True)
def resume(url: str, agreement_id: str, reason: str) -> None:
    """Resume suspended agreement AGREEMENT_ID here."""
    with open_workspace(url) as ws:
        found = ws.agreements.resume(agreement_id, reason=reason)
    click.echo(f"agreement {found.id} is {found.status}")


@agreement.command()
@db_option
@click.argument("agreement_id")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
def terminate(url: str, agreement_id: str, reason: str) -> None:
    """Terminate AGREEMENT_ID here, for good."""
    with open_workspace(url) as ws:
        found = ws.agreements.terminate(agreement_id, reason=reason)
    click.echo(f"agreement {found.id} is {found.status}")


@agreement.command("export-odrl")
@db_option
@click.argument("agreement_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def export_odrl(url: str, agreement_id: str, output: Path | None) -> None:
    """Print AGREEMENT_ID's terms as an ODRL 2.2 Agreement (JSON-LD)."""
    from govshare.exchange import to_odrl

    with open_workspace(url) as ws:
        terms = ws.agreements.get(agreement_id).terms
    text = json.dumps(to_odrl(terms), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
