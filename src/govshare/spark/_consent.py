"""Consent filtering of a Spark DataFrame: the registry's snapshot applied on the executors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
from pyspark import Broadcast
from pyspark.sql import DataFrame
from pyspark.sql import functions as sf
from pyspark.sql.pandas.functions import arrow_udf
from pyspark.sql.types import ByteType

from govshare.consent import ConsentRegistry, ConsentSnapshot, FilterReport
from govshare.exceptions import InputError
from govshare.identifiers import shown
from govshare.spark._session import context_of, quoted
from govshare.spark._ship import ShippedPseudonymiser, ship

if TYPE_CHECKING:
    from pyspark.sql._typing import UserDefinedFunctionLike

__all__ = ["ConsentFiltered", "filter_by_consent"]

_CODE: Final = "__govshare_consent_code"


@dataclass(frozen=True)
class ConsentFiltered:
    """The outcome of :func:`filter_by_consent`.

    Attributes:
        frame: the rows that may be provided (a lazy DataFrame; the input is untouched).
        reasons: every input row with its reason in a ``consent_reason`` column (lazy).
        report: the counts by reason, computed by one Spark job when the filter ran.
    """

    frame: DataFrame
    reasons: DataFrame
    report: FilterReport


def filter_by_consent(
    sdf: DataFrame,
    *,
    registry: ConsentRegistry,
    subject_column: str,
    recipient: str,
    purpose: str,
    categories: Sequence[str],
    at: datetime | None = None,
    reason_column: str = "consent_reason",
) -> ConsentFiltered:
    """The rows of *sdf* that may be provided, decided exactly as
    :meth:`ConsentRegistry.filter` decides them on pandas.

    The driver reads the registry once at *at* (default now) into a
    :class:`~govshare.consent.ConsentSnapshot` (registry pseudonyms and reason codes, no key),
    broadcast to the executors; they pseudonymise the subject column into the registry's domain
    with its sealed key (see the Spark guide) and look the decisions up. The report is counted
    by one Spark job now; ``frame`` and ``reasons`` are lazy and decide the same rows each time
    they run, because the snapshot pins the instant (cache *sdf* first if it is costly or not
    deterministic to recompute).

    Raises:
        InputError: *sdf* is not a classic PySpark DataFrame, *subject_column* is missing,
            *reason_column* already exists, a code is unknown, or the registry's pseudonymiser
            cannot be sent to executors.
        NaiveDatetimeError: *at* has no timezone.
    """
    context = context_of(sdf)
    if subject_column not in sdf.columns:
        raise InputError(f"the DataFrame has no column {shown(subject_column)}")
    if reason_column in sdf.columns or _CODE in sdf.columns:
        raise InputError(f"the DataFrame already has a column {shown(reason_column)}")
    snapshot = registry.snapshot(recipient=recipient, purpose=purpose, categories=categories, at=at)
    shipped = ship(context, registry.subject_pseudonyms.pseudonymiser)
    decide = _reason_udf(shipped, context.broadcast(snapshot))
    coded = sdf.withColumn(_CODE, decide(sf.col(quoted(subject_column))))
    counts = coded.groupBy(_CODE).count().collect()
    report = snapshot.report({snapshot.reason_names[r[_CODE]]: r["count"] for r in counts})
    names = sf.array(*(sf.lit(n) for n in snapshot.reason_names))
    reasons = coded.withColumn(reason_column, sf.element_at(names, sf.col(_CODE) + 1)).drop(_CODE)
    kept = coded.where(sf.col(_CODE).isin(list(snapshot.kept_codes))).drop(_CODE)
    return ConsentFiltered(frame=kept, reasons=reasons, report=report)


def _reason_udf(
    shipped: ShippedPseudonymiser, decisions: Broadcast[ConsentSnapshot]
) -> UserDefinedFunctionLike:
    def govshare_consent(batches: Iterator[pa.Array]) -> Iterator[pa.Array]:
        worker = shipped.open()
        snapshot = decisions.value

        def registry_names(values: pd.Series) -> pd.Series:
            return worker.pseudonymise(values, invalid="null")

        for values in batches:
            subjects = values.to_pandas(types_mapper=pd.ArrowDtype)
            yield pa.array(snapshot.reasons(subjects, registry_names), type=pa.int8())

    return arrow_udf(govshare_consent, ByteType())  # type: ignore[call-overload,no-any-return]
