"""Records that cross the registry's boundary: consent records, events, decisions and reports."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from govshare._models import Record
from govshare.identifiers import FREE_TEXT
from govshare.types import Code, DepartmentId

__all__ = [
    "SCHEMA_VERSION",
    "ConsentEvent",
    "ConsentRecord",
    "ConsentStatus",
    "ConsentType",
    "Decision",
    "Guardian",
    "ImportProblem",
    "ImportReport",
    "Notice",
    "Reason",
    "Recipient",
    "StatutoryBasis",
    "SubjectExport",
]

SCHEMA_VERSION: Final = "govshare-consent/1"

Codes = Annotated[tuple[Code, ...], Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500), FREE_TEXT]
RecordId = Annotated[str, Field(pattern=r"^cr-[0-9a-f]{32}$")]
Pseudonym = Annotated[str, Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9:._-]+$")]
ConsentType = Literal["separate", "written", "explicit"]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class Reason(StrEnum):
    """Why :meth:`ConsentRegistry.check` allowed or refused, as a stable machine-readable code."""

    ALLOWED = "allowed"
    STATUTORY = "statutory-basis"
    NO_RECORD = "no-record"
    WRONG_RECIPIENT = "wrong-recipient"
    PURPOSE_NOT_COVERED = "purpose-not-covered"
    CATEGORY_NOT_COVERED = "category-not-covered"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SEPARATE_CONSENT_REQUIRED = "separate-consent-required"
    GUARDIAN_REQUIRED = "guardian-required"
    INVALID_SUBJECT = "invalid-subject"


class Notice(Record):
    """The privacy notice shown when consent was asked (PIPL Art. 17): where, which version, digest."""

    uri: Annotated[str, Field(min_length=1, max_length=500), FREE_TEXT]
    version: Annotated[str, Field(min_length=1, max_length=50), FREE_TEXT]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Guardian(Record):
    """Who consented for a minor under 14 (PIPL Art. 31): the guardian's registry pseudonym."""

    subject: Pseudonym
    relationship: Annotated[str, Field(min_length=1, max_length=50), FREE_TEXT] = "guardian"


class Recipient(Record):
    """The processor the information is provided to (PIPL Art. 23: name, contact, purpose, method, categories)."""

    id: DepartmentId
    name: Text
    contact: Annotated[str, Field(max_length=500), FREE_TEXT] | None = None
    purposes: Codes
    method: Annotated[str, Field(min_length=1, max_length=100), FREE_TEXT] = "data-sharing-platform"
    categories: Codes


