"""check(): run every registered rule over a store and its log and assemble the report."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from govshare._clock import SystemClock, ensure_aware
from govshare.audit import (
    AuditLog,
    AuditRecord,
    SignedCheckpoint,
    parse_verifier_key,
    verifier_key_string,
)
from govshare.compliance._context import Context, Progress, read_meta
from govshare.compliance._guide import GUIDE
from govshare.compliance._model import Evidence, Finding, GuideEntry, Status, Text
from govshare.compliance._policy import Policy
from govshare.compliance._registry import RULES, Outcome, Rule
from govshare.compliance._report import Anchor, BudgetPoint, Report
from govshare.compliance._rules import dp as dp_rules
from govshare.crypto import VerifyKey
from govshare.exceptions import InputError, IntegrityError, StorageError
from govshare.identifiers import shown
from govshare.storage import Store

__all__ = ["check"]


class HasStoreAndLog(Protocol):
    """What check() needs of a workspace: its store and its audit log."""

    @property
    def store(self) -> Store: ...

    @property
    def audit(self) -> AuditLog: ...


def check(
    ws_or_store: HasStoreAndLog | Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    policy: Policy | None = None,
    checkpoints: Sequence[SignedCheckpoint | str] = (),
    key: str | VerifyKey | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run every compliance rule over a store and its audit log; changes nothing.

    Args:
        ws_or_store: a :class:`~govshare.Workspace`, or a :class:`~govshare.storage.Store` (an
            auditor's read-only copy: ``Store.open(url, read_only=True)``).
        since, until: the period examined (aware; ``since <= time < until``). The log is always
            verified whole.
        policy: thresholds (default :class:`Policy()`).
        checkpoints: checkpoints the auditor kept (objects or note text); the log must be
            consistent with each.
        key: the log's public key as the auditor was given it (a verifier key string or
            :class:`VerifyKey`). Default: the workspace's own key, or for a bare store the key
            recorded in the store itself (the report says so).
        progress: ``progress(stage, done, total)`` callback for long logs.

    Raises:
        InputError: a malformed checkpoint or key, a key for another log, or since >= until.
        NaiveDatetimeError: *since* or *until* has no timezone.
        StorageError: the store holds no govshare workspace.
    """
    since = None if since is None else ensure_aware(since, "since")
    until = None if until is None else ensure_aware(until, "until")
    if since is not None and until is not None and since >= until:
        raise InputError("since must be before until")
    parsed = tuple(
        SignedCheckpoint.from_text_unverified(c) if isinstance(c, str) else c for c in checkpoints
    )
    store, log, key_source = _open(ws_or_store, key)
    ctx = Context(
        store,
        log,
        policy=policy or Policy(),
        since=since,
        until=until,
        checkpoints=parsed,
        event_types=sorted({t for r in RULES.values() for t in r.event_types}),
        progress=progress,
    )
    # Implemented rules first, then the pending ones (stable: registration order within each).
    ordered = sorted(RULES.values(), key=lambda r: r.check is None)
    findings = tuple(_run(ctx, rule) for rule in ordered)
    return _report(ctx, findings, key_source)


def _open(
    source: HasStoreAndLog | Store, key: str | VerifyKey | None
) -> tuple[Store, AuditLog, str]:
    if isinstance(source, Store):
        meta = read_meta(source)
        if not meta:
            raise StorageError(f"{source.url} holds no govshare workspace")
        origin = meta["origin"]
        verify_key = (
            _key(key, origin) if key is not None else parse_verifier_key(meta["log_key"])[1]
        )
        log = AuditLog(source, origin=origin, public_key=verify_key, actor=meta["department"])
        return source, log, "auditor" if key is not None else "store"
    log = source.audit
    if key is not None:
        log = AuditLog(source.store, origin=log.origin, public_key=_key(key, log.origin))
        return source.store, log, "auditor"
    return source.store, log, "auditor"


def _key(key: str | VerifyKey, origin: str) -> VerifyKey:
    if isinstance(key, VerifyKey):
        return key
    name, verify_key = parse_verifier_key(key)
    if name != origin:
        raise InputError(f"the key is for log {shown(name)}, not this store's log {shown(origin)}")
    return verify_key


