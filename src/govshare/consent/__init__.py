"""The consent registry: ISO/IEC TS 27560 consent records under PIPL rules, with an append-only history.

Use it through a workspace (``ws.consents``) or build a :class:`ConsentRegistry` over a store and
audit log yourself. Subjects are stored only as registry pseudonyms; every change is audited in
its own transaction; :meth:`ConsentRegistry.check` and :meth:`ConsentRegistry.filter` answer for
any instant, and :meth:`ConsentRegistry.snapshot` carries the filter's decisions to where the data is.
"""

from __future__ import annotations

from govshare.consent._filter import ConsentSnapshot, FilterReport, FilterResult
from govshare.consent._models import (
    SCHEMA_VERSION,
    ConsentEvent,
    ConsentRecord,
    ConsentStatus,
    ConsentType,
    Decision,
    Guardian,
    ImportProblem,
    ImportReport,
    Notice,
    Reason,
    Recipient,
    StatutoryBasis,
    SubjectExport,
)
from govshare.consent._registry import ConsentRegistry
from govshare.consent._schema import consent_record_schema
from govshare.consent._store import read_consent_records
from govshare.consent._subjects import RegistryPseudonymiser, SubjectPseudonyms
from govshare.consent._vocabulary import Term, TermKind, Vocabulary

__all__ = [
    "SCHEMA_VERSION",
    "ConsentEvent",
    "ConsentRecord",
    "ConsentRegistry",
    "ConsentSnapshot",
    "ConsentStatus",
    "ConsentType",
    "Decision",
    "FilterReport",
    "FilterResult",
    "Guardian",
    "ImportProblem",
    "ImportReport",
    "Notice",
    "Reason",
    "Recipient",
    "RegistryPseudonymiser",
    "StatutoryBasis",
    "SubjectExport",
    "SubjectPseudonyms",
    "Term",
    "TermKind",
    "Vocabulary",
    "consent_record_schema",
    "read_consent_records",
]
