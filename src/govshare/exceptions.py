"""The govshare exception hierarchy.

Every error govshare raises on purpose derives from :class:`GovShareError`, so a caller can catch the
whole family in one place. Each failure kind has its own subclass; verification failures form families
(:class:`InvalidToken`, :class:`IntegrityError`) whose subclasses name the reason, so a caller may catch
the family while an auditor still sees *why*.

Messages never contain key material or raw personal identifiers; they name the object (a key id, a
row number, an entry index), never its secret content.

The tree::

    GovShareError
    ├── InputError                 bad input from the caller (also a ValueError)
    │   ├── NaiveDatetimeError     a datetime without a timezone
    │   └── IdentifierInText       a text holds something shaped like a resident ID, phone or card
    ├── FeatureNotEnabled          an opt-in gate is closed; the message names the call that opens it
    ├── StorageError               the store cannot be reached or used
    │   ├── StoreUnavailable       the database does not answer
    │   └── SchemaTooNew           the store was written by a newer govshare
    ├── KeyStoreError              the key file cannot be used
    │   ├── KeyNotFound            no key with that name / id
    │   ├── WrongPassphrase        the key file does not open with this passphrase
    │   └── KeyFileCorrupted       the key file is malformed or was altered
    ├── IntegrityError             a verification of the audit log, a proof or a signature failed
    │   ├── ProofError             an inclusion or consistency proof does not verify
    │   ├── SignatureError         a checkpoint or note signature does not verify
    │   ├── LogTampered            stored log entries were modified, deleted, inserted or reordered
    │   └── InvalidDocument        a signed document from another department was refused
    │       ├── MalformedDocument          not a well-formed govshare signed document
    │       ├── UntrustedSigner            not signed by a trusted document key of its issuer
    │       ├── DocumentSignatureInvalid   forged, or altered after signing
    │       ├── DocumentReplayed           already imported here
    │       ├── DocumentMismatch           authentic, but not one this step accepts
    │       └── ReleaseTampered            a release's data or checkpoint does not match its manifest
    ├── ConsentError               no lawful basis for the requested processing
    ├── InvalidToken               an access token was refused
    │   ├── TokenExpired
    │   ├── TokenNotYetValid
    │   ├── TokenRevoked
    │   ├── TokenReplayed
    │   ├── AudienceMismatch
    │   ├── PurposeMismatch
    │   ├── UntrustedKey
    │   ├── MalformedToken     not a well-formed v4.public token of ours (format, footer, claims)
    │   ├── TokenSignatureInvalid
    │   ├── AgreementMismatch  its agreement is unknown here, or the token falls outside it
    │   └── AgreementInactive  its agreement is not active at that instant
    ├── ExchangeError              a catalogue, request or agreement step is not allowed
    │   ├── RecordNotFound         no catalogue item, request or agreement with that id here
    │   ├── RequestClosed          the request was already decided
    │   ├── NotShareable           the catalogue item may not be shared (不予共享)
    │   ├── AgreementStateError    the agreement cannot make that status change
    │   └── AgreementLimitReached  a release would exceed the agreement's release or row limit
    └── BudgetExceeded             a differential-privacy release would overspend its budget
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgreementInactive",
    "AgreementLimitReached",
    "AgreementMismatch",
    "AgreementStateError",
    "AudienceMismatch",
    "BudgetExceeded",
    "ConsentError",
    "DocumentMismatch",
    "DocumentReplayed",
    "DocumentSignatureInvalid",
    "ExchangeError",
    "FeatureNotEnabled",
    "GovShareError",
    "IdentifierInText",
    "InputError",
    "IntegrityError",
    "InvalidDocument",
    "InvalidToken",
    "KeyFileCorrupted",
    "KeyNotFound",
    "KeyStoreError",
    "LogTampered",
    "MalformedDocument",
    "MalformedToken",
    "NaiveDatetimeError",
    "NotShareable",
    "ProofError",
    "PurposeMismatch",
    "RecordNotFound",
    "ReleaseTampered",
    "RequestClosed",
    "SchemaTooNew",
    "SignatureError",
    "StorageError",
    "StoreUnavailable",
    "TokenExpired",
    "TokenNotYetValid",
    "TokenReplayed",
    "TokenRevoked",
    "TokenSignatureInvalid",
    "UntrustedKey",
    "UntrustedSigner",
    "WrongPassphrase",
]


class GovShareError(Exception):
    """Root of every error govshare raises on purpose.

    ``pending_audit`` holds audit events (``(type, data)`` pairs) that an operation run in the
    caller's transaction (``conn=…``) could not write, because that transaction is about to roll
    back: a refused token, say. Whoever owns the transaction records them after the rollback;
    :meth:`govshare.Workspace.transaction` does so itself.
    """

    pending_audit: tuple[tuple[str, dict[str, Any]], ...] = ()


class InputError(GovShareError, ValueError):
    """The caller passed a value govshare cannot accept (wrong type, range or format)."""


class NaiveDatetimeError(InputError):
    """A datetime without a timezone was passed; govshare only accepts aware datetimes."""


class IdentifierInText(InputError):
    """A text that would be recorded (in the audit log, a token, a signed document) holds something
    shaped like a resident ID, mobile or bank-card number. The message names the field, never the
    text: record a pseudonym or a record id instead."""


class FeatureNotEnabled(GovShareError):
    """An opt-in feature was used without enabling it; the message names the call that enables it."""


class StorageError(GovShareError):
    """The store cannot be opened, reached or used."""


class StoreUnavailable(StorageError):
    """The database server does not answer, or the database file cannot be opened."""


class SchemaTooNew(StorageError):
    """The store's schema was written by a newer govshare than the one running."""


