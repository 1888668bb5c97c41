"""Validating a grant into a :class:`ConsentRecord`: codes, times, PIPL Art. 29 and Art. 31."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from govshare._clock import ensure_aware
from govshare._models import build
from govshare.consent._models import ConsentRecord, ConsentType, Guardian, Recipient
from govshare.consent._subjects import SubjectPseudonyms
from govshare.consent._vocabulary import CONSENT, MINOR_CATEGORY, TermKind, Vocabulary
from govshare.exceptions import ConsentError, InputError
from govshare.identifiers import normalise_resident_ids

__all__ = ["GrantRules", "build_record", "new_record_id", "under_14"]


@dataclass(frozen=True)
class GrantRules:
    """What validating a grant needs from its registry."""

    codes: Callable[[TermKind, Sequence[str], str], tuple[str, ...]]
    vocabulary: Callable[[], Vocabulary]
    pseudonyms: SubjectPseudonyms
    controller: str


def build_record(
    rules: GrantRules,
    *,
    subject: str,
    recipient: str,
    purposes: Sequence[str],
    categories: Sequence[str],
    legal_basis: str,
    expires_at: datetime | None,
    granted_at: datetime,
    now: datetime,
    recipient_name: str | None,
    recipient_contact: str | None,
    method: str,
    consent_type: Sequence[ConsentType],
    minor: bool,
    guardian: str | None,
    guardian_relationship: str,
    extra: dict[str, Any],
) -> ConsentRecord:
    """Validate a grant and build its record (nothing is stored).

    Raises:
        InputError: invalid ID, unknown code, bad times or fields.
        NaiveDatetimeError: a datetime without a timezone.
        ConsentError: PIPL Art. 29 (separate consent) or Art. 31 (guardian) is not met.
    """
    pseudonym = rules.pseudonyms.one(subject)
    purposes = rules.codes("purpose", purposes, "purposes")
    categories = rules.codes("category", categories, "categories")
    rules.vocabulary().term("legal-basis", legal_basis)
    if expires_at is not None:
        expires_at = ensure_aware(expires_at, "expires_at")
        if expires_at <= granted_at:
            raise InputError("expires_at must be after the grant time")
    if granted_at > now:
        raise InputError("granted_at cannot be in the future")
    sensitive = rules.vocabulary().sensitive(categories)
    minor = bool(minor) or MINOR_CATEGORY in categories or under_14(subject, granted_at)
    guardian_record = None
    if guardian is not None:
        guardian_pseudonym = rules.pseudonyms.one(guardian, what="guardian")
        if guardian_pseudonym == pseudonym:
            raise InputError("the guardian cannot be the subject")
        guardian_record = build(
            Guardian, subject=guardian_pseudonym, relationship=guardian_relationship
        )
    if legal_basis == CONSENT:
        if sensitive and "separate" not in consent_type:
            raise ConsentError(
                f"sensitive categories ({', '.join(sensitive)}) need separate consent "
                "(PIPL Art. 29): pass consent_type=('separate', …)"
            )
        if minor and guardian_record is None:
            raise ConsentError(
                "information of a minor under 14 needs the consent of a parent or guardian "
                "(PIPL Art. 31): pass guardian=…"
            )
    recipient_record = build(
        Recipient,
        id=recipient,
        name=recipient_name or recipient,
        contact=recipient_contact,
        purposes=purposes,
        method=method,
        categories=categories,
    )
    return build(
        ConsentRecord,
        record_id=new_record_id(),
        subject=pseudonym,
        minor=minor,
        guardian=guardian_record,
        controller=rules.controller,
        recipients=(recipient_record,),
        purposes=purposes,
        legal_basis=legal_basis,
        categories=categories,
        sensitive_categories=sensitive,
        consent_type=tuple(dict.fromkeys(consent_type)),
        granted_at=granted_at,
        expires_at=expires_at,
        **extra,
    )


def under_14(subject: str, when: datetime) -> bool:
    """Whether the birth date in resident ID *subject* (assumed valid) makes them under 14 at *when*."""
    (normalised,) = normalise_resident_ids(pd.Series([subject], dtype="str")).tolist()
    try:
        born = date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14]))
    except (TypeError, ValueError):  # an impossible birth date: no age to infer
        return False
    day = when.astimezone(UTC).date()
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return age < 14


def new_record_id() -> str:
    """A fresh record id: ``cr-`` and 128 random bits from the CSPRNG, in hex."""
    return f"cr-{secrets.token_hex(16)}"
