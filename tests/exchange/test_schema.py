"""The published JSON Schemas of the exchange's documents are current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govshare.exchange import document_schemas

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
REGENERATE = (
    "python -c 'from govshare.exchange import document_schemas as s; from pathlib import Path; "
    '[Path(f"docs/reference/{n}.schema.json").write_text(t) for n, t in s().items()]\''
)


@pytest.mark.parametrize("name", sorted(document_schemas()))
def test_published_schema_is_current(name: str) -> None:
    """docs/reference/<name>.schema.json is exactly what the model generates now."""
    path = REFERENCE / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == document_schemas()[name], (
        f"regenerate with: {REGENERATE}"
    )


def test_agreement_schema_names_the_issue_fields() -> None:
    """The DataSharingAgreement schema has the terms the issue lists."""
    schema = json.loads(document_schemas()["data-sharing-agreement"])
    terms = schema["$defs"]["AgreementTerms"]["properties"]
    assert {
        "agreement_id", "version", "provider", "requester", "item_id", "item_version", "columns",
        "purpose", "legal_basis", "duty_basis", "use_type", "principals", "limits",
        "retention_days", "disposal", "effective_from", "expires_at", "onward_transfer",
    } <= set(terms)  # fmt: skip
    assert set(schema["properties"]["status"]["enum"]) >= {
        "active",
        "suspended",
        "expired",
        "terminated",
    }
