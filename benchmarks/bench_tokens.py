"""Access-token benchmarks (issue 5), each beside its baseline measured in the same run.

    python benchmarks/bench_tokens.py            # full sizes: 3,000 tokens
    python benchmarks/bench_tokens.py --small    # CI smoke run: tiny sizes, same code paths

Measures, on SQLite:
  * verify: ``ws.tokens.verify`` of tokens from a trusted department, with the revocation and
    use-count checks and the audit event (target >= 60% of the bare-signature baseline), beside
    the baseline of a bare ``Ed25519PublicKey.verify`` loop over the same signed messages;
  * issue: ``ws.tokens.issue`` with its audit event, one transaction per token, and
    ``ws.tokens.issue_many`` in batches of 1,000 (target >= 5,000 tokens/s);
  * verify of tokens bound to a data-sharing agreement (issue 13) beside unbound ones, measured
    interleaved in five rounds so the machine's load hits both alike (target: bound <= 1.2x
    the time of unbound);
  * and, to show where the time goes: pyseto's decode alone, govshare's checks without the store,
    the use-count upsert alone, PASETO signing alone, and the foundation's one-event audit append.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyseto
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyseto.utils import pae

from govshare import Workspace
from govshare.testing import FrozenClock, temporary_workspace
from govshare.tokens import _paseto

PURPOSE = "subsidy-eligibility"


def _rate(n: int, fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def _issue(issuer: Workspace, audience: str, n: int) -> list[str]:
    return [
        issuer.tokens.issue(
            audience=audience,
            purpose=PURPOSE,
            categories=["identity", "income"],
            ttl=timedelta(hours=1),
            max_uses=10,
        )
        for _ in range(n)
    ]


def _signed_messages(tokens: list[str], key: Ed25519PublicKey) -> list[tuple[bytes, bytes]]:
    """(signature, PAE message) of each token: exactly what Ed25519 checks inside verify."""
    out = []
    for token in tokens:
        body, footer = _paseto.split(token)
        message = pae([b"v4.public.", body[:-64], footer, b""])
        key.verify(body[-64:], message)
        out.append((body[-64:], message))
    return out


def _agreement(issuer: Workspace, holder: Workspace) -> str:
    """An active agreement: holder (civil-affairs) provides income data to issuer (hrss)."""
    issuer.tokens.trust(holder.keys.export_public())
    column = {"title_zh": "收入", "title_en": "Income", "category": "income"}
    holder.catalogue.publish(
        {
            "item_id": "households", "source_department": "civil-affairs",
            "title_zh": "低保家庭", "title_en": "Households", "description_zh": "低保家庭",
            "description_en": "Households", "columns": [{"name": "income", **column}],
            "share": "conditional", "conditions": ["仅限补贴审核"], "grade": "general",
            "update_frequency": "monthly", "share_mode": "interface",
        }
    )  # fmt: skip
    issuer.catalogue.import_catalogue(holder.catalogue.export())
    request = issuer.requests.submit(
        item="households", columns=["income"], purpose=PURPOSE, legal_basis="legal-obligation",
        duty_basis="社会救助暂行办法", use_type="administrative-basis", justification="核对收入",
        principals=["zhang.wei@hrss"], case_ref="case-1",
        valid_until=datetime(2026, 12, 31, tzinfo=UTC),
    )  # fmt: skip
    received = holder.requests.receive(request)
    record = issuer.requests.import_decision(holder.requests.decide(received.id, approve=True))
    assert record.decision is not None
    assert record.decision.agreement is not None
    agreement = record.decision.agreement.agreement_id
    holder.agreements.import_countersignature(issuer.agreements.countersign(agreement))
    return agreement


def bench(folder: Path, n: int) -> dict[str, float]:
    """Every figure, measured in this run."""
    # A fixed working day, so the agreement's deadlines stay in years the calendar covers.
    clock = FrozenClock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    issuer = temporary_workspace(folder / "issuer", department="hrss", clock=clock)
    holder = temporary_workspace(folder / "holder", department="civil-affairs", clock=clock)
    holder.tokens.trust(issuer.keys.export_public())
    warm = _issue(issuer, "civil-affairs", 20)
    for token in warm:
        holder.tokens.verify(token, audience="civil-affairs", purpose=PURPOSE)
    results: dict[str, float] = {}

    tokens: list[str] = []
    results["issue_per_s"] = _rate(n, lambda: tokens.extend(_issue(issuer, "civil-affairs", n)))

    request = {
        "audience": "civil-affairs",
        "purpose": PURPOSE,
        "categories": ["identity", "income"],
        "ttl": timedelta(hours=1),
        "max_uses": 10,
    }

    def issue_batches() -> None:
        for start in range(0, n, 1000):
            issuer.tokens.issue_many([request] * min(1000, n - start))

    results["issue_many_per_s"] = _rate(n, issue_batches)
    raw = issuer.keys.verify_key(issuer.keys.info("token-signing").kid).raw
    bare_key = Ed25519PublicKey.from_public_bytes(raw)
    signed = _signed_messages(tokens, bare_key)

    def bare() -> None:
        for signature, message in signed:
            bare_key.verify(signature, message)

    results["baseline_ed25519_verify_per_s"] = _rate(n, bare)

    def verify_all() -> None:
        for token in tokens:
            holder.tokens.verify(token, audience="civil-affairs", purpose=PURPOSE)

    results["verify_per_s"] = _rate(n, verify_all)
    results["verify_ratio_to_bare_ed25519"] = (
        results["verify_per_s"] / results["baseline_ed25519_verify_per_s"]
    )

    # Agreement-bound tokens beside unbound ones, the same number of each, interleaved.
    agreement = _agreement(issuer, holder)
    bound_args: dict[str, Any] = {
        "audience": "civil-affairs", "purpose": PURPOSE, "categories": ["income"],
        "ttl": timedelta(hours=1), "max_uses": 10, "agreement": agreement,
        "case_ref": "case-1", "principal": "zhang.wei@hrss",
    }  # fmt: skip
    unbound_args = {k: bound_args[k] for k in ("audience", "purpose", "categories", "ttl")}
    bound = [issuer.tokens.issue(**bound_args) for _ in range(n)]
    unbound = [issuer.tokens.issue(**unbound_args, max_uses=10) for _ in range(n)]
    times = {"bound": 0.0, "unbound": 0.0}
    rounds = 5
    for r in range(rounds):
        part = slice(r * n // rounds, (r + 1) * n // rounds)
        for name, group in (("unbound", unbound[part]), ("bound", bound[part])):
            t0 = time.perf_counter()
            for token in group:
                holder.tokens.verify(token, audience="civil-affairs", purpose=PURPOSE)
            times[name] += time.perf_counter() - t0
    results["verify_unbound_interleaved_per_s"] = n / times["unbound"]
    results["verify_agreement_bound_per_s"] = n / times["bound"]
    results["verify_bound_time_ratio_to_unbound"] = times["bound"] / times["unbound"]

    # Where the time goes (each measured alone, in this run).
    py_key = _paseto.public_key(issuer.keys.verify_key(issuer.keys.info("token-signing").kid))

    def decode_all() -> None:
        for token in tokens:
            pyseto.decode(py_key, token)

    results["pyseto_decode_per_s"] = _rate(n, decode_all)
    checks = holder.tokens

    def checks_only() -> None:
        for token in tokens:
            claims, _ = checks._authenticate(token, None, {})
            checks._check_time(claims, checks._clock.now())

    results["verify_checks_without_store_per_s"] = _rate(n, checks_only)
    store, statements = holder.store, holder.tokens._statements
    jtis = [f"{i:032x}" for i in range(n)]

    def upserts() -> None:
        for jti in jtis:
            with store.transaction() as conn:
                statements.take(conn, jti, 1, 10)

    results["use_count_upsert_tx_per_s"] = _rate(n, upserts)

    def audit_appends() -> None:
        for jti in jtis:
            holder.audit.record("bench.token-accepted", {"jti": jti, "uses": 1})

    results["audit_record_one_event_tx_per_s"] = _rate(n, audit_appends)
    signer = issuer.tokens._signer()[1]
    payload = b'{"aud":"civil-affairs","jti":"' + b"0" * 32 + b'"}' * 8

    def sign_only() -> None:
        for _ in range(n):
            _paseto.sign(signer, payload, b'{"kid":"x"}')

    results["paseto_sign_per_s"] = _rate(n, sign_only)
    issuer.close()
    holder.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON object of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny sizes for CI smoke runs")
    args = parser.parse_args(argv)
    n = 150 if args.small else 3_000
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, float | str | int] = {"mode": "small" if args.small else "full", "n": n}
        results.update(bench(Path(tmp), n))
    results["targets"] = (
        "verify_ratio_to_bare_ed25519 >= 0.60; issue >= 5000 tokens/s; "
        "verify_bound_time_ratio_to_unbound <= 1.2"
    )
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
