"""Which subjects each release held, as consent-registry pseudonyms, so an auditor can re-decide
their lawful basis at the release instant (``release-lawful-basis``).

``ws.share()`` writes one ``exchange_release_subjects`` row per release in the release's own
transaction: the distinct subjects of the released rows, as the registry's pseudonyms (never a
raw identifier), each with the basis it was released on. They are Parquet bytes, built and read
column-wise (no per-row Python loop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
from sqlalchemy import Connection, select

from govshare.consent import ConsentSnapshot
from govshare.exceptions import InputError, IntegrityError
from govshare.exchange._common import reading
from govshare.exchange._release import parquet_bytes, read_parquet
from govshare.exchange._tables import exchange_release_subjects
from govshare.storage import Store

__all__ = ["capturing", "read_release_subjects", "released_subjects"]

_s = exchange_release_subjects
Pseudonymise = Callable[[pd.Series], pd.Series]


def capturing(pseudonymise: Pseudonymise, seen: list[tuple[pd.Series, pd.Series]]) -> Pseudonymise:
    """*pseudonymise*, also keeping each (values, pseudonyms) pair it computed in *seen* (the
    consent snapshot calls it once, on the distinct subjects), so they are not computed twice."""

    def run(values: pd.Series) -> pd.Series:
        names = pseudonymise(values)
        seen.append((values, names))
        return names

    return run


def released_subjects(
    snapshot: ConsentSnapshot, seen: Sequence[tuple[pd.Series, pd.Series]]
) -> tuple[int, bytes]:
    """The distinct subjects *snapshot* kept, as registry pseudonyms, each with the basis it was
    released on: their number and Parquet bytes (the ``exchange_release_subjects`` row).

    Decided again on the distinct subjects only, with the pseudonyms computed for the release
    (*seen*): the same decisions as the rows', without touching the rows again.
    """
    (values, names) = seen[-1]
    codes = snapshot.reasons(values, lambda _: names)
    keep = np.isin(codes, snapshot.kept_codes)
    frame = pd.DataFrame(
        {
            "subject": names.to_numpy(dtype=object)[keep],
            "basis": np.asarray(snapshot.reason_names, dtype=object)[codes[keep]],
        }
    ).drop_duplicates("subject")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return len(frame), parquet_bytes(table)


def read_release_subjects(
    store: Store, release_id: str, *, conn: Connection | None = None
) -> pd.DataFrame | None:
    """The subjects release *release_id* held, read-only: a frame of ``subject`` (the consent
    registry's pseudonym) and ``basis`` (``allowed`` or ``statutory-basis``), one row per
    distinct subject; ``None`` if the store recorded none for it (a received release, or one
    made before they were recorded).

    Raises:
        IntegrityError: the stored subjects are unreadable or do not match their count.
    """
    with reading(store, conn) as tx:
        row = tx.execute(
            select(_s.c.count, _s.c.subjects).where(_s.c.release_id == release_id)
        ).first()
    if row is None:
        return None
    try:
        frame = read_parquet(bytes(row[1]))
    except InputError:
        raise IntegrityError(
            f"release {release_id}: its recorded subjects are unreadable"
        ) from None
    if list(frame.columns) != ["subject", "basis"] or len(frame) != int(row[0]):
        raise IntegrityError(
            f"release {release_id}: its recorded subjects do not match their count"
        )
    return frame
