"""The published ConsentRecord JSON Schema is current, and the package's public API is curated."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import govshare.consent as consent
from govshare.consent import consent_record_schema

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "reference" / "consent-record.schema.json"
REGENERATE = (
    "python -c 'from govshare.consent import consent_record_schema as s; print(s(), end=\"\")' "
    "> docs/reference/consent-record.schema.json"
)


def test_published_schema_is_current() -> None:
    """docs/reference/consent-record.schema.json is exactly what the model generates now."""
    assert SCHEMA.read_text(encoding="utf-8") == consent_record_schema(), (
        f"regenerate with: {REGENERATE}"
    )


def test_schema_names_the_27560_and_pipl_fields() -> None:
    """The schema has the ISO/IEC TS 27560 and PIPL fields the issue lists."""
    properties = set(json.loads(consent_record_schema())["properties"])
    assert {
        "schema_version",
        "record_id",
        "jurisdiction",
        "language",
        "notice",
        "subject",
        "minor",
        "guardian",
        "controller",
        "recipients",
        "purposes",
        "legal_basis",
        "categories",
        "sensitive_categories",
        "consent_type",
        "collection_method",
        "withdrawal_method",
        "storage_location",
        "retention_period",
        "expires_at",
        "impact_assessment",
    } <= properties


def test_all_is_sorted_and_complete() -> None:
    """govshare.consent.__all__ is sorted (constants, classes, functions) and names every public object."""
    exported = list(consent.__all__)
    key = lambda n: (0, n) if n.isupper() else ((1, n) if n[0].isupper() else (2, n))  # noqa: E731
    assert exported == sorted(exported, key=key)
    public = {
        n
        for n, v in vars(consent).items()
        if not n.startswith("_")
        and not inspect.ismodule(v)
        and getattr(v, "__module__", "").startswith("govshare.consent._")
    }
    assert public <= set(exported)
