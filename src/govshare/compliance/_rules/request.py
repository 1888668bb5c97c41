"""Rules over sharing requests: decided within the working-day deadline; refusals give reasons.

The log is the evidence: ``request.received`` (with the deadline the provider computed,
``decide_by``) and ``request.decided`` (with ``approved`` and ``reasons``), verified and proved
like every other entry. The store's request records, read through the exchange's read API
(:func:`govshare.exchange.read_requests`), are checked against the log, so a request stored
without a logged receipt or decision cannot pass unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from govshare._clock import SystemClock, utc_iso
from govshare.audit import AuditRecord
from govshare.compliance._context import Context
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import guide, measures2016, regulation2025, t
from govshare.exceptions import StorageError
from govshare.exchange import RequestRecord, end_of_working_days

__all__ = ["decision_deadline", "refusal_reasons"]

RECEIVED = "request.received"
DECIDED = "request.decided"


def _time(data: Mapping[str, object], name: str) -> datetime | None:
    value = data.get(name)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _by_request(records: list[AuditRecord]) -> dict[str, AuditRecord]:
    """The first entry per request id (a second one for the same request cannot replace it)."""
    first: dict[str, AuditRecord] = {}
    for record in records:
        request_id = record.event.data.get("request_id")
        if isinstance(request_id, str):
            first.setdefault(request_id, record)
    return first


def _unreadable(error: StorageError) -> Outcome:
    return Outcome(
        "fail",
        t(
            f"存储中的共享申请记录无法读取为有效记录：{error}",
            f"The store's request records cannot be read as valid records: {error}",
        ),
        violations=(Violation(t(str(error), str(error))),),
    )


def _stored(ctx: Context) -> list[RequestRecord] | Outcome:
    found = ctx.received_requests
    return _unreadable(found) if isinstance(found, StorageError) else found


@rule(
    "request-decision-deadline",
    family="request",
    title=t(
        "每个共享申请都在工作日期限内得到答复",
        "Every request got a decision within its working-day deadline",
    ),
    explanation=t(
        "提供部门应在规定的工作日内答复共享申请：期限取收到时记录的期限（decide_by）与策略 "
        "decision_deadline_working_days（自收到之日起按中国法定工作日计算）中较早者；逾期答复或逾期仍未答复"
        "均为违规。存储中的申请记录须在日志中有收到和答复的记录。",
        "The providing department decides each request within its deadline: the earlier of the "
        "deadline recorded on receipt (decide_by) and the policy's "
        "decision_deadline_working_days counted in Chinese working days from receipt. A late "
        "decision, or none by the deadline, is a violation; every stored request must have its "
        "receipt and decision in the log.",
    ),
    articles=(
        regulation2025("time limit for replying to sharing requests"),
        measures2016("Art. 14"),
        guide(15),
    ),
    guide_items=(15,),
    severity="medium",
    event_types=(RECEIVED, DECIDED),
)
def decision_deadline(ctx: Context) -> Outcome:
    """Each request received in the period was decided before its deadline (or is not yet due)."""
    stored = _stored(ctx)
    if isinstance(stored, Outcome):
        return stored
    every_received = _by_request(ctx.events(RECEIVED, whole_log=True))
    received = [r for r in ctx.events(RECEIVED) if r.seq == _seq(every_received, r)]
    orphans = [
        s
        for s in stored
        if s.id not in every_received and s.received_at is not None and ctx.in_period(s.received_at)
    ]
    if not received and not orphans:
        return Outcome(
            "not-applicable",
            t("审计期间没有收到共享申请。", "No request was received in the period."),
        )
    decided = _by_request(ctx.events(DECIDED, whole_log=True))
    at = _examined_at(ctx)
    violations: list[Violation] = []
    open_ = provisional = 0
    for record in received:
        data = record.event.data
        request_id = str(data.get("request_id"))
        due = _deadline(ctx, record)
        provisional += data.get("deadline_provisional") is True
        decision = decided.get(request_id)
        if decision is not None and decision.event.time >= due:
            violations.append(_late(record, decision, request_id, due))
        elif decision is None and at > due:  # the period ends before `until`
            violations.append(_undecided(record, request_id, due, at))
        elif decision is None:
            open_ += 1
    violations += _unlogged(stored, orphans, every_received, decided)
    return _deadline_outcome(len(received) + len(orphans), violations, open_, provisional)


def _seq(first: dict[str, AuditRecord], record: AuditRecord) -> int:
    found = first.get(str(record.event.data.get("request_id")))
    return record.seq if found is None else found.seq


def _examined_at(ctx: Context) -> datetime:
    """The instant undecided requests are judged at: the period's end, or now if earlier."""
    now = SystemClock().now()
    return now if ctx.until is None else min(ctx.until, now)


def _deadline(ctx: Context, record: AuditRecord) -> datetime:
    policy_due = end_of_working_days(record.event.time, ctx.policy.decision_deadline_working_days)
    recorded = _time(record.event.data, "decide_by")
    return policy_due if recorded is None else min(recorded, policy_due)


def _late(
    received: AuditRecord, decision: AuditRecord, request_id: str, due: datetime
) -> Violation:
    return Violation(
        t(
            f"申请 {request_id}（第 {received.seq} 条收到）于 {utc_iso(decision.event.time)} 答复，"
            f"晚于期限 {utc_iso(due)}",
            f"request {request_id} (received at entry {received.seq}) was decided at "
            f"{utc_iso(decision.event.time)}, after its deadline {utc_iso(due)}",
        ),
        record=decision,
        item=request_id,
    )


