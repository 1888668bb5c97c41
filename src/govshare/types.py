"""Shared value types: each identifier pattern govshare uses, defined once.

Every field govshare records is one of two kinds:

- a **code** (department id, domain, dataset name, purpose, jti, key id…): a strict ASCII
  pattern, matched in full (:func:`re.fullmatch`; pydantic's Rust regex anchors ``$`` at the very
  end), so a trailing newline or a look-alike Unicode letter never slips through;
- **free text** (reasons, titles, references, labels): printable text of bounded length with no
  control or bidirectional-override characters (:func:`check_text`), which
  :func:`govshare.identifiers.check_free_text` also scans for identifier-shaped digit runs.

Each code comes as a pattern string, a pydantic-ready ``Annotated`` type and a checker that raises
:class:`~govshare.InputError` without repeating the rejected value.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import StringConstraints

from govshare.exceptions import InputError

__all__ = [
    "AGREEMENT_ID_PATTERN",
    "CASE_REF_PATTERN",
    "CODE_PATTERN",
    "DATASET_PATTERN",
    "DEPARTMENT_PATTERN",
    "JTI_PATTERN",
    "KEY_NAME_PATTERN",
    "KID_PATTERN",
    "PRINCIPAL_PATTERN",
    "SCHEMA_PATTERN",
    "SLUG_PATTERN",
    "TEXT_FORBIDDEN",
    "AgreementId",
    "CaseRef",
    "Code",
    "DatasetName",
    "DepartmentId",
    "Domain",
    "Jti",
    "KeyId",
    "KeyName",
    "Principal",
    "Slug",
    "check_code",
    "check_dataset",
    "check_department",
    "check_domain",
    "check_slug",
    "check_text",
    "matches",
]

DEPARTMENT_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""A department id, and a pseudonym domain: lower-case letters, digits and hyphens, 1-63 long."""

CODE_PATTERN: Final = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
"""A vocabulary code (purpose, data category, legal basis): lower-case kebab-case."""

SLUG_PATTERN: Final = r"^[a-z][a-z0-9_.-]{0,62}$"
"""A token name (purpose, category, action, dataset in a token): lower case, from a letter."""

DATASET_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$"
"""A DP dataset or requester name in the budget ledger."""

KEY_NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
"""A key name in the key ring."""

JTI_PATTERN: Final = r"^[0-9a-f]{32}$"
"""A token id: 32 lower-case hex digits."""

KID_PATTERN: Final = r"^[a-z0-9][a-z0-9_.-]{0,63}-v[0-9]{1,6}-[0-9a-f]{16}$"
"""A key id: ``<key name>-v<version>-<16 hex digits of the public key's hash>``."""

SCHEMA_PATTERN: Final = r"^[a-z_][a-z0-9_]{0,62}$"
"""A PostgreSQL schema name: a lower-case SQL identifier."""

AGREEMENT_ID_PATTERN: Final = r"^ag-[0-9a-f]{32}$"
"""A data-sharing agreement id: ``ag-`` and 32 lower-case hex digits."""

PRINCIPAL_PATTERN: Final = r"^[a-z0-9][a-z0-9._@-]{0,99}$"
"""An official or system acting under an agreement (e.g. ``zhang.wei@hrss``)."""

CASE_REF_PATTERN: Final = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?$"
"""A case reference, the requester's own file number (e.g. ``人社补-2026-0042``): 1-100
printable characters, no control characters, no surrounding spaces."""

TEXT_FORBIDDEN: Final = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
"""What free text may not hold: control characters (tab and newline aside) and the bidirectional
overrides that make text read differently from what it stores."""

DepartmentId = Annotated[str, StringConstraints(pattern=DEPARTMENT_PATTERN)]
Domain = Annotated[str, StringConstraints(pattern=DEPARTMENT_PATTERN)]
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=64)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
DatasetName = Annotated[str, StringConstraints(pattern=DATASET_PATTERN)]
KeyName = Annotated[str, StringConstraints(pattern=KEY_NAME_PATTERN)]
Jti = Annotated[str, StringConstraints(pattern=JTI_PATTERN)]
KeyId = Annotated[str, StringConstraints(pattern=KID_PATTERN)]
AgreementId = Annotated[str, StringConstraints(pattern=AGREEMENT_ID_PATTERN)]
Principal = Annotated[str, StringConstraints(pattern=PRINCIPAL_PATTERN)]
CaseRef = Annotated[str, StringConstraints(pattern=CASE_REF_PATTERN)]

_COMPILED: dict[str, re.Pattern[str]] = {}


def matches(pattern: str, value: object, *, max_length: int | None = None) -> bool:
    """Whether *value* is a string matching *pattern* in full (``^``/``$`` taken literally)."""
    if not isinstance(value, str) or (max_length is not None and len(value) > max_length):
        return False
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern.removeprefix("^").removesuffix("$"))
    return compiled.fullmatch(value) is not None


def check_department(value: object, what: str = "department") -> str:
    """*value* if it is a department id.

    Raises:
        InputError: it is not (lower-case letters, digits and hyphens, at most 63).
    """
    if not matches(DEPARTMENT_PATTERN, value):
        raise InputError(f"{what} ids are lower-case letters, digits and hyphens (max 63)")
    return value  # type: ignore[return-value]


def check_domain(value: object) -> str:
    """*value* if it is a pseudonym domain (the same shape as a department id).

    Raises:
        InputError: it is not.
    """
    if not matches(DEPARTMENT_PATTERN, value):
        raise InputError("domains are lower-case letters, digits and hyphens (max 63)")
    return value  # type: ignore[return-value]


def check_code(value: object, what: str = "code") -> str:
    """*value* if it is a vocabulary code.

    Raises:
        InputError: it is not lower-case kebab-case of at most 64 characters.
    """
    if not matches(CODE_PATTERN, value, max_length=64):
        raise InputError(f"{what} is not a vocabulary code (lower-case kebab-case, max 64)")
    return value  # type: ignore[return-value]


def check_slug(value: object, what: str) -> str:
    """*value* if it is a token name.

    Raises:
        InputError: it is not lower-case letters, digits, ``_.-`` from a letter (max 63).
    """
    if not matches(SLUG_PATTERN, value):
        raise InputError(f"{what} must be lower-case letters, digits, '_', '.' or '-' (max 63)")
    return value  # type: ignore[return-value]


def check_dataset(value: object, what: str) -> str:
    """*value* if it is a ledger dataset or requester name.

    Raises:
        InputError: it is not 1-200 letters, digits or ``._:/@-``.
    """
    if not matches(DATASET_PATTERN, value):
        raise InputError(f"{what} names are 1-200 letters, digits or ._:/@- characters")
    return value  # type: ignore[return-value]


_FORBIDDEN = re.compile(TEXT_FORBIDDEN)


def check_text(value: object, what: str, *, max_length: int = 2000) -> str:
    """*value* if it is free text of the right shape (no scan for identifiers here: see
    :func:`govshare.identifiers.check_free_text`).

    Raises:
        InputError: not a string of 1 to *max_length* characters, only whitespace, or it holds a
            control or bidirectional-override character.
    """
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise InputError(f"{what} is text of 1 to {max_length} characters")
    if not value.strip():
        raise InputError(f"{what} is only whitespace")
    if _FORBIDDEN.search(value):
        raise InputError(f"{what} holds a control or bidirectional-override character")
    return value
