"""govshare on Apache Spark: pseudonyms, consent filtering and DP statistics on PySpark DataFrames.

Needs the ``spark`` extra (``pip install 'govshare[spark]'``, PySpark 4.1 or newer) and a classic
``SparkSession``. Every function runs the pandas path's vectorised code on the executors through
Arrow, so results are the same as on pandas: :func:`pseudonymise` gives identical pseudonyms,
:func:`filter_by_consent` identical decisions, and :class:`SparkQuery` releases through the same
mechanisms, ledger and audit events as :class:`govshare.dp.Query`. ``import govshare`` never
imports this module (or PySpark). How keys reach the executors is in the Spark guide.
"""

from __future__ import annotations

from govshare.spark import _session

_session.require_pyspark()

from govshare.spark._consent import ConsentFiltered, filter_by_consent  # noqa: E402
from govshare.spark._dp import Count, Mean, SparkQuery, Sum  # noqa: E402
from govshare.spark._pseudonymise import pseudonymise, validate  # noqa: E402

__all__ = [
    "ConsentFiltered",
    "Count",
    "Mean",
    "SparkQuery",
    "Sum",
    "filter_by_consent",
    "pseudonymise",
    "validate",
]
