"""Audit events and their canonical, hashable entry bytes (RFC 8785 JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govshare._models import Record, is_stored
from govshare.audit._canonical import canonical_json
from govshare.identifiers import refuse_identifier

__all__ = ["AuditEvent", "AuditRecord", "entry_bytes"]

EVENT_TYPE = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class AuditEvent(Record):
    """One thing that happened, as the log records it.

    Events carry references (record ids, pseudonyms, counts), never raw identifiers or keys: a
    string shaped like a resident ID, mobile or bank-card number anywhere in the event (its actor,
    any key or value of its data, at any depth) is refused with
    :class:`~govshare.IdentifierInText`. This is the last line of defence: every door that takes
    free text checks it first, with a message that names the field.

    Attributes:
        type: dotted lower-case name, e.g. ``"consent.granted"``.
        actor: who did it (department, service or user id).
        time: when, timezone-aware (stored in UTC).
        data: JSON-safe details.
    """

    type: Annotated[str, Field(pattern=EVENT_TYPE, max_length=100)]
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    time: AwareDatetime
    data: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _no_raw_identifiers(self, info: ValidationInfo) -> AuditEvent:
        if is_stored(info):
            return self  # an entry read back: the log's integrity, not this check, vouches for it
        for text in _strings([self.actor, self.data]):
            refuse_identifier(text, "an audit event string")
        return self


class AuditRecord(Record):
    """An event as stored: its position, its event and its RFC 6962 leaf hash."""

    seq: int
    event: AuditEvent
    leaf_hash: bytes


def entry_bytes(seq: int, event: AuditEvent) -> bytes:
    """The canonical bytes of entry *seq*: ``{"event": …, "seq": seq}`` in RFC 8785 JSON.

    ``seq`` is inside the hashed bytes, so moving an entry to another position is detectable, and
    it sorts last, so a verifier can read it from the tail of the bytes without parsing.
    """
    return canonical_json({"event": _json_form(event), "seq": seq})


# The fast form below knows these fields; were the model to change, model_dump takes over.
_FAST = set(AuditEvent.model_fields) == {"type", "actor", "time", "data"}


def _json_form(event: AuditEvent) -> dict[str, Any]:
    """``event.model_dump(mode="json")``, without pydantic's per-value work for the plain
    JSON in ``data`` (already validated as JSON); ``tests/audit/test_canonical.py`` holds the
    two equal."""
    if not _FAST or type(event) is not AuditEvent:
        return event.model_dump(mode="json")
    time = event.time.isoformat().replace("+00:00", "Z")
    return {"type": event.type, "actor": event.actor, "time": time, "data": event.data}


def seq_suffix(seq: int) -> bytes:
    """The bytes every entry at position *seq* ends with."""
    return b',"seq":%d}' % seq