class ConsentRecord(Record):
    """One consent (or other per-person legal basis), as granted: ISO/IEC TS 27560 plus PIPL fields.

    A record never changes once stored; withdrawal and renewal are :class:`ConsentEvent` s, and the
    state at an instant is derived from them. The subject and guardian are registry pseudonyms,
    never raw identifiers.
    """

    schema_version: Literal["govshare-consent/1"] = SCHEMA_VERSION
    record_id: RecordId
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")] = "CN"
    language: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "zh-CN"
    notice: Notice | None = None
    subject: Pseudonym
    minor: bool = False
    guardian: Guardian | None = None
    controller: DepartmentId
    recipients: Annotated[tuple[Recipient, ...], Field(min_length=1, max_length=1)]
    purposes: Codes
    legal_basis: Code
    categories: Codes
    sensitive_categories: tuple[Code, ...] = ()
    consent_type: tuple[ConsentType, ...] = ("separate",)
    collection_method: Annotated[str, Field(min_length=1, max_length=100), FREE_TEXT] = (
        "online-form"
    )
    withdrawal_method: Annotated[str, Field(min_length=1, max_length=200), FREE_TEXT] = (
        "govshare consent withdraw"
    )
    storage_location: Annotated[str, Field(min_length=1, max_length=100), FREE_TEXT] = "CN"
    retention_period: (
        Annotated[str, Field(pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$", min_length=3)] | None
    ) = None
    granted_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    impact_assessment: Annotated[str, Field(min_length=1, max_length=200), FREE_TEXT] | None = None

    @field_validator("granted_at", "expires_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @model_validator(mode="after")
    def _consistent(self) -> ConsentRecord:
        if self.expires_at is not None and self.expires_at <= self.granted_at:
            raise ValueError("expires_at must be after granted_at")
        if not set(self.sensitive_categories) <= set(self.categories):
            raise ValueError("sensitive_categories must be among categories")
        return self

    @property
    def recipient(self) -> str:
        """The recipient's id (records name exactly one recipient)."""
        return self.recipients[0].id

    @property
    def separate(self) -> bool:
        """Whether this is a separate consent (PIPL Art. 23, 29)."""
        return "separate" in self.consent_type


class ConsentEvent(Record):
    """One entry of a record's append-only history.

    Attributes:
        seq: position in the registry's history (increasing).
        record_id: the record it concerns.
        subject: the subject's registry pseudonym.
        kind: ``granted``, ``withdrawn`` or ``renewed``.
        at: when it took effect.
        expires_at: for ``granted`` and ``renewed``: the expiry from then on.
        recorded_at: when the registry stored it.
    """

    seq: int
    record_id: RecordId
    subject: Pseudonym
    kind: Literal["granted", "withdrawn", "renewed"]
    at: AwareDatetime
    expires_at: AwareDatetime | None = None
    recorded_at: AwareDatetime


class ConsentStatus(Record):
    """A record's state at an instant, derived from its events."""

    record: ConsentRecord
    at: AwareDatetime
    state: Literal["not-yet-granted", "active", "withdrawn", "expired"]
    expires_at: AwareDatetime | None
    withdrawn_at: AwareDatetime | None


class Decision(Record):
    """The answer of :meth:`ConsentRegistry.check`.

    Attributes:
        allowed: whether the processing has a lawful basis at ``at``.
        reason: machine-readable why (``allowed``/``statutory-basis`` when allowed).
        basis: the legal-basis code relied on (``consent``, ``legal-obligation``, …) when allowed.
        record_id: the consent record decided on (the closest one when refused), if any.
        statutory_basis_id: the statutory basis relied on, if any.
        at: the instant the decision is for.
    """

    allowed: bool
    reason: Reason
    basis: Code | None = None
    record_id: RecordId | None = None
    statutory_basis_id: Annotated[str, Field(pattern=r"^sb-[0-9a-f]{32}$")] | None = None
    at: AwareDatetime


class StatutoryBasis(Record):
    """A declared legal basis other than consent (PIPL Art. 13(2)-(7), Art. 34) for a recipient and purpose.

    Rows for this recipient, purpose and categories pass the filter without consent while it is in force.
    """

    basis_id: Annotated[str, Field(pattern=r"^sb-[0-9a-f]{32}$")]
    recipient: DepartmentId
    purpose: Code
    categories: Codes
    legal_basis: Code
    law: Text
    effective_from: AwareDatetime
    effective_until: AwareDatetime | None = None
    declared_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> StatutoryBasis:
        if self.legal_basis == "consent":
            raise ValueError("a statutory basis cannot be consent")
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        return self


class SubjectExport(Record):
    """Everything the registry holds about one person (PIPL Art. 45 access and copy requests)."""

    subject: Pseudonym
    exported_at: AwareDatetime
    records: tuple[ConsentRecord, ...]
    events: tuple[ConsentEvent, ...]
    as_guardian: tuple[ConsentRecord, ...] = ()


class ImportProblem(Record):
    """One problem found in an import file: 1-based data row, column, what is wrong (no values shown)."""

    row: int
    field: str
    problem: str


class ImportReport(Record):
    """The outcome of a bulk import."""

    rows: int
    imported: int
    problems: tuple[ImportProblem, ...]
    record_ids: tuple[RecordId, ...]

    @property
    def ok(self) -> bool:
        """Whether the file had no problems."""
        return not self.problems
