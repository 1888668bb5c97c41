"""``govshare token …``: issue, verify, inspect and revoke purpose-bound access tokens."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click

from govshare import Workspace
from govshare.cli._common import EXIT_CHECK_FAILED, db_option
from govshare.exceptions import InputError, InvalidToken

__all__ = ["token"]

_token_argument = click.argument("token_text", metavar="TOKEN")


def _read_token(text: str) -> str:
    """The token itself, or stdin's first line for ``-`` (keeps tokens out of process lists)."""
    return sys.stdin.readline().strip() if text == "-" else text.strip()


def _consent_hash(hex_text: str | None) -> bytes | None:
    if hex_text is None:
        return None
    try:
        return bytes.fromhex(hex_text)
    except ValueError:
        raise InputError("--consent-hash takes hex digits") from None


@click.group()
def token() -> None:
    """Issue, verify, inspect and revoke purpose-bound access tokens (PASETO v4.public)."""


@token.command()
@db_option
@click.option("--audience", required=True, help="The holding department that will verify it.")
@click.option("--purpose", required=True, help="The one purpose granted.")
@click.option("--category", "categories", multiple=True, required=True, help="Repeatable.")
@click.option("--ttl", type=click.IntRange(1), default=3600, show_default=True, help="Seconds.")
@click.option("--subject", help="The requesting department (default: this department).")
@click.option("--legal-basis", default="consent", show_default=True)
@click.option("--action", "actions", multiple=True, help="Repeatable (default: read).")
@click.option("--max-uses", type=click.IntRange(1), help="Default: unlimited.")
@click.option("--dataset", help="Limit the token to one dataset.")
@click.option("--consent-record", help="The one consent record it rests on.")
@click.option("--consent-hash", metavar="HEX", help="That record's hash (bound to the signature).")
@click.option("--agreement", help="The data-sharing agreement it acts under (id).")
@click.option("--case-ref", help="The reason for this query (with --agreement).")
@click.option("--principal", help="Who acts under the agreement (with --agreement).")
def issue(
    url: str,
    audience: str,
    purpose: str,
    categories: tuple[str, ...],
    ttl: int,
    subject: str | None,
    legal_basis: str,
    actions: tuple[str, ...],
    max_uses: int | None,
    dataset: str | None,
    consent_record: str | None,
    consent_hash: str | None,
    agreement: str | None,
    case_ref: str | None,
    principal: str | None,
) -> None:
    """Sign a token and print it (needs the key file passphrase)."""
    with Workspace.open(url) as ws:
        text = ws.tokens.issue(
            audience=audience,
            purpose=purpose,
            categories=list(categories),
            ttl=timedelta(seconds=ttl),
            subject=subject,
            legal_basis=legal_basis,
            actions=list(actions) or ["read"],
            max_uses=max_uses,
            dataset=dataset,
            consent_record=consent_record,
            consent_hash=_consent_hash(consent_hash),
            agreement=agreement,
            case_ref=case_ref,
            principal=principal,
        )
    click.echo(text)


@token.command()
@db_option
@_token_argument
@click.option("--audience", help="This department as the token must name it (default: its id).")
@click.option("--purpose", required=True, help="The purpose the data is requested for.")
@click.option("--category", "categories", multiple=True, help="Requested categories; repeatable.")
@click.option("--action", help="The requested action.")
@click.option("--no-consume", is_flag=True, help="Check a use is left without taking it.")
@click.option("--consent-hash", metavar="HEX", help="The bound consent record's hash.")
@click.option("--agreement", help="The agreement the token must be bound to (id).")
def verify(
    url: str,
    token_text: str,
    audience: str | None,
    purpose: str,
    categories: tuple[str, ...],
    action: str | None,
    no_consume: bool,
    consent_hash: str | None,
    agreement: str | None,
) -> None:
    """Verify TOKEN ('-' reads it from stdin), use it once, and print the grant as JSON.

    Exit code 1 names why a token was refused (e.g. TokenExpired, PurposeMismatch).
    """
    with Workspace.open(url) as ws:
        try:
            grant = ws.tokens.verify(
                _read_token(token_text),
                audience=audience or ws.department,
                purpose=purpose,
                categories=list(categories) or None,
                action=action,
                consume=not no_consume,
                consent_hash=_consent_hash(consent_hash),
                agreement=agreement,
            )
        except InvalidToken as exc:
            click.echo(f"refused: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_CHECK_FAILED)
    doc = {"kid": grant.kid, "uses": grant.uses, **grant.claims.to_payload()}
    click.echo(json.dumps(doc, indent=2))


@token.command()
@db_option
@_token_argument
@click.option("--consent-hash", metavar="HEX", help="The bound consent record's hash.")
def inspect(url: str, token_text: str, consent_hash: str | None) -> None:
    """Introspect TOKEN ('-' reads stdin): its claims if it is active here, else active=false."""
    with Workspace.open(url) as ws:
        info = ws.tokens.introspect(
            _read_token(token_text), consent_hash=_consent_hash(consent_hash)
        )
    click.echo(json.dumps(info, indent=2))


@token.command()
@db_option
@click.argument("jti")
def revoke(url: str, jti: str) -> None:
    """Revoke the token with id JTI in this store, and every token exchanged from it.

    JTI is the id of a token this store issued, exchanged, checked or used, or the token
    itself ('-' reads it from stdin), which also revokes one never presented here.
    """
    value = _read_token(jti) if jti == "-" else jti
    with Workspace.open(url) as ws:
        changed = ws.tokens.revoke(value)
    label = "the token" if value.startswith("v4.public.") else value
    click.echo(f"revoked {label}" if changed else f"{label} was already revoked")
