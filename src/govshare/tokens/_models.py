"""The token's claim set and what a successful verification returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, Field, field_serializer, field_validator, model_validator

from govshare._models import Record
from govshare.identifiers import refuse_identifier
from govshare.types import AgreementId, CaseRef, DepartmentId, Jti, KeyId, Principal, Slug

__all__ = ["DETAIL_TYPE", "AuthorizationDetail", "Claims", "Grant"]

DETAIL_TYPE: Final = "govshare_data_access"
MAX_CHAIN: Final = 16
"""How many exchanges deep a token may be (the length of its ``ancestors`` claim)."""


class AuthorizationDetail(Record):
    """One RFC 9396 ``authorization_details`` entry: what the token allows, and why.

    Attributes:
        type: always ``"govshare_data_access"``.
        purpose: the one purpose the data may be used for.
        legal_basis: ``"consent"`` or a statutory basis named by the agreement (e.g.
            ``"statutory-duty"``).
        categories: the data categories granted (sorted, unique, at least one).
        actions: what may be done (default ``("read",)``).
        dataset: the dataset it is limited to, if any.
        consent_record: the consent record id it rests on, if exactly one.
        agreement: the data-sharing agreement it acts under, if any.
        case_ref: the reason for this query under the agreement (the requester's case number).
        principal: the requester's official or system acting under the agreement.
    """

    type: Literal["govshare_data_access"] = DETAIL_TYPE
    purpose: Slug
    legal_basis: Slug
    categories: Annotated[tuple[Slug, ...], Field(min_length=1, max_length=64)]
    actions: Annotated[tuple[Slug, ...], Field(min_length=1, max_length=16)] = ("read",)
    dataset: Slug | None = None
    consent_record: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")] | None = None
    agreement: AgreementId | None = None
    case_ref: CaseRef | None = None
    principal: Principal | None = None

    @field_validator("categories", "actions")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    def to_claim(self) -> dict[str, Any]:
        """The JSON object as it sits in the token (absent optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


class Claims(Record):
    """The full claim set of a govshare token (PASETO registered claims plus one detail).

    Times are RFC 3339 strings in the token and aware UTC datetimes here.
    """

    iss: DepartmentId
    sub: DepartmentId
    aud: DepartmentId
    iat: AwareDatetime
    nbf: AwareDatetime
    exp: AwareDatetime
    jti: Jti
    max_uses: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None
    parent: Jti | None = None
    ancestors: Annotated[tuple[Jti, ...], Field(min_length=1, max_length=MAX_CHAIN)] | None = None
    authorization_details: Annotated[
        tuple[AuthorizationDetail, ...], Field(min_length=1, max_length=1)
    ]

    @field_validator("iat", "nbf", "exp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_serializer("iat", "nbf", "exp")
    def _rfc3339(self, value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    @model_validator(mode="after")
    def _consistent(self) -> Claims:
        if not self.nbf < self.exp:
            raise ValueError("nbf must be before exp")
        if self.ancestors is not None and self.ancestors[-1:] != (self.parent,):
            raise ValueError("the last of ancestors must be the parent")
        d = self.detail
        texts = [self.iss, self.sub, self.aud, d.purpose, d.legal_basis, *d.categories, *d.actions]
        optional = (d.dataset, d.consent_record, d.agreement, d.case_ref, d.principal)
        texts += [t for t in optional if t is not None]
        for text in texts:
            refuse_identifier(text, "a token claim")  # use record ids, never identifiers
        return self

    @property
    def lineage(self) -> tuple[str, ...]:
        """Every token this one was exchanged from, oldest first (empty for an original).

        Tokens exchanged before the ``ancestors`` claim existed name only their ``parent``.
        """
        if self.ancestors is not None:
            return self.ancestors
        return () if self.parent is None else (self.parent,)

    @property
    def detail(self) -> AuthorizationDetail:
        """The single authorization detail."""
        return self.authorization_details[0]

    def to_payload(self) -> dict[str, Any]:
        """The JSON claim set as it sits in the token (absent optional claims left out)."""
        doc = self.model_dump(mode="json", exclude_none=True)
        doc["authorization_details"] = [self.detail.to_claim()]
        return doc


class Grant(Record):
    """A verified token: what the presenter may do, as the verifier accepted it.

    Attributes:
        claims: the verified claim set.
        kid: the key id that signed it.
        uses: how many times it has now been used at this store (0 when not consumed and
            never used).
    """

    claims: Claims
    kid: KeyId
    uses: Annotated[int, Field(ge=0)]

    @property
    def jti(self) -> str:
        """The token id."""
        return self.claims.jti

    @property
    def purpose(self) -> str:
        """The granted purpose."""
        return self.claims.detail.purpose

    @property
    def categories(self) -> tuple[str, ...]:
        """The granted data categories."""
        return self.claims.detail.categories

    @property
    def remaining(self) -> int | None:
        """Uses left at this store (``None``: unlimited)."""
        if self.claims.max_uses is None:
            return None
        return max(0, self.claims.max_uses - self.uses)
