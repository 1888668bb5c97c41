"""Where the DP query's time goes at 1M and 10M rows, stage by stage (cProfile, same process).

Runs ``bench_dp.run_govshare`` (noisy count and bounded sum by group with per-person bounding)
at two sizes, for integer and for pseudonym-string privacy units, and reports each library
function's cumulative time per query at both sizes and their ratio: a stage that scales worse
than the rows shows a ratio well above 10. cProfile adds overhead, so the totals here are higher
than ``bench_dp.py``'s; the ratios are what this is for.

Usage: ``python benchmarks/bench_dp_stages.py [--small] [--top N]``; prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dp import make_data, run_govshare, with_string_units

GROUPS = 1000
REPEATS = 3


def stage_seconds(units: str, rows: int, people: int) -> dict[str, float]:
    """Cumulative seconds per query of every function, keyed ``file:function``."""
    frame = make_data(rows, people, GROUPS)
    if units == "string":
        frame = with_string_units(frame)
    keys = list(range(GROUPS))
    run_govshare(frame, keys)  # warm-up, as bench_dp.py does
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(REPEATS):
        run_govshare(frame, keys)
    profile.disable()
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {
        f"{Path(file).name}:{name}": entry[3] / REPEATS for (file, _, name), entry in stats.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI smoke sizes")
    parser.add_argument("--top", type=int, default=15, help="stages to list per unit type")
    args = parser.parse_args()
    rows, people = (20_000, 4_000) if args.small else (1_000_000, 200_000)
    report: dict[str, Any] = {"rows": [rows, 10 * rows], "people": [people, 10 * people]}
    for units in ("integer", "string"):
        small = stage_seconds(units, rows, people)
        big = stage_seconds(units, 10 * rows, 10 * people)
        top = sorted(big, key=lambda name: -big[name])[: args.top]
        report[units] = [
            {
                "stage": name,
                "seconds": [round(small.get(name, 0.0), 4), round(big[name], 4)],
                "factor": round(big[name] / small[name], 1) if small.get(name) else None,
            }
            for name in top
        ]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