def _undecided(received: AuditRecord, request_id: str, due: datetime, at: datetime) -> Violation:
    return Violation(
        t(
            f"申请 {request_id} 在期限 {utc_iso(due)} 后仍未答复（检查时点 {utc_iso(at)}）",
            f"request {request_id} was still undecided after its deadline {utc_iso(due)} "
            f"(examined at {utc_iso(at)})",
        ),
        record=received,
        item=request_id,
    )


def _unlogged(
    stored: list[RequestRecord],
    orphans: list[RequestRecord],
    received: dict[str, AuditRecord],
    decided: dict[str, AuditRecord],
) -> list[Violation]:
    """Stored requests whose receipt, or decision, the log does not show."""
    found = [
        Violation(
            t(
                f"申请 {s.id} 在存储中，但日志中没有收到记录，无法证明其期限",
                f"request {s.id} is in the store but its receipt is not in the log, so its "
                "deadline cannot be shown",
            ),
            item=s.id,
        )
        for s in orphans
    ]
    for s in stored:
        if s.status != "pending" and s.id in received and s.id not in decided:
            found.append(
                Violation(
                    t(
                        f"存储记录申请 {s.id} 已答复（{s.status}），但日志中没有答复记录",
                        f"the store says request {s.id} was decided ({s.status}), but the log "
                        "holds no decision",
                    ),
                    record=received[s.id],
                    item=s.id,
                )
            )
    return found


def _deadline_outcome(
    checked: int, violations: list[Violation], open_: int, provisional: int
) -> Outcome:
    note_zh = f"；{provisional} 个期限因工作日历缺少年份按周一至周五临时计算" if provisional else ""
    note_en = (
        f"; {provisional} deadline(s) were counted Monday to Friday (provisional: the "
        "working-day calendar lacks a year)"
        if provisional
        else ""
    )
    if violations:
        return Outcome(
            "fail",
            t(
                f"{checked} 个申请中有 {len(violations)} 项违反答复期限{note_zh}。",
                f"{len(violations)} problem(s) with decision deadlines among {checked} "
                f"request(s){note_en}.",
            ),
            checked=checked,
            violations=tuple(violations),
        )
    pending = (
        (f"，{open_} 个尚未到期", f", {open_} still within their deadline") if open_ else ("", "")
    )
    return Outcome(
        "pass",
        t(
            f"全部 {checked} 个申请均在期限内答复{pending[0]}{note_zh}。",
            f"All {checked} request(s) were decided within their deadline{pending[1]}{note_en}.",
        ),
        checked=checked,
    )


@rule(
    "request-refusal-reasons",
    family="request",
    title=t("每个拒绝都说明理由", "Every refusal states its reasons"),
    explanation=t(
        "不予共享或拒绝申请时，必须说明理由和依据：日志中每个拒绝答复（request.decided，approved 为假）"
        "都须有非空理由，存储中每个被拒绝的申请都须有含理由的答复。",
        "A refused request must state its reasons and their basis: every refusal in the log "
        "(request.decided with approved false) has non-blank reasons, and every refused request "
        "in the store holds a decision with them.",
    ),
    articles=(
        regulation2025("reasons for refusing a sharing request"),
        measures2016("Art. 14"),
        guide(15),
    ),
    guide_items=(15,),
    severity="medium",
    event_types=(DECIDED,),
)
def refusal_reasons(ctx: Context) -> Outcome:
    """Every refusal decided in the period, logged or stored, gives non-blank reasons."""
    stored = _stored(ctx)
    if isinstance(stored, Outcome):
        return stored
    logged = [r for r in ctx.events(DECIDED) if r.event.data.get("approved") is False]
    decided = _by_request(ctx.events(DECIDED, whole_log=True))
    refused = [s for s in stored if s.status == "refused" and _stored_in_period(ctx, s, decided)]
    if not logged and not refused:
        return Outcome(
            "not-applicable", t("审计期间没有拒绝的申请。", "No request was refused in the period.")
        )
    violations = [_no_reasons(r) for r in logged if not _has_reasons(r.event.data.get("reasons"))]
    for s in refused:
        if s.decision is None or not _has_reasons(list(s.decision.reasons)):
            violations.append(
                Violation(
                    t(
                        f"存储中被拒绝的申请 {s.id} 没有含理由的答复",
                        f"refused request {s.id} holds no decision with reasons in the store",
                    ),
                    record=decided.get(s.id),
                    item=s.id,
                )
            )
    checked = len({str(r.event.data.get("request_id")) for r in logged} | {s.id for s in refused})
    if violations:
        return Outcome(
            "fail",
            t(
                f"{checked} 个拒绝中有 {len(violations)} 项未说明理由。",
                f"{len(violations)} refusal problem(s) without reasons among {checked} refusal(s).",
            ),
            checked=checked,
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"全部 {checked} 个拒绝均说明了理由。",
            f"All {checked} refusal(s) state their reasons.",
        ),
        checked=checked,
    )


def _has_reasons(value: object) -> bool:
    return isinstance(value, list) and any(isinstance(v, str) and v.strip() for v in value)


def _no_reasons(record: AuditRecord) -> Violation:
    request_id = str(record.event.data.get("request_id"))
    return Violation(
        t(f"拒绝申请 {request_id} 未说明理由", f"refusal of request {request_id} gives no reasons"),
        record=record,
        item=request_id,
    )


def _stored_in_period(ctx: Context, s: RequestRecord, decided: dict[str, AuditRecord]) -> bool:
    if s.decision is not None:
        return ctx.in_period(s.decision.decided_at)
    logged = decided.get(s.id)
    return ctx.in_period(logged.event.time) if logged is not None else True
