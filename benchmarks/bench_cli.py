"""The CLI on files: ``govshare pseudonymise`` Parquet → Parquet vs a plain pyarrow read + write of
the same file, and ``govshare dp query`` reading only the columns it needs — same run.

Each measured command runs in its own process (``python -m govshare …`` or ``python -c`` for the
baseline), so its peak resident memory (``ru_maxrss`` of the child) is its own. The baseline
streams the same file with ``ParquetFile.iter_batches`` + ``ParquetWriter`` at the same batch
size; ``baseline_read_table_*`` is ``pq.read_table`` + ``pq.write_table`` of the whole file.

Sizes: 10 M rows (an ID column and 5 others) for pseudonymise, 5 M rows for dp query; ``--small``
uses 200,000 and 100,000 rows. Prints one JSON object.

Usage: ``python benchmarks/bench_cli.py [--small]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.identifiers._ids import valid_ids

PASSPHRASE = "bench-cli-passphrase"
CHUNK = 250_000

BASELINE = """
import sys, pyarrow.parquet as pq
src = pq.ParquetFile(sys.argv[1])
with pq.ParquetWriter(sys.argv[2], src.schema_arrow) as out:
    for batch in src.iter_batches(batch_size=int(sys.argv[3])):
        out.write_batch(batch)
"""
READ_TABLE = """
import sys, pyarrow.parquet as pq
pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2])
"""


def make_file(path: Path, rows: int, *, wide: bool = False) -> None:
    """*rows* rows: a valid resident ID column and 5 others (two text, three numeric)."""
    rng = np.random.default_rng(7)
    writer: pq.ParquetWriter | None = None
    step = 1_000_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        ids = valid_ids(n, seed=start)
        columns = {
            "id_number": pa.array(ids.to_numpy(dtype=object), pa.string()),
            "district": pa.array(rng.choice(["east", "west", "north", "south"], n)),
            "name": pa.array(np.char.add("person-", (np.arange(n) + start).astype(str))),
            "income": pa.array(rng.uniform(0, 100_000, n)),
            "age": pa.array(rng.integers(18, 90, n)),
            "household": pa.array(rng.integers(1, 8, n)),
        }
        if wide:  # columns dp query must not read
            for i in range(4):
                columns[f"notes_{i}"] = pa.array(
                    np.char.add("free text ", rng.integers(0, 1e9, n).astype(str))
                )
        table = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()


def rss_alone(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of *args*, run under a fresh probe interpreter so
    ``RUSAGE_CHILDREN``'s maximum is that one command's alone."""
    probe = (
        "import resource, subprocess, sys, time, json;"
        "t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "d=time.perf_counter()-t;"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss*1024;"
        "print(json.dumps([p.returncode, d, r, p.stderr[-400:]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    code, seconds, peak, err = json.loads(out.stdout)
    if code != 0:
        raise SystemExit(f"{args[:4]} failed: {err}")
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="CI smoke size")
    args = parser.parse_args()
    rows = 200_000 if args.small else 10_000_000
    dp_rows = 100_000 if args.small else 5_000_000
    result: dict[str, object] = {"pseudonymise_rows": rows, "dp_rows": dp_rows, "chunk": CHUNK}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSHARE_")}
        env["GOVSHARE_PASSPHRASE"] = PASSPHRASE
        gov = [sys.executable, "-m", "govshare"]
        subprocess.run([*gov, "init", "--department", "civil-affairs"], cwd=folder, env=env,
                       check=True, capture_output=True)  # fmt: skip
        source = folder / "people.parquet"
        make_file(source, rows)
        result["input_bytes"] = source.stat().st_size

        base_s, base_rss = rss_alone(
            [sys.executable, "-c", BASELINE, str(source), str(folder / "copy.parquet"), str(CHUNK)],
            folder,
            env,
        )
        whole_s, whole_rss = rss_alone(
            [sys.executable, "-c", READ_TABLE, str(source), str(folder / "whole.parquet")],
            folder,
            env,
        )
        cli_s, cli_rss = rss_alone(
            [*gov, "pseudonymise", str(source), "-o", str(folder / "out.parquet"), "--column",
             "id_number", "--chunk-size", str(CHUNK), "--quiet"],
            folder,
            env,
        )  # fmt: skip
        out = pq.ParquetFile(folder / "out.parquet")
        assert out.metadata.num_rows == rows
        result["baseline_stream_rows_per_s"] = round(rows / base_s)
        result["baseline_stream_peak_rss_mb"] = round(base_rss / 2**20)
        result["baseline_read_table_rows_per_s"] = round(rows / whole_s)
        result["baseline_read_table_peak_rss_mb"] = round(whole_rss / 2**20)
        result["cli_pseudonymise_rows_per_s"] = round(rows / cli_s)
        result["cli_pseudonymise_peak_rss_mb"] = round(cli_rss / 2**20)
        result["ratio_cli_vs_baseline_stream"] = round(base_s / cli_s, 2)
        result["ratio_cli_vs_baseline_read_table"] = round(whole_s / cli_s, 2)

        # dp query on a file with four wide text columns it does not need.
        dp_file = folder / "dp.parquet"
        make_file(dp_file, dp_rows, wide=True)
        subprocess.run([*gov, "budget", "set", "people", "--epsilon", "10"], cwd=folder, env=env,
                       check=True, capture_output=True)  # fmt: skip
        dp_s, dp_rss = rss_alone(
            [*gov, "dp", "query", str(dp_file), "--unit", "id_number", "--dataset", "people",
             "--count", "--by", "district", "--key", "east", "--key", "west", "--key", "north",
             "--key", "south", "--epsilon", "0.5"],
            folder,
            env,
        )  # fmt: skip
        all_s, all_rss = rss_alone(
            [sys.executable, "-c", "import sys, pandas as pd; pd.read_parquet(sys.argv[1])",
             str(dp_file)],
            folder,
            env,
        )  # fmt: skip
        result["dp_file_bytes"] = dp_file.stat().st_size
        result["cli_dp_query_seconds"] = round(dp_s, 2)
        result["cli_dp_query_peak_rss_mb"] = round(dp_rss / 2**20)
        result["pandas_read_all_columns_seconds"] = round(all_s, 2)
        result["pandas_read_all_columns_peak_rss_mb"] = round(all_rss / 2**20)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
