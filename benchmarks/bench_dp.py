"""DP aggregate benchmarks (issue 6), each peer measured in the same run.

    python benchmarks/bench_dp.py            # 1,000,000 rows, 200,000 people, 1,000 groups (+ 10M scaling)
    python benchmarks/bench_dp.py --small    # CI smoke run: 20,000 rows, every peer still exercised

The query: a noisy count and a bounded sum of ``value`` (clipped to [0, 100]) by ``group`` over
public keys, every person bounded to 1 group and 1 row (sensitivity 1), epsilon = 1 each. Timed:

  * govshare: ``Query(...)`` + ``count`` + ``sum`` (contribution bounding, noise, in-memory ledger);
  * pandas: the same bound (random row per person and group, random groups per person) + clip +
    groupby, without noise (target: govshare <= 0.25x this, issue 12);
  * OpenDP's Polars API (``truncate_per_group`` / ``truncate_num_groups`` + ``dp.len`` / ``dp.sum``),
    run in a child process because OpenDP 0.16 needs polars 1.36.1: point
    ``GOVSHARE_BENCH_OPENDP_POLARS`` at a folder holding ``pip install --target DIR polars==1.36.1``
    when the environment's polars is another version (target: govshare >= 100x faster, issue 12);
  * PipelineDP's local backend (target: govshare >= 30x faster).

It also reports the counts' mean absolute error against the mechanism's theoretical value
(~0.851 at epsilon = 1, sensitivity 1), the discrete Laplace sampler micro-benchmark of
``bench_dp_sampler.py`` (exact sampler, the old approximate one and OpenDP's, in draws/s) and, in
full mode, scaling from 1M to 10M rows (each size timed after one warm-up run; the 10M warm-up's
own time is reported too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench_dp_sampler import measure as measure_sampler
from govshare.dp import MemoryLedger, Query
from govshare.dp._mechanisms import discrete_laplace_mae

LOW, HIGH = 0.0, 100.0
MAX_GROUPS, MAX_ROWS = 1, 1
EPSILON = 1.0


def make_data(rows: int, people: int, groups: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic rows: person id, group id and a value partly outside the bounds."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "pid": rng.integers(0, people, rows),
            "group": rng.integers(0, groups, rows),
            "value": rng.normal(50, 30, rows),
        }
    )


def with_string_units(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The same rows with each person id replaced by a pseudonym-like string (``ap1.`` + 32 hex
    characters, Arrow-backed), as a privacy unit usually is."""
    people = int(df["pid"].max()) + 1
    salt = int(np.random.default_rng(seed).integers(0, 2**62))
    odd = 0x9E3779B97F4A7C15F39CC0605CEDC835  # an odd multiplier: distinct ids, distinct strings
    pool = pd.Series([f"ap1.{(salt + i) * odd % 2**128:032x}" for i in range(people)], dtype="str")
    out = df.copy()
    out["pid"] = pd.Series(pool.array.take(df["pid"].to_numpy()), index=df.index)
    return out


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of *repeats* runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def cpu_timed(fn: Callable[[], Any], repeats: int) -> float:
    """Median CPU time of this process over *repeats* runs."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def run_govshare(df: pd.DataFrame, keys: list[int]) -> tuple[pd.DataFrame, pd.DataFrame, Query]:
    """The measured govshare query: bound once, release a count and a sum."""
    ledger = MemoryLedger()
    ledger.set("bench", epsilon=2 * EPSILON)
    q = Query(
        df,
        privacy_unit="pid",
        dataset="bench",
        ledger=ledger,
        requester="analyst",
        max_groups=MAX_GROUPS,
        max_rows=MAX_ROWS,
    )
    count = q.count(by="group", keys=keys, epsilon=EPSILON)
    total = q.sum("value", bounds=(LOW, HIGH), by="group", keys=keys, epsilon=EPSILON)
    return count, total, q


def run_pandas(df: pd.DataFrame) -> pd.DataFrame:
    """Plain pandas: the same random bounding, clip and groupby, with no noise."""
    rng = np.random.default_rng()
    shuffled = df.iloc[rng.permutation(len(df))]
    per_pair = shuffled[shuffled.groupby(["pid", "group"], sort=False).cumcount() < MAX_ROWS]
    pairs = per_pair[["pid", "group"]].drop_duplicates()
    pairs = pairs[pairs.groupby("pid", sort=False).cumcount() < MAX_GROUPS]
    kept = per_pair.merge(pairs, on=["pid", "group"])
    kept = kept.assign(value=kept["value"].clip(LOW, HIGH))
    return kept.groupby("group").agg(count=("value", "size"), sum=("value", "sum"))


def run_pipelinedp(df: pd.DataFrame, keys: list[int]) -> tuple[float, int]:
    """PipelineDP's local backend, count and sum in one aggregate (epsilon 2 split evenly)."""
    import pipeline_dp

    rows = list(zip(df["pid"].tolist(), df["group"].tolist(), df["value"].tolist(), strict=True))
    t0 = time.perf_counter()
    accountant = pipeline_dp.NaiveBudgetAccountant(total_epsilon=2 * EPSILON, total_delta=0)
    engine = pipeline_dp.DPEngine(accountant, pipeline_dp.LocalBackend())
    params = pipeline_dp.AggregateParams(
        noise_kind=pipeline_dp.NoiseKind.LAPLACE,
        metrics=[pipeline_dp.Metrics.COUNT, pipeline_dp.Metrics.SUM],
        max_partitions_contributed=MAX_GROUPS,
        max_contributions_per_partition=MAX_ROWS,
        min_value=LOW,
        max_value=HIGH,
    )
    extractors = pipeline_dp.DataExtractors(
        privacy_id_extractor=lambda r: r[0],
        partition_extractor=lambda r: r[1],
        value_extractor=lambda r: r[2],
    )
    result = engine.aggregate(rows, params, extractors, public_partitions=keys)
    accountant.compute_budgets()
    released = list(result)
    return time.perf_counter() - t0, len(released)


