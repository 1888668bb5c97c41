"""One real local Spark (``local[2]``) for every Spark test, with its logs in a file we can read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession

# Everything Spark and its executors log goes to one file (nothing to the console), at INFO, so a
# test can read what a cluster operator's log files would hold.
_LOG4J = """\
status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = {path}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d %p %c: %m%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
"""


@dataclass(frozen=True)
class LocalSpark:
    """The shared session, where Spark logs, and the folder it writes its files in."""

    session: SparkSession
    log: Path
    local_dir: Path


@pytest.fixture(scope="session")
def local_spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSpark]:
    """A local[2] SparkSession for the whole run, stopped at the end."""
    folder = tmp_path_factory.mktemp("spark")
    log, local_dir, properties = (
        folder / "spark.log",
        folder / "local",
        folder / "log4j2.properties",
    )
    local_dir.mkdir()
    properties.write_text(_LOG4J.format(path=log), encoding="utf-8")
    # Executors must run this interpreter (it has govshare); the spark.pyspark.python setting is
    # not enough for a virtualenv here, the environment variable is.
    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("govshare-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.local.dir", str(local_dir))
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{properties}")
        .getOrCreate()
    )
    yield LocalSpark(session, log, local_dir)
    session.stop()
    if previous is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = previous


@pytest.fixture
def spark(local_spark: LocalSpark) -> SparkSession:
    """The shared local SparkSession."""
    return local_spark.session


def to_spark(spark: SparkSession, frame: pd.DataFrame) -> DataFrame:
    """A Spark DataFrame of a pandas one, through Arrow (PySpark's pandas conversion warns on
    pandas 3)."""
    return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))


def to_pandas(sdf: DataFrame) -> pd.DataFrame:
    """A Spark DataFrame's rows as pandas, through Arrow (see :func:`to_spark`)."""
    return sdf.toArrow().to_pandas()
