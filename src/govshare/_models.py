"""Shared pydantic plumbing: strict boundary models whose errors never echo their input."""

from __future__ import annotations

from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo

from govshare.exceptions import IdentifierInText, InputError

__all__ = ["STORED", "Record", "build", "is_stored"]

STORED: Final = {"govshare_stored": True}
"""Validation context for records read back from this store: they were checked when written, so
checks added since (free text scanned for identifiers) do not lock a reader out of old rows."""

M = TypeVar("M", bound=BaseModel)


class Record(BaseModel):
    """Base of every govshare record that crosses a boundary: frozen, no extra fields.

    ``hide_input_in_errors`` keeps rejected values (which may be personal identifiers) out of
    validation messages.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


def build(model: type[M], **fields: Any) -> M:
    """Validate *fields* into *model*, raising :class:`InputError` with a message naming each field.

    Raises:
        InputError: a field is missing, of the wrong type, or out of range.
        IdentifierInText: a validator refused a text shaped like a personal identifier.
    """
    try:
        return model(**fields)
    except ValidationError as exc:
        raise _error_type(exc)(describe(exc, model.__name__)) from None


def _error_type(exc: ValidationError) -> type[InputError]:
    """The most specific error to raise: a refused identifier keeps its own type."""
    for err in exc.errors():
        if isinstance(err.get("ctx", {}).get("error"), IdentifierInText):
            return IdentifierInText
    return InputError


def describe(exc: ValidationError, what: str) -> str:
    """One line per problem: ``field: message`` (the rejected values are never shown)."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(model)'}: {err['msg']}" for err in exc.errors()
    )
    return f"invalid {what}: {problems}"


def is_stored(info: ValidationInfo) -> bool:
    """Whether a validator runs on a record read back from the store (context :data:`STORED`)."""
    return isinstance(info.context, dict) and bool(info.context.get("govshare_stored"))
