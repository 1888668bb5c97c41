"""Deciding from derived state: one subject in pure Python (``check``), many at once in NumPy (``filter``).

Both apply the same rules in the same order to every record of the subject that exists at the
instant asked about; the record that gets furthest decides, so a refusal names the most specific
reason (a withdrawn consent for exactly this request says ``withdrawn``, not ``wrong-recipient``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from govshare.consent._models import Reason
from govshare.consent._vocabulary import CONSENT, MINOR_CATEGORY

__all__ = [
    "STEP_REASONS",
    "RecordFacts",
    "Request",
    "best_step",
    "decide_records",
    "from_us",
    "join_codes",
    "split_codes",
    "steps_vectorised",
    "to_us",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)

# The rules, in order; a record that fails rule i reached step i. Step 7 means allowed.
STEP_REASONS: Final = (
    Reason.WRONG_RECIPIENT,
    Reason.PURPOSE_NOT_COVERED,
    Reason.GUARDIAN_REQUIRED,
    Reason.CATEGORY_NOT_COVERED,
    Reason.WITHDRAWN,
    Reason.EXPIRED,
    Reason.SEPARATE_CONSENT_REQUIRED,
    Reason.ALLOWED,
)
ALLOWED_STEP: Final = len(STEP_REASONS) - 1


def to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (value - EPOCH) // _US


def from_us(value: int) -> datetime:
    """The aware UTC datetime of *value* microseconds since the epoch."""
    return EPOCH + value * _US


def join_codes(codes: Iterable[str]) -> str:
    """``|a|b|``: codes as text that a substring test ``|a|`` can search."""
    return "|" + "|".join(codes) + "|"


def split_codes(text: str) -> frozenset[str]:
    """The codes of a :func:`join_codes` text."""
    return frozenset(c for c in text.split("|") if c)


@dataclass(frozen=True)
class Request:
    """What is asked: provide *categories* to *recipient* for *purpose* at instant *at_us*."""

    recipient: str
    purpose: str
    categories: frozenset[str]
    at_us: int

    @property
    def wants_minor(self) -> bool:
        """Whether information of a minor under 14 is asked for."""
        return MINOR_CATEGORY in self.categories


@dataclass(frozen=True)
class RecordFacts:
    """What the rules need to know about one record at the request's instant."""

    record_id: str
    recipient: str
    legal_basis: str
    purposes: frozenset[str]
    categories: frozenset[str]
    separate: bool
    minor: bool
    has_guardian: bool
    granted_us: int
    expires_us: int | None
    withdrawn_us: int | None


def record_step(facts: RecordFacts, req: Request) -> int:
    """How far *facts* gets through the rules for *req* (see :data:`STEP_REASONS`)."""
    consent = facts.legal_basis == CONSENT
    failures = (
        facts.recipient != req.recipient,
        req.purpose not in facts.purposes,
        consent and (facts.minor or req.wants_minor) and not facts.has_guardian,
        not req.categories <= facts.categories,
        facts.withdrawn_us is not None and facts.withdrawn_us <= req.at_us,
        facts.expires_us is not None and facts.expires_us <= req.at_us,
        consent and not facts.separate,
    )
    return next((i for i, failed in enumerate(failures) if failed), ALLOWED_STEP)


def decide_records(records: Sequence[RecordFacts], req: Request) -> tuple[int, RecordFacts] | None:
    """The step reached by the best record existing at the instant, and that record; None if none."""
    best: tuple[int, int, str, RecordFacts] | None = None
    for facts in records:
        if facts.granted_us > req.at_us:
            continue
        key = (record_step(facts, req), facts.granted_us, facts.record_id, facts)
        if best is None or key[:3] > best[:3]:
            best = key
    return None if best is None else (best[0], best[3])


def steps_vectorised(records: pd.DataFrame, req: Request) -> npt.NDArray[np.int8]:
    """:func:`record_step` for every row of *records* at once.

    *records* has the :class:`RecordFacts` fields as columns, with ``purposes``/``categories`` as
    :func:`join_codes` text and ``expires_us``/``withdrawn_us`` as integers (-1 for none).
    """
    purposes = records["purposes"]
    cats = records["categories"]
    covered = np.ones(len(records), dtype=np.bool_)
    for code in req.categories:
        covered &= cats.str.contains(f"|{code}|", regex=False).to_numpy(dtype=np.bool_)
    consent = (records["legal_basis"] == CONSENT).to_numpy(dtype=np.bool_)
    expires = records["expires_us"].to_numpy(dtype=np.int64)
    withdrawn = records["withdrawn_us"].to_numpy(dtype=np.int64)
    minor = records["minor"].to_numpy(dtype=np.bool_) | req.wants_minor
    conditions = [
        (records["recipient"] != req.recipient).to_numpy(dtype=np.bool_),
        ~purposes.str.contains(f"|{req.purpose}|", regex=False).to_numpy(dtype=np.bool_),
        consent & minor & ~records["has_guardian"].to_numpy(dtype=np.bool_),
        ~covered,
        (withdrawn >= 0) & (withdrawn <= req.at_us),
        (expires >= 0) & (expires <= req.at_us),
        consent & ~records["separate"].to_numpy(dtype=np.bool_),
    ]
    return np.select(conditions, list(range(len(conditions))), default=ALLOWED_STEP).astype(np.int8)


def best_step(records: pd.DataFrame, steps: npt.NDArray[np.int8]) -> pd.DataFrame:
    """Per subject: the best record's step and id (ties: latest grant, then largest record id)."""
    ranked = pd.DataFrame(
        {
            "subject": records["subject"].to_numpy(),
            "step": steps,
            "granted_us": records["granted_us"].to_numpy(dtype=np.int64),
            "record_id": records["record_id"].to_numpy(),
        }
    )
    ranked = ranked.sort_values(["subject", "step", "granted_us", "record_id"], kind="stable")
    return ranked.drop_duplicates("subject", keep="last").set_index("subject")[
        ["step", "record_id"]
    ]
