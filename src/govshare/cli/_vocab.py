"""``govshare vocab list``: the purposes, categories and legal bases this store accepts."""

from __future__ import annotations

from typing import Final

import click

from govshare.cli._common import db_option, emit, format_option, open_workspace

__all__ = ["vocab"]

_KINDS: Final = {"purposes": "purpose", "categories": "category", "bases": "legal-basis"}


@click.group()
def vocab() -> None:
    """The consent vocabulary: purpose, category and legal-basis codes, with their labels."""


@vocab.command("list")
@db_option
@click.argument("kind", required=False, type=click.Choice(list(_KINDS)))
@format_option
def list_terms(url: str | None, kind: str | None, output_format: str) -> None:
    """List the codes of KIND (purposes, categories or bases; default all) with their labels."""
    with open_workspace(url) as ws:
        vocabulary = ws.consents.vocabulary
        kinds = [_KINDS[kind]] if kind else list(_KINDS.values())
        terms = [(k, t) for k in kinds for t in vocabulary.terms(k)]  # type: ignore[arg-type]
    rows = [
        [k, t.code, t.label_zh, t.label_en, "yes" if t.sensitive else "", t.pipl or ""]
        for k, t in terms
    ]
    data = [{"kind": k, **t.model_dump(mode="json")} for k, t in terms]
    emit(
        output_format,
        data,
        columns=["kind", "code", "label (zh)", "label (en)", "sensitive", "PIPL"],
        rows=rows,
        empty="the vocabulary has no such terms",
    )
