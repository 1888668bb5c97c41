"""The Spark side of every front-door call: the caller's DataFrame, its session and context."""

from __future__ import annotations

import importlib.util
from importlib.metadata import version
from typing import TYPE_CHECKING, Final

from govshare.exceptions import FeatureNotEnabled, InputError

if TYPE_CHECKING:
    from pyspark import SparkContext

__all__ = ["context_of", "quoted", "require_pyspark"]

_NEEDED: Final = (4, 1)  # Arrow UDFs (pa.Array in, pa.Array out) arrived in PySpark 4.1


def require_pyspark() -> None:
    """Check that PySpark 4.1 or newer is installed.

    Raises:
        FeatureNotEnabled: it is missing or older; the message names the install command.
    """
    found = None
    if importlib.util.find_spec("pyspark") is not None:
        found = tuple(int(p) for p in version("pyspark").split(".")[:2] if p.isdigit())
    if found is None or found < _NEEDED:
        raise FeatureNotEnabled(
            "govshare.spark needs PySpark 4.1 or newer: pip install 'govshare[spark]'"
        )


def context_of(sdf: object) -> SparkContext:
    """The SparkContext of *sdf*'s session.

    Raises:
        InputError: *sdf* is not a PySpark DataFrame, or it belongs to a Spark Connect session
            (keys travel in a broadcast, which needs the classic driver's SparkContext).
    """
    from pyspark.sql import DataFrame

    if not isinstance(sdf, DataFrame):
        raise InputError(f"expected a PySpark DataFrame, got {type(sdf).__name__}")
    try:
        return sdf.sparkSession.sparkContext
    except Exception:  # Spark Connect raises its own "not supported" errors here
        raise InputError(
            "govshare.spark needs a classic SparkSession (Spark Connect has no SparkContext to "
            "broadcast with)"
        ) from None


def quoted(column: str) -> str:
    """*column* as a Spark SQL identifier (backticks, so dots and spaces in names are literal)."""
    return "`" + column.replace("`", "``") + "`"