_OPENDP_CHILD = """
import json, sys, time
import polars as pl, opendp.prelude as dp
dp.enable_features("contrib")
path, groups, low, high, max_groups, max_rows, eps = sys.argv[1:8]
frame = pl.read_parquet(path)
keys = pl.DataFrame({"group": list(range(int(groups)))})
t0 = time.perf_counter()
ctx = dp.Context.compositor(
    data=frame.lazy(),
    privacy_unit=dp.unit_of(contributions=1, identifier="pid"),
    privacy_loss=dp.loss_of(epsilon=2 * float(eps)),
    split_evenly_over=2,
    margins=[dp.polars.Margin(by=["group"], max_length=frame.height)],
)
def bounded():
    # keep="first" for groups: OpenDP 0.16's "sample" builds a struct with duplicate field names
    # that polars 1.36 refuses; the work done is the same.
    return (ctx.query().truncate_per_group(int(max_rows), by=["group"])
            .truncate_num_groups(int(max_groups), by=["group"], keep="first"))
count = bounded().group_by("group").agg(dp.len()).with_keys(keys).release().collect()
total = (bounded().group_by("group").agg(pl.col("value").clip(float(low), float(high))
         .fill_null(0.0).dp.sum((float(low), float(high)))).with_keys(keys).release().collect())
print(json.dumps({"seconds": time.perf_counter() - t0, "groups": count.height + total.height}))
"""


