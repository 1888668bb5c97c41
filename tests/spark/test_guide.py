"""The Spark guide's examples run as written, in order, on the local Spark."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from govshare import Workspace
from govshare.dp import DPResult
from tests.identifiers._ids import valid_ids

pytestmark = pytest.mark.spark

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "spark.md"
_PY_BLOCK = re.compile(r"^```py[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[int, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _PY_BLOCK.finditer(text)]


def _residents(folder: Path) -> list[str]:
    """residents.parquet as the guide describes it: 998 valid IDs and 2 invalid ones."""
    rng = np.random.default_rng(4)
    ids = [*valid_ids(998, seed=9, distinct=True).tolist(), "110101199003071230", "n/a"]
    table = pa.table(
        {
            "id_number": ids,
            "phone": [f"139{i:08d}" for i in range(1000)],
            "district": rng.choice(["east", "north", "south", "west"], 1000),
            "income": rng.gamma(2.0, 2500.0, 1000),
        }
    )
    pq.write_table(table, folder / "residents.parquet")
    return ids[:20]


def test_guide_examples_run_in_order(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ```py block of docs/guide/spark.md runs, in one namespace holding `spark`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVSHARE_PASSPHRASE", "docs-test-passphrase")
    consenting = _residents(tmp_path)
    with Workspace.open("sqlite:///civil.db", department="civil-affairs") as ws:
        for subject in consenting:
            ws.consents.grant(
                subject, recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
            )
    blocks = _blocks()
    assert len(blocks) == 3
    namespace: dict[str, object] = {"__name__": "__guide__", "spark": spark}
    # The JVM keeps the folder it started in; point its local file system at this test's folder
    # so the guide's relative paths mean the same to Spark as to Python.
    hadoop = spark._jvm.org.apache.hadoop.fs  # type: ignore[union-attr]
    local_fs = hadoop.FileSystem.getLocal(spark._jsc.hadoopConfiguration())  # type: ignore[union-attr]
    previous = local_fs.getWorkingDirectory()
    local_fs.setWorkingDirectory(hadoop.Path(str(tmp_path)))
    try:
        for line, code in blocks:
            exec(compile("\n" * (line - 1) + code, str(GUIDE), "exec"), namespace)
    finally:
        local_fs.setWorkingDirectory(previous)
        opened = namespace.get("ws")
        if isinstance(opened, Workspace):
            opened.close()
    assert namespace["reports"]["id_number"].summary().startswith("1000 rows: 998 valid")  # type: ignore[index]
    assert namespace["result"].report.by_reason == {  # type: ignore[attr-defined]
        "allowed": 20,
        "no-record": 978,
        "invalid-subject": 2,
    }
    assert isinstance(namespace["counts"], DPResult)
    assert len(pd.DataFrame(namespace["means"])) == 1
    assert (tmp_path / "for-hrss.parquet").is_dir()
