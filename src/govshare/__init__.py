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
    AudienceMismatch,
    BudgetExceeded,
    ConsentError,
    FeatureNotEnabled,
    GovShareError,
    InputError,
    IntegrityError,
    InvalidToken,
    KeyFileCorrupted,
    KeyNotFound,
    KeyStoreError,
    LogTampered,
    NaiveDatetimeError,
    ProofError,
    PurposeMismatch,
    SchemaTooNew,
    SignatureError,
    StorageError,
    StoreUnavailable,
    TokenExpired,
    TokenNotYetValid,
    TokenReplayed,
    TokenRevoked,
    UntrustedKey,
    WrongPassphrase,
)
from govshare.keys import KeyInfo, KeyRing
from govshare.storage import Store

__all__ = [
    "AudienceMismatch",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "BudgetExceeded",
    "ConsentError",
    "ConsistencyProof",
    "FeatureNotEnabled",
    "GovShareError",
    "InclusionProof",
    "InputError",
    "IntegrityError",
    "InvalidToken",
    "KeyFileCorrupted",
    "KeyInfo",
    "KeyNotFound",
    "KeyRing",
    "KeyStoreError",
    "LogTampered",
    "NaiveDatetimeError",
    "ProofError",
    "PurposeMismatch",
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
    "UntrustedKey",
    "VerifyReport",
    "Workspace",
    "WrongPassphrase",
    "__version__",
    "open_audit_log",
]
