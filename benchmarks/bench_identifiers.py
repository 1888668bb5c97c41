"""The identifier scanner's cost on the audit path (issue 11), beside the old one-regex filter.

    python benchmarks/bench_identifiers.py            # 200,000 strings, 20,000 events
    python benchmarks/bench_identifiers.py --small    # CI smoke run: tiny sizes, same code paths

Measures:
  * looks_like_identifier over the strings real audit events carry (token ids, key ids, log
    origins, timestamps, codes, Chinese case references, small numbers), beside the baseline:
    the single regular expression it replaced (bare IDs and mobiles between non-alphanumerics);
  * building AuditEvents (every string scanned), the cost an append pays per event.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from govshare.audit import AuditEvent
from govshare.identifiers import looks_like_identifier

# The filter before issue 11, kept here only as the baseline.
_OLD = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15}|(?:\+?86|0086)?[-\s]?1[3-9]\d{9})(?![0-9A-Za-z])"
)


def _strings(n: int) -> list[str]:
    kinds = [
        lambda: secrets.token_hex(16),
        lambda: f"token-signing-v1-{secrets.token_hex(8)}",
        lambda: f"govshare/civil-affairs/audit/{secrets.token_hex(8)}",
        lambda: "2026-03-02T02:00:00Z",
        lambda: "subsidy-eligibility",
        lambda: "人社补\u30142026\u301542号",
        lambda: f"ag-{secrets.token_hex(16)}",
        lambda: "fraud case 2026-17",
    ]
    return [kinds[i % len(kinds)]() for i in range(n)]


def _rate(fn: object, items: list[str]) -> float:
    start = time.perf_counter()
    for s in items:
        fn(s)  # type: ignore[operator]
    return len(items) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="tiny sizes for a CI smoke run")
    args = parser.parse_args()
    n_strings, n_events = (2_000, 200) if args.small else (200_000, 20_000)
    strings = _strings(n_strings)
    flagged = sum(looks_like_identifier(s) for s in strings)  # chance shapes in random hex
    new = _rate(looks_like_identifier, strings)
    old = _rate(_OLD.search, strings)
    now = datetime.now(UTC)
    data = {
        "jti": secrets.token_hex(16),
        "kid": f"token-signing-v1-{secrets.token_hex(8)}",
        "purpose": "subsidy-eligibility",
        "case_ref": "人社补\u30142026\u301542号",
        "expires_at": "2026-03-02T02:00:00Z",
        "uses": 1,
    }
    start = time.perf_counter()
    for _ in range(n_events):
        AuditEvent(type="token.verified", actor="civil-affairs", time=now, data=data)
    events = n_events / (time.perf_counter() - start)
    result = {
        "strings": n_strings,
        "flagged_by_chance": flagged,
        "strings_per_s_new": round(new),
        "strings_per_s_old_regex": round(old),
        "new_over_old_time_ratio": round(old / new, 2),
        "audit_events_built_per_s": round(events),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
