"""The JSON Schema of :class:`ConsentRecord`, as published in the docs."""

from __future__ import annotations

import json
from typing import Final

from govshare.consent._models import ConsentRecord

__all__ = ["SCHEMA_ID", "consent_record_schema"]

SCHEMA_ID: Final = "https://govshare.example/schemas/consent-record/1.json"


def consent_record_schema() -> str:
    """The JSON Schema (draft 2020-12) of :class:`ConsentRecord`, as stable, indented JSON text."""
    schema = ConsentRecord.model_json_schema(mode="serialization")
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
