"""The vectorised row filter: pseudonymise the subject column once, join it with the state table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Select, select

from govshare._models import Record
from govshare.consent._decide import STEP_REASONS, Request, best_step, steps_vectorised
from govshare.consent._models import Reason, StatutoryBasis
from govshare.consent._subjects import SubjectPseudonyms
from govshare.consent._tables import consent_events, consent_records

__all__ = ["REASONS", "FilterReport", "FilterResult", "load_state", "row_reasons", "summarise"]

REASONS: Final = tuple(Reason)
_CODE: Final = {reason: i for i, reason in enumerate(REASONS)}
_STEP_CODES: Final = np.array([_CODE[r] for r in STEP_REASONS], dtype=np.int8)

_RECORD_COLUMNS = (
    "record_id",
    "subject",
    "recipient",
    "legal_basis",
    "purposes",
    "categories",
    "separate",
    "minor",
    "has_guardian",
    "granted_us",
)


class FilterReport(Record):
    """What :meth:`ConsentRegistry.filter` kept and why it excluded the rest (counts only)."""

    rows: int
    kept: int
    excluded: int
    by_reason: dict[str, int]
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    at: str
    statutory_basis_id: str | None = None


@dataclass(frozen=True)
class FilterResult:
    """The outcome of a filter.

    Attributes:
        frame: the rows that may be shared (a new DataFrame; the input is untouched).
        reasons: one reason code per input row, index-aligned with the input
            (``allowed`` / ``statutory-basis`` for kept rows).
        report: the counts by reason.
    """

    frame: pd.DataFrame
    reasons: pd.Series
    report: FilterReport

    @property
    def excluded(self) -> pd.Series:
        """The reason of every excluded row, indexed like the input."""
        return self.reasons[~self.reasons.isin([Reason.ALLOWED.value, Reason.STATUTORY.value])]


def load_state(conn: Connection, at_us: int) -> pd.DataFrame:
    """Every record granted by *at_us*, with its expiry and withdrawal time at *at_us* (-1: none)."""
    records = _fetch(
        conn,
        select(*(consent_records.c[c] for c in _RECORD_COLUMNS)).where(
            consent_records.c.granted_us <= at_us
        ),
        _RECORD_COLUMNS,
    )
    events = _fetch(
        conn,
        select(
            consent_events.c.record_id,
            consent_events.c.kind,
            consent_events.c.at_us,
            consent_events.c.expires_us,
            consent_events.c.seq,
        ).where(consent_events.c.at_us <= at_us),
        ("record_id", "kind", "at_us", "expires_us", "seq"),
    )
    withdrawn_mask = events["kind"] == "withdrawn"
    withdrawn = events[withdrawn_mask].groupby("record_id")["at_us"].min()
    terms = events[~withdrawn_mask].sort_values(["at_us", "seq"], kind="stable")
    expiry = terms.drop_duplicates("record_id", keep="last").set_index("record_id")["expires_us"]
    ids = records["record_id"]
    records["withdrawn_us"] = ids.map(withdrawn).fillna(-1).to_numpy(dtype=np.int64)
    records["expires_us"] = ids.map(expiry).fillna(-1).to_numpy(dtype=np.int64)
    return records


def _fetch(conn: Connection, query: Select[Any], names: Sequence[str]) -> pd.DataFrame:
    # Plain DBAPI tuples, column by column: SQLAlchemy Row objects cost more than the query here.
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pd.DataFrame({name: list(col) for name, col in zip(names, columns, strict=True)})


def row_reasons(
    subjects: pd.Series,
    pseudonyms: SubjectPseudonyms,
    state: pd.DataFrame,
    req: Request,
    statutory: StatutoryBasis | None,
) -> npt.NDArray[np.int8]:
    """The reason of every row of *subjects*, as positions in :data:`REASONS`."""
    codes, uniques = pd.factorize(subjects, use_na_sentinel=True)
    names = pseudonyms.many(pd.Series(uniques, dtype=object))
    valid = names.notna().to_numpy(dtype=np.bool_)
    if statutory is not None:
        per_unique = np.full(len(uniques), _CODE[Reason.STATUTORY], dtype=np.int8)
    elif len(state) == 0:
        per_unique = np.full(len(uniques), _CODE[Reason.NO_RECORD], dtype=np.int8)
    else:
        best = best_step(state, steps_vectorised(state, req))
        step = best["step"].reindex(pd.Index(names))
        found = step.notna().to_numpy(dtype=np.bool_)
        index = step.fillna(0).to_numpy(dtype=np.int64)
        per_unique = np.where(found, _STEP_CODES[index], _CODE[Reason.NO_RECORD]).astype(np.int8)
    per_unique = np.where(valid, per_unique, _CODE[Reason.INVALID_SUBJECT]).astype(np.int8)
    if len(per_unique) == 0:
        return np.full(len(codes), _CODE[Reason.INVALID_SUBJECT], dtype=np.int8)
    rows = per_unique[np.maximum(codes, 0)]
    return np.where(codes >= 0, rows, _CODE[Reason.INVALID_SUBJECT]).astype(np.int8)


def summarise(
    codes: npt.NDArray[np.int8], index: pd.Index
) -> tuple[pd.Series, npt.NDArray[np.bool_], dict[str, int]]:
    """Reason codes as a categorical Series on *index*, the keep mask, and counts by reason."""
    keep = (codes == _CODE[Reason.ALLOWED]) | (codes == _CODE[Reason.STATUTORY])
    counts = np.bincount(codes, minlength=len(REASONS)) if len(codes) else np.zeros(len(REASONS))
    by_reason = {r.value: int(c) for r, c in zip(REASONS, counts, strict=True) if c}
    categories = pd.Index([r.value for r in REASONS], dtype="str")
    series = pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)
    return series, keep, by_reason
