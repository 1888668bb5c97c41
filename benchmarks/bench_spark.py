"""Spark benchmarks (issue 18), every baseline measured in the same run on local[2].

    python benchmarks/bench_spark.py            # 10,000,000 rows (several minutes)
    python benchmarks/bench_spark.py --small    # CI smoke run: 200,000 rows, every figure still taken

Pseudonyms: one column of valid resident ID numbers in Parquet, written to Spark's no-op sink so
the whole column is computed; timed against Spark's own floor, an identity pandas UDF on the same
column (target: govshare >= 0.8x its rows/s), and a plain per-row Python UDF computing
HMAC-SHA256 (target: govshare >= 10x). An identity Arrow UDF is reported too.

DP: a count and a bounded sum (value clipped to [0, 100]) by 1,000 public group keys, every person
(an int64 column; ~2 million people with ~5 rows each) bounded to 1 group and 1 row, epsilon = 1
each, released by one ``SparkQuery.release`` (one job); timed against a plain
``groupBy().agg(count, sum)`` on the same data (target: govshare <= 2x). The two releases as two
jobs (``count`` then ``sum``) are reported too. Tumult Analytics is not timed: it cannot be
installed beside govshare's pins (see benchmarks/README.md), which the JSON says.

Every figure is the best of ``--repeat`` runs (default 3; 2 with ``--small``) after one warm-up,
because the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.identifiers._ids import valid_ids

from govshare.crypto import SecretKey
from govshare.dp import MemoryLedger
from govshare.pseudonym import Pseudonymiser

TUMULT = (
    "not installed: tmlt.analytics 0.21 (the newest) needs pandas<2 and pyspark<3.6 on "
    "Python 3.11; govshare needs pandas>=2.2 and pyspark>=4.1"
)
GROUPS = 1000
LOW, HIGH = 0.0, 100.0


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of *repeat* runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def write_ids(path: Path, rows: int) -> None:
    """*rows* valid resident ID numbers as one Parquet string column, in 1M-row groups."""
    with pq.ParquetWriter(path, pa.schema([("id_number", pa.string())])) as out:
        for start in range(0, rows, 1_000_000):
            chunk = valid_ids(min(1_000_000, rows - start), seed=start)
            out.write_table(pa.table({"id_number": pa.array(chunk.array).cast(pa.string())}))


def write_dp(path: Path, rows: int) -> None:
    """Person (int64, ~5 rows each), group (int32, 1,000) and value rows as Parquet."""
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "person": rng.integers(0, max(rows // 5, 1), rows),
            "grp": rng.integers(0, GROUPS, rows).astype(np.int32),
            "value": rng.normal(50, 30, rows),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


def session(local_dir: str) -> object:
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("govshare-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "6g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.local.dir", local_dir)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def bench_pseudonyms(spark: object, path: Path, rows: int, repeat: int) -> dict[str, object]:
    from pyspark.sql import functions as sf
    from pyspark.sql.pandas.functions import arrow_udf, pandas_udf

    import govshare.spark as gsp

    df = spark.read.parquet(str(path))  # type: ignore[attr-defined]
    p = Pseudonymiser(SecretKey.generate(), domain="hrss")
    key = os.urandom(32)

    @pandas_udf("string")  # type: ignore[call-overload]
    def identity_pandas(s: pd.Series) -> pd.Series:
        return s

    @arrow_udf("string")  # type: ignore[call-overload]
    def identity_arrow(batches: Iterator[pa.Array]) -> Iterator[pa.Array]:
        yield from batches

    @sf.udf("string")
    def hmac_per_row(value: str) -> str:
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    def run(frame: object) -> Callable[[], object]:
        return lambda: frame.write.format("noop").mode("overwrite").save()  # type: ignore[attr-defined]

    col = sf.col("id_number")
    t_gs = best(run(gsp.pseudonymise(df, ["id_number"], pseudonymiser=p)), repeat)
    t_pandas = best(run(df.select(identity_pandas(col).alias("id_number"))), repeat)
    t_arrow = best(run(df.select(identity_arrow(col).alias("id_number"))), repeat)
    t_hmac = best(run(df.select(hmac_per_row(col).alias("id_number"))), 1)
    return {
        "python_udf_arrow_enabled": spark.conf.get(  # type: ignore[attr-defined]
            "spark.sql.execution.pythonUDF.arrow.enabled"
        ),
        "pseudonymise_rows_per_s": round(rows / t_gs),
        "identity_pandas_udf_rows_per_s": round(rows / t_pandas),
        "identity_arrow_udf_rows_per_s": round(rows / t_arrow),
        "per_row_hmac_udf_rows_per_s": round(rows / t_hmac),
        "ratio_vs_identity_pandas_udf": round(t_pandas / t_gs, 2),
        "ratio_vs_per_row_hmac_udf": round(t_hmac / t_gs, 1),
    }


def bench_dp(spark: object, path: Path, rows: int, repeat: int) -> dict[str, object]:
    from pyspark.sql import functions as sf

    import govshare.spark as gsp

    df = spark.read.parquet(str(path))  # type: ignore[attr-defined]
    keys = list(range(GROUPS))
    ledger = MemoryLedger()
    ledger.set("bench", epsilon=1e6)
    q = gsp.SparkQuery(df, privacy_unit="person", dataset="bench", ledger=ledger, requester="bench")
    count = gsp.Count(by="grp", keys=keys, epsilon=1.0)
    total = gsp.Sum("value", (LOW, HIGH), by="grp", keys=keys, epsilon=1.0)
    t_gs = best(lambda: q.release(count, total), repeat)

    def two_jobs() -> object:
        q.count(by="grp", keys=keys, epsilon=1.0)
        return q.sum("value", bounds=(LOW, HIGH), by="grp", keys=keys, epsilon=1.0)

    t_two = best(two_jobs, repeat)
    t_plain = best(lambda: df.groupBy("grp").agg(sf.count("*"), sf.sum("value")).collect(), repeat)
    # The floor of any bounding that needs all of a person's rows in one task: the shuffle alone.
    shuffled = df.repartition(8, "person").write.format("noop").mode("overwrite")
    t_shuffle = best(shuffled.save, repeat)
    return {
        "dp_count_sum_one_job_s": round(t_gs, 2),
        "dp_count_then_sum_two_jobs_s": round(t_two, 2),
        "plain_groupby_count_sum_s": round(t_plain, 2),
        "shuffle_by_person_only_s": round(t_shuffle, 2),
        "ratio_dp_one_job_vs_plain": round(t_gs / t_plain, 2),
        "ratio_shuffle_only_vs_plain": round(t_shuffle / t_plain, 2),
        "tumult_analytics": TUMULT,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="CI smoke size")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--only", choices=("pseudonyms", "dp"), help="time one half only")
    args = parser.parse_args()
    rows = 200_000 if args.small else 10_000_000
    repeat = args.repeat or (2 if args.small else 3)
    # PySpark 4.3 warns that pandas 3 is not fully supported yet; the figures are what they are.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    # The per-row UDF's str hints are not an Arrow UDF's: PySpark says so and runs it row by row.
    warnings.filterwarnings("ignore", message="Cannot infer the eval type from type hints")
    with tempfile.TemporaryDirectory(prefix="govshare-bench-spark-") as folder:
        ids_path, dp_path = Path(folder) / "ids.parquet", Path(folder) / "dp.parquet"
        if args.only != "dp":
            write_ids(ids_path, rows)
        if args.only != "pseudonyms":
            write_dp(dp_path, rows)
        local = Path(folder) / "spark-local"
        local.mkdir()
        spark = session(str(local))
        try:
            import pyspark

            result: dict[str, object] = {
                "rows": rows,
                "spark": pyspark.__version__,
                "master": "local[2]",
                "repeat": repeat,
            }
            if args.only != "dp":
                result.update(bench_pseudonyms(spark, ids_path, rows, repeat))
            if args.only != "pseudonyms":
                result.update(bench_dp(spark, dp_path, rows, repeat))
        finally:
            spark.stop()  # type: ignore[attr-defined]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