def _run(ctx: Context, rule: Rule) -> Finding:
    if rule.check is None:
        outcome = Outcome("not-applicable", rule.waits_for or Text(zh="待实现", en="pending"))
    else:
        outcome = rule.check(ctx)
    limit = ctx.policy.max_evidence
    logged = [v for v in outcome.violations if v.record is not None]
    evidence = tuple(
        _evidence(ctx, v.record, v.note) for v in logged[:limit] if v.record is not None
    )
    items = tuple(dict.fromkeys(v.item for v in outcome.violations if v.item is not None))
    return Finding(
        rule=rule.id,
        title=rule.title,
        severity=rule.severity,
        status=outcome.status,
        checked=outcome.checked,
        violations=len(outcome.violations),
        explanation=outcome.explanation,
        articles=rule.articles,
        evidence=evidence,
        evidence_omitted=max(0, len(logged) - limit),
        items=items,
    )


def _evidence(ctx: Context, record: AuditRecord, note: Text) -> Evidence:
    """The entry's bytes and, when the log verified, its inclusion proof against the anchor."""
    ((_, entry, _leaf),) = list(ctx.log.raw_entries(record.seq, record.seq + 1))
    report, anchor = ctx.verified, ctx.anchor
    proof, kind = None, "none"
    if report is not None:
        covered = anchor is not None and record.seq < anchor.size
        size = anchor.size if covered and anchor is not None else report.size
        root = anchor.root_hash if covered and anchor is not None else report.root
        proof = ctx.log.inclusion_proof(record.seq, size)
        proof.verify()
        ok = hmac.compare_digest(proof.root, root) and hmac.compare_digest(
            hashlib.sha256(b"\x00" + entry).digest(), proof.leaf_hash
        )
        if not ok:
            raise IntegrityError("the store changed while it was being checked; check it again")
        kind = "checkpoint" if covered else "head"
    return Evidence(
        index=record.seq,
        type=record.event.type,
        time=record.event.time,
        note=note,
        entry=entry.decode("utf-8"),
        proof=proof,
        anchor=kind,
    )


def _report(ctx: Context, findings: tuple[Finding, ...], key_source: str) -> Report:
    report, anchor = ctx.verified, ctx.anchor
    supplied = {c.text for c in ctx.supplied}
    status: dict[str, Status] = {f.rule: f.status for f in findings}
    return Report(
        generated_at=SystemClock().now(),
        store=ctx.store.url,
        origin=ctx.log.origin,
        log_key=verifier_key_string(ctx.log.origin, ctx.log.verify_key),
        key_source=key_source,
        since=ctx.since,
        until=ctx.until,
        policy=ctx.policy,
        log_size=report.size if report is not None else ctx.log.size(),
        log_root=base64.b64encode(report.root).decode("ascii") if report is not None else None,
        log_verified=report is not None,
        anchor=None
        if anchor is None
        else Anchor(
            size=anchor.size,
            root=base64.b64encode(anchor.root_hash).decode("ascii"),
            note=anchor.text,
            source="auditor" if anchor.text in supplied else "store",
        ),
        findings=findings,
        guide=_guide(status),
        budget_use=_budget_use(ctx),
        budget_caps={b.dataset: b.epsilon_cap for b in ctx.budgets if b.requester == dp_rules.ALL},
        releases_per_recipient=dict(Counter(r.event.actor for r in ctx.events(dp_rules.RELEASED))),
    )


def _guide(status: dict[str, Status]) -> tuple[GuideEntry, ...]:
    out = []
    for item in GUIDE:
        rules = tuple(r.id for r in RULES.values() if item.item in r.guide_items)
        checked = [r for r in rules if RULES[r].check is not None]
        coverage = (
            "documentary"
            if not checked
            else "partial"
            if item.collect is not None
            else "mechanical"
        )
        out.append(
            GuideEntry(
                item=item.item,
                topic=item.topic,
                pipl=item.pipl,
                coverage=coverage,
                rules=rules,
                statuses=tuple(status[r] for r in rules),
                collect=item.collect,
            )
        )
    return tuple(out)


def _budget_use(ctx: Context) -> tuple[BudgetPoint, ...]:
    spent: dict[str, float] = defaultdict(float)
    points = []
    for record in ctx.events(dp_rules.RELEASED, whole_log=True):
        dataset = str(record.event.data.get("dataset"))
        units = dp_rules.amount(record.event.data, "epsilon", dp_rules.EPSILON_UNIT, charge=True)
        spent[dataset] += float(units * dp_rules.EPSILON_UNIT)
        if ctx.in_period(record.event.time):
            points.append(
                BudgetPoint(time=record.event.time, dataset=dataset, epsilon=spent[dataset])
            )
    return tuple(points)
