"""The JSON Schemas of the exchange's documents and records, as published in the docs."""

from __future__ import annotations

import json
from typing import Final

from govshare._models import Record
from govshare.exchange._agreements import Countersignature
from govshare.exchange._catalogue import CataloguePayload
from govshare.exchange._documents import SignedDocument
from govshare.exchange._models import DataRequest, DataSharingAgreement, Decision
from govshare.exchange._release import ReleaseManifest

__all__ = ["SCHEMAS", "document_schemas"]

_BASE: Final = "https://govshare.example/schemas/"
SCHEMAS: Final[dict[str, type[Record]]] = {
    "signed-document": SignedDocument,
    "catalogue-document": CataloguePayload,
    "request-document": DataRequest,
    "decision-document": Decision,
    "countersignature-document": Countersignature,
    "data-sharing-agreement": DataSharingAgreement,
    "release-manifest-document": ReleaseManifest,
}
"""Schema name (file ``docs/reference/<name>.schema.json``) -> the model it describes."""


def document_schemas() -> dict[str, str]:
    """Each schema's name -> its JSON Schema (draft 2020-12) as stable, indented JSON text."""
    out = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(mode="serialization")
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{_BASE}{name}/1.json",
            **schema,
        }
        out[name] = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out
