"""govshare: lawful, minimal and verifiable data sharing between government departments.

Start with :class:`Workspace`::

    import govshare as gs

    ws = gs.Workspace.open("sqlite:///civil.db", department="civil-affairs")
    ws.audit.record("dataset.registered", {"dataset": "income-2026"})
    print(ws.audit.checkpoint())
    ws.audit.verify()

Every exception govshare raises on purpose derives from :class:`GovShareError`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import wrapt

from govshare._i18n import get_language, set_language, use_language
from govshare._version import __version__
from govshare._workspace import Workspace, open_audit_log
from govshare.audit import (
    AuditEvent,
    AuditLog,
    AuditRecord,
    ConsistencyProof,
    InclusionProof,
    SignedCheckpoint,
    VerifyReport,
)
from govshare.exceptions import (
    AgreementInactive,
    AgreementLimitReached,
    AgreementMismatch,
    AgreementStateError,
    AudienceMismatch,
    BudgetExceeded,
    ConsentError,
    DocumentMismatch,
    DocumentReplayed,
    DocumentSignatureInvalid,
    ExchangeError,
    FeatureNotEnabled,
    GovShareError,
    IdentifierInText,
    InputError,
    IntegrityError,
    InvalidDocument,
    InvalidToken,
    KeyFileCorrupted,
    KeyNotFound,
    KeyStoreError,
    LogTampered,
    MalformedDocument,
    MalformedToken,
    NaiveDatetimeError,
    NotShareable,
    ProofError,
    PurposeMismatch,
    RecordNotFound,
    ReleaseTampered,
    RequestClosed,
    SchemaTooNew,
    SignatureError,
    StorageError,
    StoreUnavailable,
    TokenExpired,
    TokenNotYetValid,
    TokenReplayed,
    TokenRevoked,
    TokenSignatureInvalid,
    UntrustedKey,
    UntrustedSigner,
    WrongPassphrase,
)
from govshare.keys import KeyInfo, KeyRing
from govshare.storage import Store

if TYPE_CHECKING:
    from govshare.pseudonym import Pseudonymiser, ValidationReport, pseudonymise

# Capabilities that need pandas are imported on first use, so `import govshare` stays light.
_LAZY = {
    "Pseudonymiser": "govshare.pseudonym",
    "ValidationReport": "govshare.pseudonym",
    "pseudonymise": "govshare.pseudonym",
}


def _register_accessor(_pandas: ModuleType) -> None:
    import govshare.pandas  # noqa: F401  (importing it registers df.govshare)


# df.govshare exists as soon as both govshare and pandas are imported, in either order,
# without `import govshare` importing pandas.
wrapt.register_post_import_hook(_register_accessor, "pandas")


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govshare' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AgreementInactive",
    "AgreementLimitReached",
    "AgreementMismatch",
    "AgreementStateError",
    "AudienceMismatch",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "BudgetExceeded",
    "ConsentError",
    "ConsistencyProof",
    "DocumentMismatch",
    "DocumentReplayed",
    "DocumentSignatureInvalid",
    "ExchangeError",
    "FeatureNotEnabled",
    "GovShareError",
    "IdentifierInText",
    "InclusionProof",
    "InputError",
    "IntegrityError",
    "InvalidDocument",
    "InvalidToken",
    "KeyFileCorrupted",
    "KeyInfo",
    "KeyNotFound",
    "KeyRing",
    "KeyStoreError",
    "LogTampered",
    "MalformedDocument",
    "MalformedToken",
    "NaiveDatetimeError",
    "NotShareable",
    "ProofError",
    "Pseudonymiser",
    "PurposeMismatch",
    "RecordNotFound",
    "ReleaseTampered",
    "RequestClosed",
    "SchemaTooNew",
    "SignatureError",
    "SignedCheckpoint",
    "StorageError",
    "Store",
    "StoreUnavailable",
    "TokenExpired",
    "TokenNotYetValid",
    "TokenReplayed",
    "TokenRevoked",
    "TokenSignatureInvalid",
    "UntrustedKey",
    "UntrustedSigner",
    "ValidationReport",
    "VerifyReport",
    "Workspace",
    "WrongPassphrase",
    "__version__",
    "get_language",
    "open_audit_log",
    "pseudonymise",
    "set_language",
    "use_language",
]
