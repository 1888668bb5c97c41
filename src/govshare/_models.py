"""Shared pydantic plumbing: strict boundary models whose errors never echo their input."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from govshare.exceptions import InputError

__all__ = ["Record", "build"]

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
    """
    try:
        return model(**fields)
    except ValidationError as exc:
        raise InputError(describe(exc, model.__name__)) from None


def describe(exc: ValidationError, what: str) -> str:
    """One line per problem: ``field: message`` (the rejected values are never shown)."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(model)'}: {err['msg']}" for err in exc.errors()
    )
    return f"invalid {what}: {problems}"
