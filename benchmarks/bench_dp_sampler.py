"""Discrete Laplace sampler micro-benchmark (issue 12): draws per second, each sampler in one run.

    python benchmarks/bench_dp_sampler.py            # 1,000,000 draws per run (OpenDP: 100,000)
    python benchmarks/bench_dp_sampler.py --small    # CI smoke run: 50,000 (OpenDP: 5,000)

Samplers, at scale 1 and at scale 1,000:

  * govshare's exact sampler (``govshare.dp._sampler.discrete_laplace``: Canonne-Kamath-Steinke
    2020, integer arithmetic and CSPRNG words only; targets >= 5 M/s at scale 1 and >= 2 M/s at
    scale 1,000);
  * the approximate sampler it replaced, kept here only for comparison: the difference of two
    ``floor(-log(U) * scale)`` with ``U`` a 53-bit CSPRNG uniform (integer outputs, but only
    approximately geometric, and no draw beyond about 37 scales);
  * OpenDP's exact sampler (``make_laplace`` on a vector of integers, the same CKS construction in
    Rust), one call for all draws of a run; its time includes turning the Python list into a
    Rust vector and back.

Each figure is the median of several timed runs after a warm-up (the best run, and the rate per
second of CPU time, are reported too); the machine may be shared, so expect noise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from govshare.dp._rng import uniform_open_closed
from govshare.dp._sampler import discrete_laplace

SCALES = (1, 1000)
TARGETS = {1: 5e6, 1000: 2e6}


def old_approximate(n: int, scale: float) -> NDArray[np.int64]:
    """The sampler govshare used before issue 12 (for comparison only; not exact)."""
    u = uniform_open_closed(2 * n)
    geometric = np.floor(-np.log(u) * scale)
    return (geometric[:n] - geometric[n:]).astype(np.int64)


def opendp_sampler(scale: float) -> Callable[[int], Any] | None:
    """OpenDP's exact integer Laplace over a vector of *n* zeros, or None if OpenDP is missing."""
    try:
        import opendp.prelude as dp
    except ImportError:
        return None
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=scale)
    return lambda n: measurement([0] * n)


def rate(draw: Callable[[int], Any], n: int, repeats: int) -> dict[str, float]:
    """Draws per second of wall time (median and best of *repeats* runs, after a warm-up), and
    per second of this process's CPU time (median), which other processes' load disturbs less."""
    draw(min(n, 1000))
    seconds, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        draw(n)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "draws": n,
        "draws_per_second": n / statistics.median(seconds),
        "best_draws_per_second": n / min(seconds),
        "draws_per_cpu_second": n / max(statistics.median(cpu), 1e-9),
    }


def measure(small: bool) -> dict[str, Any]:
    """Every sampler at every scale; the report bench_dp.py also embeds."""
    n, n_opendp, repeats = (50_000, 5_000, 3) if small else (1_000_000, 100_000, 5)
    report: dict[str, Any] = {"mode": "small" if small else "full"}
    for scale in SCALES:
        exact = rate(lambda k, s=scale: discrete_laplace(k, Fraction(s)), n, repeats)
        old = rate(lambda k, s=scale: old_approximate(k, float(s)), n, repeats)
        entry: dict[str, Any] = {
            "exact": exact,
            "exact_target_min_draws_per_second": TARGETS[scale],
            "old_approximate": old,
            "exact_vs_old": exact["draws_per_second"] / old["draws_per_second"],
        }
        opendp = opendp_sampler(float(scale))
        if opendp is not None:
            entry["opendp_exact"] = rate(opendp, n_opendp, max(1, repeats - 2))
            entry["exact_vs_opendp"] = (
                exact["draws_per_second"] / entry["opendp_exact"]["draws_per_second"]
            )
        report[f"scale_{scale}"] = entry
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI smoke sizes")
    print(json.dumps(measure(parser.parse_args().small), indent=2))


if __name__ == "__main__":
    main()