def run_opendp(df: pd.DataFrame, groups: int, folder: Path) -> dict[str, Any]:
    """OpenDP's Polars API in a child process (data read before the clock starts)."""
    path = folder / "data.parquet"
    df.to_parquet(path)
    env = dict(os.environ)
    extra = os.environ.get("GOVSHARE_BENCH_OPENDP_POLARS")
    if extra:
        env["PYTHONPATH"] = os.pathsep.join([extra, env.get("PYTHONPATH", "")])
    args = [
        str(path),
        str(groups),
        str(LOW),
        str(HIGH),
        str(MAX_GROUPS),
        str(MAX_ROWS),
        str(EPSILON),
    ]
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _OPENDP_CHILD, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=3600,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        hint = (
            "OpenDP 0.16 needs polars 1.36.1: pip install --target DIR polars==1.36.1 "
            "polars-runtime-32==1.36.1 and set GOVSHARE_BENCH_OPENDP_POLARS=DIR"
        )
        return {"error": last[:300], "hint": hint}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def count_mae(df: pd.DataFrame, keys: list[int], releases: int) -> float:
    """Mean |noisy - exact bounded count| over *releases* count releases on one bounded sample."""
    ledger = MemoryLedger()
    ledger.set("mae", epsilon=releases * EPSILON)
    q = Query(
        df,
        privacy_unit="pid",
        dataset="mae",
        ledger=ledger,
        requester="analyst",
        max_groups=MAX_GROUPS,
        max_rows=MAX_ROWS,
    )
    errors = []
    for _ in range(releases):
        result = q.count(by="group", keys=keys, epsilon=EPSILON)
        bounded, _, _ = q._bound(["group"], result.index, None)
        exact = np.bincount(bounded.groups, minlength=len(keys))
        errors.append(np.abs(result["value"].to_numpy() - exact))
    return float(np.concatenate(errors).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI smoke sizes")
    small = parser.parse_args().small
    rows, people, groups = (20_000, 4_000, 100) if small else (1_000_000, 200_000, 1_000)
    repeats = 3 if small else 5
    df = make_data(rows, people, groups)
    keys = list(range(groups))
    run_govshare(df, keys)  # warm-up: imports and first-touch allocations
    run_pandas(df)
    ours, _ = timed(lambda: run_govshare(df, keys), repeats)
    plain, _ = timed(lambda: run_pandas(df), repeats)
    # CPU time of this process: less disturbed than wall time when the machine is shared.
    ours_cpu = cpu_timed(lambda: run_govshare(df, keys), repeats)
    plain_cpu = cpu_timed(lambda: run_pandas(df), repeats)
    pipeline_seconds, _ = run_pipelinedp(df, keys)
    with tempfile.TemporaryDirectory() as folder:
        opendp = run_opendp(df, groups, Path(folder))
    mae = count_mae(df, keys, 20 if small else 5)
    theory = discrete_laplace_mae(1 / EPSILON)
    report: dict[str, Any] = {
        "mode": "small" if small else "full",
        "rows": rows,
        "people": people,
        "groups": groups,
        "epsilon_each": EPSILON,
        "max_groups": MAX_GROUPS,
        "max_rows": MAX_ROWS,
        "govshare_seconds": ours,
        "pandas_no_noise_seconds": plain,
        "ratio_vs_pandas": ours / plain,
        "govshare_cpu_seconds": ours_cpu,
        "pandas_no_noise_cpu_seconds": plain_cpu,
        "ratio_vs_pandas_cpu": ours_cpu / plain_cpu,
        "target_ratio_vs_pandas_max": 0.25,
        "pipelinedp_seconds": pipeline_seconds,
        "speedup_vs_pipelinedp": pipeline_seconds / ours,
        "target_speedup_vs_pipelinedp_min": 30,
        "opendp": opendp,
        "target_speedup_vs_opendp_min": 100,
        "count_mae": mae,
        "count_mae_theory": theory,
        "count_mae_relative_error": abs(mae - theory) / theory,
    }
    if "seconds" in opendp:
        report["speedup_vs_opendp"] = opendp["seconds"] / ours
    # The privacy unit as pseudonym strings (fixed width: partitioned exact encoding).
    strings = with_string_units(df)
    run_govshare(strings, keys)
    string_ours, _ = timed(lambda: run_govshare(strings, keys), repeats)
    report["string_unit_seconds"] = string_ours
    if not small:
        big = make_data(10 * rows, 10 * people, groups, seed=1)
        # Warm-up, as for 1M, so both sizes are timed alike; the warm-up's time is reported too.
        big_first, _ = timed(lambda: run_govshare(big, keys), 1)
        big_ours, _ = timed(lambda: run_govshare(big, keys), 3)
        big_plain, _ = timed(lambda: run_pandas(big), 1)
        big_strings = with_string_units(big, seed=1)
        run_govshare(big_strings, keys)
        big_string_ours, _ = timed(lambda: run_govshare(big_strings, keys), 3)
        report.update(
            string_unit_10x_rows_seconds=big_string_ours,
            string_unit_scaling_10x_rows_factor=big_string_ours / string_ours,
        )
        report.update(
            govshare_10x_rows_seconds=big_ours,
            govshare_10x_rows_first_run_seconds=big_first,
            pandas_10x_rows_seconds=big_plain,
            scaling_10x_rows_factor=big_ours / ours,
            scaling_linear_would_be=10.0,
        )
    report["sampler"] = measure_sampler(small)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
