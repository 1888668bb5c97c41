"""The records of the sharing workflow: catalogue items, requests, decisions and agreements.

Every record that crosses between departments travels as the payload of a signed document
(:mod:`govshare.exchange._documents`). Free text may be Chinese or English, but never holds
something shaped like a resident ID or mobile number: that would reach the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from govshare._models import Record, is_stored
from govshare.exchange._calendar import is_provisional
from govshare.identifiers import refuse_identifier
from govshare.tokens import AgreementStatus
from govshare.types import AgreementId, CaseRef, Code, DepartmentId, Principal

__all__ = [
    "AgreementTerms",
    "CatalogueColumn",
    "CatalogueItem",
    "DataRequest",
    "DataSharingAgreement",
    "Decision",
    "GrantedColumn",
    "Limits",
    "Principals",
    "RequestRecord",
]

Department = DepartmentId
ItemId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
ColumnName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
RequestId = Annotated[str, Field(pattern=r"^rq-[0-9a-f]{32}$")]
Title = Annotated[str, Field(min_length=1, max_length=200)]
FreeText = Annotated[str, Field(min_length=1, max_length=2000)]
Texts = Annotated[tuple[FreeText, ...], Field(max_length=50)]

ShareAttribute = Literal["unconditional", "conditional", "not-shared"]
"""无条件共享 / 有条件共享 / 不予共享."""
DataGrade = Literal["core", "important", "general"]
"""GB/T 43697-2024 data grades: 核心数据 / 重要数据 / 一般数据."""
UpdateFrequency = Literal[
    "real-time", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular"
]
ShareMode = Literal["interface", "file", "database", "verification"]
"""接口服务 / 文件 / 库表 / 查询核验."""
UseType = Literal[
    "administrative-basis", "work-reference", "data-verification", "business-coordination"
]
"""作为行政依据 / 工作参考 / 数据校核 / 业务协同."""
IdentifierKind = Literal["resident_id", "mobile", "name"]
Treatment = Literal["release", "aggregate-only", "pseudonymise", "drop"]


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, _Checked):
        return []  # it checked its own texts when it was built
    if isinstance(value, Record):
        return [t for item in value.__dict__.values() for t in _texts(item)]
    if isinstance(value, tuple | list):
        return [t for item in value for t in _texts(item)]
    return []


class _Checked(Record):
    """A record none of whose texts looks like a resident ID or mobile number."""

    @model_validator(mode="after")
    def _no_raw_identifiers(self, info: ValidationInfo) -> Any:
        if is_stored(info):
            return self  # read back from this store: checked when it was written
        texts = [t for item in self.__dict__.values() for t in _texts(item)]
        for text in texts:
            refuse_identifier(text, "a text of this record")  # it would reach the audit log
        return self


class CatalogueColumn(_Checked):
    """One column of a catalogue item (数据项).

    Attributes:
        name: the column's name in the data (lower-case, e.g. ``"id_number"``).
        title_zh / title_en: its title in Chinese and English.
        category: its data category, from the consent vocabulary (e.g. ``"income"``).
        identifier: whether it identifies a person (a resident ID, mobile number or name).
        kind: for an identifier, which kind (how it is pseudonymised).
    """

    name: ColumnName
    title_zh: Title
    title_en: Title
    category: Code
    identifier: bool = False
    kind: IdentifierKind | None = None

    @model_validator(mode="after")
    def _kind(self) -> CatalogueColumn:
        if self.identifier != (self.kind is not None):
            raise ValueError("an identifier column names its kind, and only an identifier does")
        return self


class CatalogueItem(_Checked):
    """One item of a department's shared-data catalogue (政务数据目录), at one version.

    Attributes:
        item_id: stable id of the item (lower-case, e.g. ``"low-income-households"``).
        version: its version; :meth:`Catalogue.publish` assigns the next one.
        provider: the department that publishes and provides it (filled in on publish).
        source_department: the department that collects the data at source (数源部门).
        title_zh / title_en, description_zh / description_en: what it is.
        columns: its columns, each with a data category.
        share: ``unconditional`` / ``conditional`` / ``not-shared``.
        conditions: what a requester must meet (required for a conditional item).
        legal_basis: the law or regulation that bars sharing (required for a not-shared item).
        grade: GB/T 43697-2024 data grade (``core`` / ``important`` / ``general``).
        update_frequency: how often the data is updated.
        share_mode: how it is supplied (``interface``, ``file``, ``database``, ``verification``).
        published_at: when this version was published (filled in on publish).
    """

    item_id: ItemId
    version: Annotated[int, Field(ge=1)] = 1
    provider: Department | None = None
    source_department: Department
    title_zh: Title
    title_en: Title
    description_zh: FreeText
    description_en: FreeText
    columns: Annotated[tuple[CatalogueColumn, ...], Field(min_length=1, max_length=500)]
    share: ShareAttribute
    conditions: Texts = ()
    legal_basis: FreeText | None = None
    grade: DataGrade
    update_frequency: UpdateFrequency
    share_mode: ShareMode
    published_at: AwareDatetime | None = None

    @field_validator("published_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _share_rules(self) -> CatalogueItem:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        if self.share == "conditional" and not self.conditions:
            raise ValueError("a conditional item states its conditions")
        if self.share == "not-shared" and self.legal_basis is None:
            raise ValueError("a not-shared item needs the legal basis that bars sharing")
        return self

    def column(self, name: str) -> CatalogueColumn | None:
        """The column called *name*, if the item has one."""
        return next((c for c in self.columns if c.name == name), None)


class DataRequest(_Checked):
    """A department's request for a catalogue item (共享申请), as the requester signs it.

    Attributes:
        request_id: unique id (``rq-`` and 32 hex digits).
        requester / provider: the requesting and the providing department.
        item_id / item_version: the catalogue item, at the version the requester saw.
        columns: the columns asked for (the minimum necessary).
        purpose: the one purpose (a vocabulary code).
        legal_basis: the PIPL Art. 13 basis for the processing (a vocabulary code).
        duty_basis: the statutory duty the purpose serves (the law and article).
        use_type: how the data will be used (行政依据, 工作参考, 数据校核, 业务协同).
        justification: why the data is needed for that duty.
        principals: the requester's officials or systems who will act under the agreement.
        case_ref: the requester's case or file reference.
        valid_until: until when the data is needed (the agreement's requested expiry).
        submitted_at: when it was signed.
    """

    request_id: RequestId
    requester: Department
    provider: Department
    item_id: ItemId
    item_version: Annotated[int, Field(ge=1)]
    columns: Annotated[tuple[ColumnName, ...], Field(min_length=1, max_length=500)]
    purpose: Code
    legal_basis: Code
    duty_basis: FreeText
    use_type: UseType
    justification: FreeText
    principals: Annotated[tuple[Principal, ...], Field(min_length=1, max_length=100)]
    case_ref: CaseRef
    valid_until: AwareDatetime
    submitted_at: AwareDatetime

    @field_validator("valid_until", "submitted_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> DataRequest:
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("columns must be unique")
        if len(set(self.principals)) != len(self.principals):
            raise ValueError("principals must be unique")
        if self.requester == self.provider:
            raise ValueError("a department does not request its own data")
        if self.valid_until <= self.submitted_at:
            raise ValueError("valid_until must be after submitted_at")
        return self


class GrantedColumn(_Checked):
    """A column the agreement grants, with its category and how it is released.

    Attributes:
        name: the column.
        category: its data category.
        identifier: whether it identifies a person.
        kind: for an identifier, which kind.
        treatment: ``pseudonymise`` (into the requester's domain) or ``drop`` for an
            identifier; ``release`` or ``aggregate-only`` (DP statistics only) otherwise.
    """

    name: ColumnName
    category: Code
    identifier: bool = False
    kind: IdentifierKind | None = None
    treatment: Treatment

    @model_validator(mode="after")
    def _treatment(self) -> GrantedColumn:
        allowed = ("pseudonymise", "drop") if self.identifier else ("release", "aggregate-only")
        if self.treatment not in allowed:
            raise ValueError(f"column {self.name}: treatment is one of {', '.join(allowed)}")
        return self


class Limits(Record):
    """What the agreement allows in total, charged atomically as data is released.

    Attributes:
        max_releases: how many releases (``None``: no limit).
        max_rows: how many rows over all releases (``None``: no limit).
        epsilon: total DP epsilon for the columns released only as aggregates.
    """

    max_releases: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None
    max_rows: Annotated[int, Field(ge=1, le=10**15)] | None = None
    epsilon: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None


class Principals(Record):
    """Who may act under the agreement, on each side."""

    provider: Annotated[tuple[Principal, ...], Field(max_length=100)] = ()
    requester: Annotated[tuple[Principal, ...], Field(min_length=1, max_length=100)]


class AgreementTerms(_Checked):
    """The terms both departments sign: what may be shared, with whom, why and how.

    The provider signs them when it approves a request; the requester countersigns them on
    receipt. They never change; a new version would be a new agreement.

    Attributes:
        agreement_id: unique id (``ag-`` and 32 hex digits).
        version: the terms' version (1).
        provider / requester: the departments.
        request_id: the request it answers.
        item_id / item_version: the catalogue item and version it grants.
        columns: the columns granted, each with its category and treatment.
        purpose / legal_basis / duty_basis / use_type: as the request stated them.
        case_ref: the request's case reference.
        principals: who may act under it, on each side.
        conditions: the provider's conditions of use.
        limits: releases, rows and DP epsilon in total.
        retention_days: how long the requester may keep released data.
        disposal: what happens after retention (``delete``).
        effective_from / expires_at: when it applies.
        onward_transfer: always ``"prohibited"``: the data may not be passed on.
        signed_at: when the provider signed them.
    """

    agreement_id: AgreementId
    version: Annotated[int, Field(ge=1)] = 1
    provider: Department
    requester: Department
    request_id: RequestId
    item_id: ItemId
    item_version: Annotated[int, Field(ge=1)]
    columns: Annotated[tuple[GrantedColumn, ...], Field(min_length=1, max_length=500)]
    purpose: Code
    legal_basis: Code
    duty_basis: FreeText
    use_type: UseType
    case_ref: CaseRef
    principals: Principals
    conditions: Texts = ()
    limits: Limits = Limits()
    retention_days: Annotated[int, Field(ge=1, le=36_500)]
    disposal: Literal["delete"] = "delete"
    effective_from: AwareDatetime
    expires_at: AwareDatetime
    onward_transfer: Literal["prohibited"] = "prohibited"
    signed_at: AwareDatetime

    @field_validator("effective_from", "expires_at", "signed_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> AgreementTerms:
        if self.effective_from >= self.expires_at:
            raise ValueError("effective_from must be before expires_at")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        if self.provider == self.requester:
            raise ValueError("the provider and the requester are different departments")
        return self

    @property
    def categories(self) -> tuple[str, ...]:
        """The data categories of the granted columns (sorted, unique)."""
        return tuple(sorted({c.category for c in self.columns}))


class DataSharingAgreement(Record):
    """An agreement as one side holds it: the signed terms and their local state.

    Attributes:
        terms: the signed :class:`AgreementTerms`.
        side: ``"provider"`` or ``"requester"`` (which side this store is).
        status: at the instant it was read: ``pending`` (awaiting the requester's
            countersignature, or before ``effective_from``), ``active``, ``suspended``,
            ``expired`` or ``terminated``.
        countersigned_at: when the requester countersigned (``None``: not yet).
        releases / rows / epsilon: what has been charged against the limits so far.
        updated_at: the last status change.
    """

    terms: AgreementTerms
    side: Literal["provider", "requester"]
    status: AgreementStatus
    countersigned_at: AwareDatetime | None = None
    releases: Annotated[int, Field(ge=0)] = 0
    rows: Annotated[int, Field(ge=0)] = 0
    epsilon: Annotated[float, Field(ge=0)] = 0.0
    updated_at: AwareDatetime

    @property
    def id(self) -> str:
        """The agreement id."""
        return self.terms.agreement_id

    @property
    def purpose(self) -> str:
        """The one purpose it allows."""
        return self.terms.purpose

    @property
    def categories(self) -> tuple[str, ...]:
        """The data categories it grants."""
        return self.terms.categories


class Decision(_Checked):
    """The provider's answer to a request (答复), as it signs it.

    Attributes:
        request_id / provider / requester: the request answered and its parties.
        approved: whether it is approved.
        reasons: the written reasons (required for a refusal).
        conditions: conditions of use attached to an approval.
        decided_at: when.
        automatic: an unconditional item, approved on receipt.
        supply_by: the end of the last working day to supply the data (approvals).
        agreement: the terms the provider signs, for an approval.

    ``supply_by_provisional`` says whether *supply_by* was counted Monday to Friday because the
    working-day calendar lacks a year it spans (see ``govshare.exchange`` deadlines).
    """

    request_id: RequestId
    provider: Department
    requester: Department
    approved: bool
    reasons: Texts = ()
    conditions: Texts = ()
    decided_at: AwareDatetime
    automatic: bool = False
    supply_by: AwareDatetime | None = None
    agreement: AgreementTerms | None = None

    @field_validator("decided_at", "supply_by")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def supply_by_provisional(self) -> bool:
        """Whether :attr:`supply_by` is a provisional (weekday-only) count."""
        return self.supply_by is not None and is_provisional(self.decided_at, self.supply_by)

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if not self.approved and not self.reasons:
            raise ValueError("a refusal states its reasons")
        if self.approved != (self.agreement is not None):
            raise ValueError("an approval carries the agreement, and only an approval does")
        return self


class RequestRecord(Record):
    """A request as one side holds it, with its status and deadline.

    Attributes:
        request: the signed request.
        side: ``"provider"`` or ``"requester"``.
        status: ``pending``, ``approved`` or ``refused``.
        received_at: when the provider received it (provider side).
        decide_by: the provider's deadline, as an instant: the end of the last working day
            (Beijing time) it has to decide.
        decision: the decision, once made or imported.
    """

    request: DataRequest
    side: Literal["provider", "requester"]
    status: Literal["pending", "approved", "refused"]
    received_at: AwareDatetime | None = None
    decide_by: AwareDatetime | None = None
    decision: Decision | None = None

    @property
    def id(self) -> str:
        """The request id."""
        return self.request.request_id

    @property
    def deadline_provisional(self) -> bool:
        """Whether :attr:`decide_by` was counted Monday to Friday because the working-day
        calendar lacks a year it spans (upgrade ``chinese-calendar`` once the State Council has
        published it)."""
        if self.received_at is None or self.decide_by is None:
            return False
        return is_provisional(self.received_at, self.decide_by)

    def overdue(self, at: datetime) -> bool:
        """Whether it is still pending past its deadline at instant *at*."""
        return self.status == "pending" and self.decide_by is not None and at >= self.decide_by
