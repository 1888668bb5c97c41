"""Tokens bound to data-sharing agreements: the lookup tokens needs, and the check it runs.

Agreements live in :mod:`govshare.exchange`, a layer above tokens, so tokens only declares what it
needs (:class:`AgreementLookup`) and the workspace injects exchange's implementation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import Field
from sqlalchemy import Connection

from govshare._models import Record
from govshare.exceptions import AgreementInactive, AgreementMismatch, InputError
from govshare.tokens._models import Claims
from govshare.types import AgreementId, DepartmentId, Slug

__all__ = ["AgreementLookup", "AgreementScope", "AgreementStatus", "check_agreement"]

AgreementStatus = Literal["pending", "active", "suspended", "expired", "terminated"]
"""An agreement's status at one instant (``pending``: not yet countersigned or effective)."""


class AgreementScope(Record):
    """What a token bound to an agreement may be, as the agreement says at one instant.

    Attributes:
        agreement: the agreement id.
        version: the agreement's version.
        status: its status at the instant asked about.
        provider: the department that holds the data (the token's audience).
        requester: the department that receives it (the token's issuer and subject).
        purpose: the one purpose the agreement allows.
        categories: the data categories it grants.
        principals: the requester's principals who may act under it.
    """

    agreement: AgreementId
    version: Annotated[int, Field(ge=1)]
    status: AgreementStatus
    provider: DepartmentId
    requester: DepartmentId
    purpose: Slug
    categories: tuple[Slug, ...]
    principals: tuple[str, ...]


class AgreementLookup(Protocol):
    """Finds an agreement's scope in this store (``govshare.exchange`` provides it)."""

    def scope(self, agreement: str, *, at: datetime, conn: Connection) -> AgreementScope | None:
        """The scope of *agreement* at instant *at*, read on *conn*; ``None`` if unknown here."""
        ...


def check_agreement(
    lookup: AgreementLookup | None,
    conn: Connection,
    claims: Claims,
    at: datetime,
    expected: str | None,
) -> AgreementScope | None:
    """Raise unless *claims* fit their agreement (and it is *expected*, when one is asked for).

    A token that names no agreement passes when none is expected. Otherwise its agreement must be
    known here and active at *at*; its issuer must be the requester, its audience the provider,
    its purpose the agreement's, its categories within the agreement's, and its principal one of
    the agreement's principals.

    Raises:
        AgreementMismatch: another or an unknown agreement, or the token falls outside it.
        AgreementInactive: the agreement is not active at *at*.
    """
    detail = claims.detail
    if detail.agreement is None:
        if expected is not None:
            raise AgreementMismatch(f"token {claims.jti} is not bound to an agreement")
        return None
    if expected is not None and detail.agreement != expected:
        raise AgreementMismatch(f"token {claims.jti} is bound to another agreement")
    scope = lookup.scope(detail.agreement, at=at, conn=conn) if lookup is not None else None
    if scope is None:
        raise AgreementMismatch(f"token {claims.jti} names an agreement unknown here")
    if scope.status != "active":
        raise AgreementInactive(f"agreement {scope.agreement} is {scope.status} at that instant")
    if (claims.iss, claims.sub, claims.aud) != (scope.requester, scope.requester, scope.provider):
        raise AgreementMismatch(f"token {claims.jti} is not between the agreement's parties")
    if detail.purpose != scope.purpose:
        raise AgreementMismatch(f"token {claims.jti} names a purpose the agreement does not allow")
    outside = sorted(set(detail.categories) - set(scope.categories))
    if outside:
        raise AgreementMismatch(f"token {claims.jti}: categories {outside} are outside it")
    if detail.principal not in scope.principals:
        raise AgreementMismatch(f"token {claims.jti}: its principal may not act under it")
    return scope


def binding(agreement: str | None, case_ref: str | None, principal: str | None) -> None:
    """Raise unless an agreement comes with its case reference and acting principal.

    Raises:
        InputError: *agreement* without *case_ref* or *principal*, or those without *agreement*.
    """
    if agreement is None:
        if case_ref is not None or principal is not None:
            raise InputError("case_ref= and principal= go with agreement=")
    elif case_ref is None or principal is None:
        raise InputError("a token bound to an agreement needs case_ref= and principal=")