class KeyStoreError(GovShareError):
    """The key file cannot be read, opened or used."""


class KeyNotFound(KeyStoreError):
    """No key with the requested name or key id exists (or it is retired for this use)."""


class WrongPassphrase(KeyStoreError):
    """The key file does not decrypt with the given passphrase."""


class KeyFileCorrupted(KeyStoreError):
    """The key file is malformed, truncated or was altered."""


class IntegrityError(GovShareError):
    """A verification failed: the audit log, a Merkle proof, a checkpoint or a signature."""


class ProofError(IntegrityError):
    """A Merkle inclusion or consistency proof does not verify."""


class SignatureError(IntegrityError):
    """A signature on a checkpoint or note does not verify, or no trusted key signed it."""


class LogTampered(IntegrityError):
    """Stored audit entries were modified, deleted, inserted or reordered.

    ``index`` is the first entry found wrong (``None`` when only a checkpoint comparison failed) and
    ``kind`` is one of ``"modified"``, ``"deleted"``, ``"inserted"``, ``"reordered"``,
    ``"nodes"`` (stored tree nodes disagree with the entries) or ``"checkpoint"``.
    """

    def __init__(self, message: str, *, index: int | None, kind: str) -> None:
        super().__init__(message)
        self.index = index
        self.kind = kind


class InvalidDocument(IntegrityError):
    """A signed document from another department was refused; subclasses name the reason.

    A refused document is recorded once in the receiving department's audit log and leaves nothing
    else in its store.
    """


class MalformedDocument(InvalidDocument):
    """Not a well-formed govshare signed document (JSON, envelope or payload)."""


class UntrustedSigner(InvalidDocument):
    """The document's key is not an active, trusted document-signing key of the department it
    names as its issuer (unknown, retired, a token key, or another department's key)."""


class DocumentSignatureInvalid(InvalidDocument):
    """The document's signature does not verify: it was forged, or altered after signing."""


class DocumentReplayed(InvalidDocument):
    """A document with this id was already imported here (a replayed decision, request, ...)."""


class DocumentMismatch(InvalidDocument):
    """The document is authentic but not one this step accepts: another type or audience, an
    unknown item or request, or terms outside the catalogue item."""


class ReleaseTampered(InvalidDocument):
    """A release's data does not hash to its signed manifest's content hash, or the manifest's
    audit checkpoint does not verify or does not cover the release's event."""


class ConsentError(GovShareError):
    """There is no lawful basis (consent or statute) for the requested processing."""


class InvalidToken(GovShareError):
    """An access token was refused; subclasses name the reason."""


class TokenExpired(InvalidToken):
    """The token's expiry time has passed."""


class TokenNotYetValid(InvalidToken):
    """The token's not-before time has not arrived."""


class TokenRevoked(InvalidToken):
    """The token was revoked by its issuer."""


class TokenReplayed(InvalidToken):
    """The token was already used as many times as it allows."""


class AudienceMismatch(InvalidToken):
    """The token was issued for another department."""


class PurposeMismatch(InvalidToken):
    """The token does not grant this purpose or these data categories."""


class UntrustedKey(InvalidToken):
    """The token was signed by a key this department does not trust (or that is retired)."""


class MalformedToken(InvalidToken):
    """The string is not a well-formed PASETO v4.public token with govshare's footer and claims."""


class TokenSignatureInvalid(InvalidToken):
    """The token's signature does not verify: it was forged or altered (or its bound consent
    record hash differs)."""


class AgreementMismatch(InvalidToken):
    """The token's agreement is unknown here or is not the one asked for, or the token's issuer,
    audience, purpose, categories or principal fall outside the agreement."""


class AgreementInactive(InvalidToken):
    """The token's agreement is not active at that instant: not yet countersigned or effective,
    suspended, expired or terminated."""


class ExchangeError(GovShareError):
    """A catalogue, request or agreement step is not allowed in the current state."""


class RecordNotFound(ExchangeError):
    """No catalogue item, request or agreement with that id exists in this store."""


class RequestClosed(ExchangeError):
    """The request was already decided; a decision is final."""


class NotShareable(ExchangeError):
    """The catalogue item is marked not shared (不予共享), so a request for it cannot be approved."""


class AgreementStateError(ExchangeError):
    """The agreement cannot make that status change (e.g. resume a terminated agreement)."""


class AgreementLimitReached(ExchangeError):
    """A release would exceed the agreement's limit on releases or rows; nothing was released
    or charged."""


class BudgetExceeded(GovShareError):
    """A differentially private release would exceed its privacy budget; nothing was charged."""
