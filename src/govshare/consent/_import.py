"""Bulk import of existing consent forms: read a CSV or Parquet file, validate every row, report.

One row per consent. Required columns: ``subject``, ``recipient``, ``purposes``, ``categories``,
``granted_at``. Optional: ``legal_basis``, ``expires_at``, ``consent_type``, ``minor``, ``guardian``,
``guardian_relationship``, ``notice_uri``, ``notice_version``, ``notice_sha256``, ``recipient_name``,
``recipient_contact``, ``method``, ``collection_method``, ``withdrawal_method``, ``storage_location``,
``retention_period``, ``impact_assessment``, ``jurisdiction``, ``language``. Lists are separated by
``;``; times are ISO 8601 with a UTC offset. Problems never quote the offending value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd

from govshare._models import build
from govshare._tabular import read_table
from govshare.consent._models import ConsentRecord, ImportProblem, Notice
from govshare.exceptions import ConsentError, GovShareError, InputError
from govshare.identifiers import is_valid_resident_id

__all__ = ["COLUMNS", "REQUIRED", "read_rows", "validate_rows"]

REQUIRED: Final = ("subject", "recipient", "purposes", "categories", "granted_at")
COLUMNS: Final = (
    *REQUIRED,
    "legal_basis",
    "expires_at",
    "consent_type",
    "minor",
    "guardian",
    "guardian_relationship",
    "notice_uri",
    "notice_version",
    "notice_sha256",
    "recipient_name",
    "recipient_contact",
    "method",
    "collection_method",
    "withdrawal_method",
    "storage_location",
    "retention_period",
    "impact_assessment",
    "jurisdiction",
    "language",
)
_TRUE: Final = frozenset({"true", "1", "yes", "y"})
_FALSE: Final = frozenset({"false", "0", "no", "n", ""})
Builder = Callable[..., ConsentRecord]
_FIELD_WORDS: Final = (
    ("purpose", "purposes"),
    ("categor", "categories"),
    ("legal-basis", "legal_basis"),
    ("expires_at", "expires_at"),
    ("granted_at", "granted_at"),
    ("recipient", "recipient"),
    ("guardian", "guardian"),
)


def read_rows(path: Path, *, encoding: str | None = None) -> pd.DataFrame:
    """The file's rows (CSV, Parquet or .xlsx), every CSV column as text (IDs are never parsed
    as numbers). CSV is read in *encoding*, or detected.

    Raises:
        InputError: unreadable or malformed file (naming the line, never its content), unknown
            format, unknown or missing columns.
    """
    if path.suffix.lower() not in (".csv", ".parquet", ".pq", ".xlsx"):
        raise InputError("import files are .csv, .parquet or .xlsx")
    table = read_table(path, encoding=encoding)
    frame: pd.DataFrame = table.to_pandas()
    text = [n for n, t in zip(table.schema.names, table.schema.types, strict=True) if _is_text(t)]
    frame[text] = frame[text].fillna("")
    missing = [c for c in REQUIRED if c not in frame.columns]
    unknown = [str(c) for c in frame.columns if c not in COLUMNS]
    if missing or unknown:
        raise InputError(
            f"{path.name}: missing columns {missing or 'none'}, unknown columns {unknown or 'none'}"
        )
    return frame


def _is_text(kind: object) -> bool:
    import pyarrow as pa  # type: ignore[import-untyped]

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def validate_rows(
    frame: pd.DataFrame, builder: Builder
) -> tuple[list[ConsentRecord], list[ImportProblem]]:
    """Validate each row into a record with *builder*; collect problems as (row, field, problem)."""
    records: list[ConsentRecord] = []
    problems: list[ImportProblem] = []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        found: list[ImportProblem] = []
        fields = _fields(row, number, found)
        if not found:
            try:
                records.append(builder(**fields))
            except ConsentError as exc:
                field = "guardian" if "Art. 31" in str(exc) else "consent_type"
                found.append(ImportProblem(row=number, field=field, problem=str(exc)))
            except GovShareError as exc:
                found.append(ImportProblem(row=number, field=_field_of(str(exc)), problem=str(exc)))
        problems.extend(found)
    return records, problems


def _fields(row: dict[Any, Any], number: int, found: list[ImportProblem]) -> dict[str, Any]:
    def problem(field: str, text: str) -> None:
        found.append(ImportProblem(row=number, field=field, problem=text))

    text = {k: _text(v) for k, v in row.items()}
    for field in ("subject", "guardian"):
        if (field == "subject" or text.get(field)) and not is_valid_resident_id(
            text.get(field, "")
        ):
            problem(field, "not a valid resident ID number")
    for field in REQUIRED[1:4]:
        if not text[field]:
            problem(field, "required")
    granted = _time(row.get("granted_at"), "granted_at", problem, required=True)
    expires = _time(row.get("expires_at"), "expires_at", problem, required=False)
    minor = text.get("minor", "").lower()
    if minor not in _TRUE | _FALSE:
        problem("minor", "must be true or false")
    notice = None
    if any(text.get(f"notice_{k}") for k in ("uri", "version", "sha256")):
        try:
            notice = build(
                Notice,
                uri=text.get("notice_uri", ""),
                version=text.get("notice_version", ""),
                sha256=text.get("notice_sha256", ""),
            )
        except InputError as exc:
            problem("notice", str(exc))
    optional = {k: text.get(k) or None for k in ("recipient_name", "recipient_contact", "guardian")}
    extra: dict[str, Any] = {
        k: text[k]
        for k in (
            "collection_method",
            "withdrawal_method",
            "storage_location",
            "jurisdiction",
            "language",
        )
        if text.get(k)
    }
    extra.update({k: text.get(k) or None for k in ("retention_period", "impact_assessment")})
    extra["notice"] = notice
    return {
        "subject": text["subject"],
        "recipient": text["recipient"],
        "purposes": _list(text["purposes"]),
        "categories": _list(text["categories"]),
        "legal_basis": text.get("legal_basis") or "consent",
        "expires_at": expires,
        "granted_at": granted,
        "method": text.get("method") or "data-sharing-platform",
        "consent_type": _list(text.get("consent_type") or "separate"),
        "minor": minor in _TRUE,
        "guardian_relationship": text.get("guardian_relationship") or "guardian",
        **optional,
        "extra": extra,
    }


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
        return ""
    return str(value).strip()


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _time(
    value: Any, field: str, problem: Callable[[str, str], None], *, required: bool
) -> datetime | None:
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        if required:
            problem(field, "required")
        return None
    try:
        when = (
            value.to_pydatetime()
            if isinstance(value, pd.Timestamp)
            else datetime.fromisoformat(str(value))
        )
    except ValueError:
        problem(field, "not an ISO 8601 date-time")
        return None
    if when.tzinfo is None:
        problem(field, "has no UTC offset (naive date-times are refused)")
        return None
    return when


def _field_of(message: str) -> str:
    for word, field in _FIELD_WORDS:
        if word in message:
            return field
    return "(row)"
