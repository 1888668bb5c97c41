"""``govshare consent …``: grant, withdraw, check, history, import and export-subject."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from govshare.cli._common import (
    EXIT_CHECK_FAILED,
    db_option,
    emit,
    format_option,
    json_format_option,
    key_values,
    open_workspace,
)
from govshare.exceptions import InputError

__all__ = ["consent"]


def _subject(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what} is not an ISO 8601 date-time") from None


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group()
def consent() -> None:
    """Record, withdraw and check consents in the registry (subjects stored only as pseudonyms)."""


@consent.command()
@db_option
@click.argument("subject")
@click.option("--recipient", required=True, help="Receiving department id.")
@click.option("--purpose", "purposes", multiple=True, required=True, help="Purpose code (repeat).")
@click.option(
    "--category", "categories", multiple=True, required=True, help="Category code (repeat)."
)
@click.option(
    "--legal-basis", default="consent", show_default=True, help="PIPL Art. 13 basis code."
)
@click.option("--expires-at", help="Expiry, ISO 8601 with offset.")
@click.option("--granted-at", help="When it was given, ISO 8601 with offset (default now).")
@click.option(
    "--consent-type",
    "consent_type",
    multiple=True,
    default=("separate",),
    show_default=True,
    type=click.Choice(["separate", "written", "explicit"]),
    help="Consent type (repeat).",
)
@click.option("--minor", is_flag=True, help="The subject is a minor under 14.")
@click.option("--guardian", help="The guardian's resident ID number (needed for a minor).")
def grant(
    url: str,
    subject: str,
    recipient: str,
    purposes: tuple[str, ...],
    categories: tuple[str, ...],
    legal_basis: str,
    expires_at: str | None,
    granted_at: str | None,
    consent_type: tuple[str, ...],
    minor: bool,
    guardian: str | None,
) -> None:
    """Record a consent of SUBJECT (a resident ID number; - reads it from stdin); prints the record."""
    with open_workspace(url) as ws:
        record = ws.consents.grant(
            _subject(subject),
            recipient=recipient,
            purposes=list(purposes),
            categories=list(categories),
            legal_basis=legal_basis,
            expires_at=_time(expires_at, "--expires-at"),
            granted_at=_time(granted_at, "--granted-at"),
            consent_type=consent_type,  # type: ignore[arg-type]  # click.Choice checked the values
            minor=minor,
            guardian=guardian,
        )
    _echo(record.model_dump(mode="json"))


@consent.command()
@db_option
@click.argument("record_id")
def withdraw(url: str, record_id: str) -> None:
    """Withdraw consent RECORD_ID now (effective at once, not retroactively); prints its state."""
    with open_workspace(url) as ws:
        status = ws.consents.withdraw(record_id)
    _echo(
        {
            "record_id": record_id,
            "state": status.state,
            "withdrawn_at": status.model_dump(mode="json")["withdrawn_at"],
        }
    )


@consent.command()
@db_option
@click.argument("subject")
@click.option("--recipient", required=True, help="Receiving department id.")
@click.option("--purpose", required=True, help="Purpose code.")
@click.option(
    "--category", "categories", multiple=True, required=True, help="Category code (repeat)."
)
@click.option("--at", "at", help="Decide for this instant (ISO 8601 with offset; default now).")
@json_format_option
def check(
    url: str | None,
    subject: str,
    recipient: str,
    purpose: str,
    categories: tuple[str, ...],
    at: str | None,
    output_format: str,
) -> None:
    """Decide whether SUBJECT's categories may go to RECIPIENT for PURPOSE; exit 1 if not.

    SUBJECT is a resident ID number (use - to read it from stdin).
    """
    with open_workspace(url) as ws:
        decision = ws.consents.check(
            _subject(subject),
            recipient=recipient,
            purpose=purpose,
            categories=list(categories),
            at=_time(at, "--at"),
        )
    data = decision.model_dump(mode="json")
    emit(output_format, data, text=key_values(data))
    if not decision.allowed:
        sys.exit(EXIT_CHECK_FAILED)


@consent.command()
@db_option
@click.argument("subject")
def history(url: str, subject: str) -> None:
    """Print every event about SUBJECT (a resident ID number; - reads stdin) as JSON lines."""
    with open_workspace(url) as ws:
        events = ws.consents.history(_subject(subject))
    for event in events:
        click.echo(event.model_dump_json())


@consent.command(name="import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--import-valid-rows", is_flag=True, help="Import the valid rows even if others have problems."
)
@click.option("--encoding", metavar="NAME", help="Text encoding of a CSV file (default: detected).")
@json_format_option
def import_(
    url: str | None, file: Path, import_valid_rows: bool, encoding: str | None, output_format: str
) -> None:
    """Import consent forms from a CSV, Parquet or .xlsx FILE; prints the report; exit 1 if any row
    has a problem."""
    with open_workspace(url) as ws:
        report = ws.consents.import_file(
            file, import_valid_rows=import_valid_rows, encoding=encoding
        )
    emit(output_format, report, text=_import_text(report))
    if report.problems:
        sys.exit(EXIT_CHECK_FAILED)


def _import_text(report: Any) -> str:
    lines = [
        f"imported {report.imported} of {report.rows} row(s); {len(report.problems)} problem(s)"
    ]
    lines += [f"  row {p.row}, {p.field}: {p.problem}" for p in report.problems]
    return "\n".join(lines)


@consent.command(name="export-subject")
@db_option
@click.argument("subject")
def export_subject(url: str, subject: str) -> None:
    """Print everything held about SUBJECT (PIPL Art. 45) as JSON; - reads the ID from stdin."""
    with open_workspace(url) as ws:
        export = ws.consents.export_subject(_subject(subject))
    _echo(export.model_dump(mode="json"))


@consent.command()
@db_option
@click.argument("record_id")
@click.option("--expires-at", help="The new expiry (ISO 8601 with offset, in the future).")
@click.option("--no-expiry", is_flag=True, help="End the expiry: the consent runs until withdrawn.")
@json_format_option
def renew(
    url: str | None,
    record_id: str,
    expires_at: str | None,
    no_expiry: bool,
    output_format: str,
) -> None:
    """Extend consent RECORD_ID from now on (earlier instants are unaffected); prints its state."""
    if (expires_at is None) == (not no_expiry):
        raise InputError("give exactly one of --expires-at TIME or --no-expiry")
    with open_workspace(url) as ws:
        status = ws.consents.renew(record_id, expires_at=_time(expires_at, "--expires-at"))
    data = {
        "record_id": record_id,
        "state": status.state,
        "expires_at": status.expires_at.isoformat() if status.expires_at else None,
    }
    emit(output_format, data, text=key_values(data))


@consent.command("statutory-bases")
@db_option
@click.option("--recipient", required=True, help="Receiving department id.")
@click.option("--purpose", required=True, help="Purpose code.")
@click.option("--at", "at", help="In force at this instant (ISO 8601 with offset; default now).")
@format_option
def statutory_bases(
    url: str | None, recipient: str, purpose: str, at: str | None, output_format: str
) -> None:
    """List the statutory bases (duties by law, PIPL Art. 13(3)-(7)) in force for RECIPIENT and
    PURPOSE."""
    with open_workspace(url) as ws:
        bases = ws.consents.statutory_bases(
            recipient=recipient, purpose=purpose, at=_time(at, "--at")
        )
    rows = [
        [b.basis_id, ", ".join(b.categories), b.legal_basis, b.law, b.effective_from.isoformat()]
        for b in bases
    ]
    emit(
        output_format,
        list(bases),
        columns=["basis", "categories", "legal basis", "law", "from"],
        rows=rows,
        empty=f"no statutory basis in force for {recipient} and {purpose}",
    )


@consent.command("declare-statutory-basis")
@db_option
@click.option("--recipient", required=True, help="Receiving department id.")
@click.option("--purpose", required=True, help="Purpose code.")
@click.option("--category", "categories", multiple=True, required=True, help="Repeatable.")
@click.option("--legal-basis", required=True, help="A legal-basis code other than consent.")
@click.option("--law", required=True, help="The law and article that impose the duty.")
@click.option("--from", "effective_from", help="In force from (ISO 8601; default now).")
@click.option("--until", "effective_until", help="In force until (ISO 8601; default open).")
@json_format_option
def declare_statutory_basis(
    url: str | None,
    recipient: str,
    purpose: str,
    categories: tuple[str, ...],
    legal_basis: str,
    law: str,
    effective_from: str | None,
    effective_until: str | None,
    output_format: str,
) -> None:
    """Declare a duty by law that lets RECIPIENT receive CATEGORIES for PURPOSE without consent."""
    with open_workspace(url) as ws:
        basis = ws.consents.declare_statutory_basis(
            recipient=recipient,
            purpose=purpose,
            categories=list(categories),
            legal_basis=legal_basis,
            law=law,
            effective_from=_time(effective_from, "--from"),
            effective_until=_time(effective_until, "--until"),
        )
    data = basis.model_dump(mode="json")
    emit(output_format, data, text=key_values(data))
