"""Pseudonymisation throughput: the default scheme vs series.apply(hmac…hexdigest), same run.

The default scheme runs with the compiled kernels when they were built (``native_kernels``),
and once more with the NumPy fallback for comparison.

Peak memory is what tracemalloc sees (NumPy buffers and Python objects; the output Arrow array
wraps NumPy memory), minus what was allocated before the call.

Usage: ``python benchmarks/bench_pseudonymise.py [--small]``; prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from statistics import median

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.identifiers._ids import valid_ids

from govshare.crypto import SecretKey, _prf
from govshare.identifiers import _packed, _resident_id
from govshare.identifiers._accel import native
from govshare.pseudonym import Pseudonymiser

SHA256_STATES = _prf._SHA256


def best(
    fn: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Best of *repeat* runs; *clock* is wall time, or CPU time of this process on a busy box."""
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="CI smoke size")
    args = parser.parse_args()
    n = 20_000 if args.small else 1_000_000
    repeat = 3 if args.small else 5
    ids = valid_ids(n, seed=1)
    root = SecretKey.generate()
    key = bytes(32)
    result: dict[str, object] = {"rows": n, "input_dtype": str(ids.dtype)}
    default = Pseudonymiser(root, domain="hrss")
    t_default = best(lambda: default.pseudonymise(ids), repeat)
    t_base = best(
        lambda: ids.apply(lambda v: hmac.new(key, v.encode(), "sha256").hexdigest()),
        1 if not args.small else 2,
    )
    result["default_aes_prp_rows_per_s"] = round(n / t_default)
    result["baseline_apply_hmac_rows_per_s"] = round(n / t_base)
    result["ratio_default_vs_baseline"] = round(t_base / t_default, 1)
    # CPU time of this process: less disturbed when other jobs share the cores.
    cpu_default = best(lambda: default.pseudonymise(ids), repeat, time.process_time)
    cpu_base = best(
        lambda: ids.apply(lambda v: hmac.new(key, v.encode(), "sha256").hexdigest()),
        1 if not args.small else 2,
        time.process_time,
    )
    result["cpu_default_aes_prp_rows_per_s"] = round(n / cpu_default)
    result["cpu_baseline_apply_hmac_rows_per_s"] = round(n / cpu_base)
    result["cpu_ratio_default_vs_baseline"] = round(cpu_base / cpu_default, 1)
    # The same scheme with the NumPy fallback (what runs where the C kernels were not built).
    result["native_kernels"] = native is not None
    _resident_id.native = _packed.native = None
    t_numpy = best(lambda: default.pseudonymise(ids), repeat)
    _resident_id.native = _packed.native = native
    result["default_numpy_fallback_rows_per_s"] = round(n / t_numpy)
    # HMAC-SHA256 over CPython's built-in SHA-256 states (the default) vs OpenSSL's, interleaved.
    hmac_ps = Pseudonymiser(root, domain="hrss", scheme="hmac-sha256")
    builtin_states, openssl_states = [], []
    for _ in range(repeat):
        builtin_states.append(best(lambda: hmac_ps.pseudonymise(ids), 1))
        _prf._SHA256 = hashlib.sha256
        openssl_states.append(best(lambda: hmac_ps.pseudonymise(ids), 1))
        _prf._SHA256 = SHA256_STATES
    result["hmac-sha256_builtin_states_median_rows_per_s"] = round(n / median(builtin_states))
    result["hmac-sha256_openssl_states_median_rows_per_s"] = round(n / median(openssl_states))
    for scheme in ("sm4-prp", "hmac-sha256", "hmac-sm3", "aes-siv"):
        ps = Pseudonymiser(root, domain="hrss", scheme=scheme)  # type: ignore[arg-type]
        result[f"{scheme}_rows_per_s"] = round(n / best(lambda ps=ps: ps.pseudonymise(ids), 1))
    input_bytes = int(pa.array(ids.array).nbytes)  # offsets + characters
    tracemalloc.start()
    default.pseudonymise(ids)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["input_column_bytes"] = input_bytes
    result["default_peak_extra_bytes"] = peak
    result["peak_ratio_to_input"] = round(peak / input_bytes, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
