"""Small helpers every part of the exchange shares: transactions, JSON columns, checked text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Connection

from govshare._models import STORED, Record
from govshare.identifiers import check_free_text
from govshare.storage import Store

__all__ = ["checked_text", "from_json", "micros", "reading", "to_json", "writing"]

M = TypeVar("M", bound=Record)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def writing(store: Store, conn: Connection | None) -> Iterator[Connection]:
    """*conn* if the caller gave one (its transaction), else a new write transaction."""
    if conn is not None:
        yield conn
        return
    with store.transaction() as own:
        yield own


@contextmanager
def reading(store: Store, conn: Connection | None) -> Iterator[Connection]:
    """*conn* if the caller gave one, else a new read transaction."""
    if conn is not None:
        yield conn
        return
    with store.read() as own:
        yield own


def to_json(record: Record) -> str:
    """The JSON text stored for *record* (Chinese kept as is)."""
    return json.dumps(record.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


def from_json(model: type[M], text: str) -> M:
    """A stored record read back (checked when written: see :data:`govshare._models.STORED`)."""
    return model.model_validate_json(text, context=STORED)


def micros(when: datetime) -> int:
    """Integer microseconds since the Unix epoch of an aware datetime."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def checked_text(value: object, what: str, *, max_length: int = 2000) -> str:
    """*value* as free text that may be recorded in the audit log.

    Raises:
        InputError: not a non-empty string of at most *max_length* characters, or it holds a
            control character.
        IdentifierInText: it holds something shaped like a resident ID, phone or card number.
    """
    return check_free_text(value, what, max_length=max_length)
