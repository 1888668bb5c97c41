"""The vectorised row filter: decide every subject once (a snapshot), then pseudonymise the subject
column once per distinct value and look the decisions up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Select, select

from govshare._clock import utc_iso
from govshare._html import Table, card
from govshare._models import Record
from govshare.consent._decide import STEP_REASONS, Request, best_step, from_us, steps_vectorised
from govshare.consent._models import Reason, StatutoryBasis
from govshare.consent._tables import consent_events, consent_records
from govshare.exceptions import InputError

__all__ = ["REASONS", "ConsentSnapshot", "FilterReport", "FilterResult", "load_state", "summarise"]

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

    def _repr_html_(self) -> str:
        """A card for Jupyter: the request, the counts, and the exclusions by reason."""
        return card(
            f"Consent filter: {self.kept} of {self.rows} rows kept",
            self._fields(),
            tables=[self._reasons()],
        )

    def _fields(self) -> list[tuple[str, object]]:
        return [
            ("recipient", self.recipient),
            ("purpose", self.purpose),
            ("categories", self.categories),
            ("at", self.at),
            ("statutory basis", self.statutory_basis_id),
            ("rows", self.rows),
            ("kept", self.kept),
            ("excluded", self.excluded),
        ]

    def _reasons(self) -> Table:
        return Table("rows by reason", ("reason", "rows"), sorted(self.by_reason.items()))


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

    def _repr_html_(self) -> str:
        """The report's card and the kept frame's shape; never the rows (they hold raw IDs)."""
        r = self.report
        shape = f"{len(self.frame)} rows, {len(self.frame.columns)} columns"
        return card(
            f"Consent filter result: {r.kept} of {r.rows} rows kept",
            [*r._fields(), ("frame", shape), ("columns", [str(c) for c in self.frame.columns])],
            tables=[r._reasons()],
        )


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


class ConsentSnapshot:
    """The registry's answer to one request at one instant, for every subject it holds.

    Made by :meth:`ConsentRegistry.snapshot`, it decides rows the way
    :meth:`ConsentRegistry.filter` does (the filter is built on it), without the store: so the same
    decisions can be taken where the data is, e.g. on Spark executors. It holds registry
    pseudonyms and reason codes, never a key or a raw identifier, and it pickles. Reason codes are
    positions in :attr:`reason_names` (the order of :class:`Reason`).

    Attributes:
        recipient, purpose, categories, at: the request (``at`` in ISO 8601 UTC).
        statutory_basis_id: the statutory basis that allows every valid subject, if one applies.
    """

    reason_names: Final = tuple(r.value for r in REASONS)
    kept_codes: Final = (_CODE[Reason.ALLOWED], _CODE[Reason.STATUTORY])

    def __init__(self, req: Request, state: pd.DataFrame, statutory: StatutoryBasis | None) -> None:
        self.recipient = req.recipient
        self.purpose = req.purpose
        self.categories = tuple(sorted(req.categories))
        self.at = utc_iso(from_us(req.at_us))
        self.statutory_basis_id = None if statutory is None else statutory.basis_id
        self._statutory = statutory is not None
        if self._statutory or len(state) == 0:
            self._decided = pd.Series([], dtype=np.int8, index=pd.Index([], dtype=object))
        else:
            best = best_step(state, steps_vectorised(state, req))
            codes = _STEP_CODES[best["step"].to_numpy(dtype=np.int64)]
            self._decided = pd.Series(codes, index=best.index, dtype=np.int8)

    def __repr__(self) -> str:
        return (
            f"ConsentSnapshot(recipient={self.recipient!r}, purpose={self.purpose!r}, "
            f"at={self.at!r}, subjects={len(self._decided)})"
        )

    def reasons(
        self, subjects: pd.Series, pseudonymise: Callable[[pd.Series], pd.Series]
    ) -> npt.NDArray[np.int8]:
        """The reason code of every row of *subjects* (raw resident IDs).

        *pseudonymise* maps a Series of raw IDs to their registry pseudonyms, missing where a
        value is invalid (:meth:`SubjectPseudonyms.many`, or a worker's copy of the registry's
        pseudonymiser); it is called once, on the distinct values.
        """
        codes, uniques = pd.factorize(subjects, use_na_sentinel=True)
        names = pseudonymise(pd.Series(uniques, dtype=object))
        valid = names.notna().to_numpy(dtype=np.bool_)
        if self._statutory:
            per_unique = np.full(len(uniques), _CODE[Reason.STATUTORY], dtype=np.int8)
        else:
            found = self._decided.reindex(pd.Index(names))
            known = found.notna().to_numpy(dtype=np.bool_)
            index = found.fillna(_CODE[Reason.NO_RECORD]).to_numpy(dtype=np.int8)
            per_unique = np.where(known, index, _CODE[Reason.NO_RECORD]).astype(np.int8)
        per_unique = np.where(valid, per_unique, _CODE[Reason.INVALID_SUBJECT]).astype(np.int8)
        if len(per_unique) == 0:
            return np.full(len(codes), _CODE[Reason.INVALID_SUBJECT], dtype=np.int8)
        rows = per_unique[np.maximum(codes, 0)]
        return np.where(codes >= 0, rows, _CODE[Reason.INVALID_SUBJECT]).astype(np.int8)

    def report(self, by_reason: Mapping[str, int]) -> FilterReport:
        """The :class:`FilterReport` of rows decided with these counts by reason name.

        Raises:
            InputError: a reason name is unknown or a count is negative.
        """
        unknown = set(by_reason) - set(self.reason_names)
        if unknown or any(int(c) < 0 for c in by_reason.values()):
            raise InputError("by_reason takes reason names and non-negative counts")
        counts = {r: int(c) for r, c in by_reason.items() if int(c)}
        rows = sum(counts.values())
        kept = sum(counts.get(self.reason_names[c], 0) for c in self.kept_codes)
        return FilterReport(
            rows=rows,
            kept=kept,
            excluded=rows - kept,
            by_reason={r: counts[r] for r in self.reason_names if r in counts},
            recipient=self.recipient,
            purpose=self.purpose,
            categories=self.categories,
            at=self.at,
            statutory_basis_id=self.statutory_basis_id,
        )


def summarise(
    codes: npt.NDArray[np.int8], index: pd.Index
) -> tuple[pd.Series, npt.NDArray[np.bool_], dict[str, int]]:
    """Reason codes as a categorical Series on *index*, the keep mask, and counts by reason."""
    keep = np.isin(codes, ConsentSnapshot.kept_codes)
    counts = np.bincount(codes, minlength=len(REASONS)) if len(codes) else np.zeros(len(REASONS))
    by_reason = {r.value: int(c) for r, c in zip(REASONS, counts, strict=True) if c}
    categories = pd.Index([r.value for r in REASONS], dtype="str")
    series = pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)
    return series, keep, by_reason
