"""The validation report: how many identifiers were valid, missing or invalid, and which rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from govshare._html import Table, card
from govshare._models import Record

__all__ = ["Kind", "ValidationReport", "report_from_codes"]

Kind = Literal["resident_id", "mobile", "name"]
"""What an identifier column holds: resident ID numbers, mainland mobile numbers or names."""

_SHOWN_ROWS = 20


class ValidationReport(Record):
    """Counts of valid, missing and invalid identifiers in one column, and the invalid rows.

    Row numbers are 0-based *positions* in the column (not index labels), so they also work for
    chunks of a file. Reasons: ``not_a_string``, ``length``, ``characters``, ``birth_date``,
    ``check_character`` (resident IDs), ``format`` (mobile numbers), ``empty`` (names).
    """

    kind: Kind
    rows: int
    valid: int
    missing: int
    invalid: int
    by_reason: dict[str, int]
    invalid_rows: tuple[int, ...]

    @property
    def ok(self) -> bool:
        """True when no present value is invalid (missing values are allowed)."""
        return self.invalid == 0

    @classmethod
    def merge(cls, kind: Kind, reports: Sequence[ValidationReport]) -> ValidationReport:
        """One report for consecutive parts of a column: counts added, invalid rows concatenated
        (each part's rows must already be positions in the whole column)."""
        by_reason: dict[str, int] = {}
        for r in reports:
            for k, v in r.by_reason.items():
                by_reason[k] = by_reason.get(k, 0) + v
        return cls(
            kind=kind,
            rows=sum(r.rows for r in reports),
            valid=sum(r.valid for r in reports),
            missing=sum(r.missing for r in reports),
            invalid=sum(r.invalid for r in reports),
            by_reason=by_reason,
            invalid_rows=tuple(i for r in reports for i in r.invalid_rows),
        )

    def summary(self) -> str:
        """One line: counts, and invalid ones by reason (never the values themselves)."""
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.by_reason.items()))
        text = (
            f"{self.rows} rows: {self.valid} valid, {self.missing} missing, {self.invalid} invalid"
        )
        return f"{text} ({reasons})" if reasons else text

    def _repr_html_(self) -> str:
        """A card for Jupyter: counts, reasons and the first invalid row positions (no values)."""
        shown = self.invalid_rows[:_SHOWN_ROWS]
        more = len(self.invalid_rows) - len(shown)
        positions = ", ".join(str(r) for r in shown) + (f" … and {more} more" if more else "")
        return card(
            f"Validation of {self.kind} identifiers",
            [
                ("rows", self.rows),
                ("valid", self.valid),
                ("missing", self.missing),
                ("invalid", self.invalid),
                ("invalid row positions", positions or None),
            ],
            tables=[Table("invalid by reason", ("reason", "rows"), sorted(self.by_reason.items()))],
            ok=self.ok,
            status="no invalid identifier" if self.ok else f"{self.invalid} invalid",
        )


def report_from_codes(
    kind: Kind, codes: npt.NDArray[np.uint8], names: tuple[str, ...], offset: int = 0
) -> ValidationReport:
    """Build a report from per-row reason codes (0 = valid, 1 = missing, higher = invalid)."""
    if codes.any():
        counts = np.bincount(codes, minlength=len(names))
    else:  # all valid: skip bincount's cast of every code to a machine integer
        counts = np.zeros(len(names), dtype=np.intp)
        counts[0] = len(codes)
    invalid = int(counts[2:].sum())
    invalid_rows = np.flatnonzero(codes > 1) + offset if invalid else np.zeros(0, np.int64)
    return ValidationReport(
        kind=kind,
        rows=len(codes),
        valid=int(counts[0]),
        missing=int(counts[1]),
        invalid=invalid,
        by_reason={names[i]: int(c) for i, c in enumerate(counts) if i > 1 and c},
        invalid_rows=tuple(int(r) for r in invalid_rows),
    )
