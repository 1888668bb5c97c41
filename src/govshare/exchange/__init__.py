"""Data sharing between departments: a catalogue, request -> decision -> signed agreement.

What crosses from one department to another is always a signed, self-verifying JSON document
(:class:`SignedDocument`: RFC 8785 canonical bytes, Ed25519, key id), verified against the keys
the receiving department trusts (``ws.tokens.trust``) before anything is stored:

* ``ws.catalogue``: publish versioned :class:`CatalogueItem` s, export a signed catalogue, import
  another department's;
* ``ws.requests``: submit a :class:`DataRequest`, receive it with a deadline in Chinese working
  days, decide (with written reasons for a refusal), import the decision;
* ``ws.agreements``: the :class:`DataSharingAgreement` an approval makes, countersigned by the
  requester; suspend, resume, terminate; ODRL 2.2 export and import (:func:`to_odrl`,
  :func:`from_odrl`). Tokens bound to an agreement (``ws.tokens.issue(agreement=…)``) verify only
  while it is active and only within its terms;
* ``ws.share()`` / ``ws.receive()``: a :class:`Release` of the rows and columns an agreement and
  the consent registry allow, pseudonymised for the requester, with a signed
  :class:`ReleaseManifest`; ``ws.share_aggregates()`` releases DP statistics only
  (:class:`AggregateQuery`), charged to the agreement's epsilon total; ``ws.releases`` and
  :func:`read_releases` list what was released.
"""

from __future__ import annotations

from govshare.exchange._aggregates import RESULT_COLUMNS, AggregateQuery
from govshare.exchange._agreements import Agreements, Countersignature, terms_digest
from govshare.exchange._calendar import (
    BEIJING,
    covers,
    end_of_working_days,
    is_provisional,
    is_working_day,
)
from govshare.exchange._catalogue import Catalogue, CataloguePayload
from govshare.exchange._documents import (
    DOCUMENT_FORMAT,
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    Documents,
    DocumentType,
    SignedDocument,
    TrustedKeys,
)
from govshare.exchange._models import (
    AgreementTerms,
    CatalogueColumn,
    CatalogueItem,
    DataRequest,
    DataSharingAgreement,
    Decision,
    GrantedColumn,
    Limits,
    Principals,
    RequestRecord,
)
from govshare.exchange._odrl import ODRL_CONTEXT, from_odrl, odrl_document_loader, to_odrl
from govshare.exchange._release import (
    DATA_FILE,
    MANIFEST_FILE,
    AuditAnchor,
    Received,
    Release,
    ReleasedColumn,
    ReleaseManifest,
    ReleaseRecord,
    read_releases,
)
from govshare.exchange._requests import DEFAULT_RETENTION_DAYS, Deadlines, Requests
from govshare.exchange._schema import document_schemas
from govshare.exchange._share import MISSING_SUBJECT, Exchange

__all__ = [
    "BEIJING",
    "DATA_FILE",
    "DEFAULT_RETENTION_DAYS",
    "DOCUMENT_FORMAT",
    "DOCUMENT_TYPES",
    "MANIFEST_FILE",
    "MAX_DOCUMENT_BYTES",
    "MISSING_SUBJECT",
    "ODRL_CONTEXT",
    "RESULT_COLUMNS",
    "AggregateQuery",
    "AgreementTerms",
    "Agreements",
    "AuditAnchor",
    "Catalogue",
    "CatalogueColumn",
    "CatalogueItem",
    "CataloguePayload",
    "Countersignature",
    "DataRequest",
    "DataSharingAgreement",
    "Deadlines",
    "Decision",
    "DocumentType",
    "Documents",
    "Exchange",
    "GrantedColumn",
    "Limits",
    "Principals",
    "Received",
    "Release",
    "ReleaseManifest",
    "ReleaseRecord",
    "ReleasedColumn",
    "RequestRecord",
    "Requests",
    "SignedDocument",
    "TrustedKeys",
    "covers",
    "document_schemas",
    "end_of_working_days",
    "from_odrl",
    "is_provisional",
    "is_working_day",
    "odrl_document_loader",
    "read_releases",
    "terms_digest",
    "to_odrl",
]
