"""Generators of valid resident ID numbers for tests and benchmarks (vectorised, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govshare.identifiers import matrix_to_strings, to_series

_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)], dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Each integer as *width* ASCII digit columns."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def valid_ids(n: int, seed: int = 0, *, distinct: bool = False) -> pd.Series:
    """*n* valid 18-character resident ID numbers (all distinct when *distinct*)."""
    rng = np.random.default_rng(seed)
    if distinct:  # region, date and sequence number enumerate distinct combinations
        index = np.arange(n, dtype=np.int64)
        seq, day, region = index % 1000, (index // 1000) % 36500, 110000 + index // 36_500_000
    else:
        seq, day = rng.integers(0, 1000, n), rng.integers(0, 36500, n)
        region = rng.integers(110000, 660000, n)
    born = (np.datetime64("1930-01-01") + day.astype("timedelta64[D]")).astype("datetime64[D]")
    years = born.astype("datetime64[Y]").astype(np.int64) + 1970
    months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    date = years * 10000 + months * 100 + days
    matrix = np.empty((n, 18), dtype=np.uint8)
    matrix[:, :6] = _digits(region, 6)
    matrix[:, 6:14] = _digits(date, 8)
    matrix[:, 14:17] = _digits(seq, 3)
    matrix[:, 17] = _CHECK[((matrix[:, :17].astype(np.int64) - 48) @ _WEIGHTS) % 11]
    like = pd.Series(np.zeros(n, dtype=np.int8)).astype("str")
    return to_series(matrix_to_strings(matrix, np.ones(n, dtype=np.bool_)), like)
