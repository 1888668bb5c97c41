"""Rules over consent records: logged, separate consent, guardians, impact assessments."""

from __future__ import annotations

from collections.abc import Callable

from govshare.audit import AuditRecord
from govshare.compliance._context import Context
from govshare.compliance._model import Text
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import gdpr, guide, pipl, t
from govshare.consent import ConsentRecord

__all__ = ["guardian", "impact_assessment", "logged", "separate"]

GRANTED = "consent.granted"


def _granted_by_record(ctx: Context) -> dict[str, AuditRecord]:
    out: dict[str, AuditRecord] = {}
    for record in ctx.events(GRANTED, whole_log=True):
        record_id = record.event.data.get("record_id")
        if isinstance(record_id, str):
            out.setdefault(record_id, record)
    return out


def _over_records(
    ctx: Context,
    applies: Callable[[ConsentRecord], bool],
    broken: Callable[[ConsentRecord], Text | None],
    *,
    what: Text,
) -> Outcome:
    """Check every consent record of the period that *applies*; *broken* says what is wrong."""
    granted = _granted_by_record(ctx)
    relevant = [r for r in ctx.consent_records if applies(r)]
    if not relevant:
        return Outcome(
            "not-applicable",
            t(f"审计期间没有{what.zh}的同意记录。", f"No consent record of the period {what.en}."),
        )
    violations = []
    for record in relevant:
        problem = broken(record)
        if problem is not None:
            violations.append(
                Violation(problem, record=granted.get(record.record_id), item=record.record_id)
            )
    if violations:
        return Outcome(
            "fail",
            t(
                f"{len(relevant)} 条{what.zh}的同意记录中有 {len(violations)} 条不符合要求。",
                f"{len(violations)} of {len(relevant)} consent records that {what.en} break the rule.",
            ),
            checked=len(relevant),
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"{len(relevant)} 条{what.zh}的同意记录均符合要求。",
            f"All {len(relevant)} consent records that {what.en} comply.",
        ),
        checked=len(relevant),
    )


def _provided(record: ConsentRecord, controller: str) -> bool:
    """Whether the record is for providing information to another processor (PIPL Art. 23)."""
    return record.recipient != controller


@rule(
    "consent-logged",
    family="consent",
    title=t("每条同意记录都有对应的审计日志条目", "Every consent record has its audit-log entry"),
    explanation=t(
        "登记簿中的每条同意记录都必须有记录其授予的 consent.granted 审计条目，每个这样的条目也必须对应"
        "登记簿中仍存在的记录；否则记录是在日志之外写入或删除的。",
        "Every record in the registry must have the consent.granted entry that logged its grant, "
        "and every such entry must name a record still in the registry; otherwise records were "
        "written or deleted outside the log.",
    ),
    articles=(pipl("Art. 14"), pipl("Art. 51"), guide(2), guide(24), gdpr("Art. 7(1)")),
    guide_items=(2, 24),
    severity="high",
    event_types=(GRANTED,),
)
def logged(ctx: Context) -> Outcome:
    """Registry and log agree on which consents were granted."""
    granted = _granted_by_record(ctx)
    records = ctx.consent_records
    ids = {r.record_id for r in records}
    violations = [
        Violation(
            t(
                "登记簿中的记录没有 consent.granted 日志条目",
                "a registry record has no consent.granted entry",
            ),
            item=r.record_id,
        )
        for r in records
        if r.record_id not in granted
    ]
    every_id = ids if ctx.since is None and ctx.until is None else ctx.all_consent_ids
    for entry in ctx.events(GRANTED):
        record_id = entry.event.data.get("record_id")
        if record_id not in every_id:
            violations.append(
                Violation(
                    t(
                        "日志记录的同意在登记簿中已不存在",
                        "a logged grant's record is missing from the registry",
                    ),
                    record=entry,
                    item=str(record_id),
                )
            )
    checked = len(records) + len(ctx.events(GRANTED))
    if not checked:
        return Outcome(
            "not-applicable", t("审计期间没有同意记录。", "The period has no consent records.")
        )
    if violations:
        return Outcome(
            "fail",
            t(
                f"登记簿与日志有 {len(violations)} 处不一致。",
                f"The registry and the log disagree in {len(violations)} place(s).",
            ),
            checked=checked,
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"{len(records)} 条同意记录与日志条目一一对应。",
            f"All {len(records)} consent records and their log entries match one to one.",
        ),
        checked=checked,
    )


@rule(
    "consent-separate",
    family="consent",
    title=t(
        "敏感个人信息和向他方提供取得了单独同意",
        "Sensitive categories and provision to another party had separate consent",
    ),
    explanation=t(
        "以同意为合法性基础、涉及敏感个人信息（第二十九条）或向其他个人信息处理者提供（第二十三条）的记录，"
        "必须是单独同意。",
        "A record that relies on consent and covers sensitive personal information (Art. 29) or "
        "provides information to another processor (Art. 23) must be a separate consent.",
    ),
    articles=(
        pipl("Art. 14"),
        pipl("Art. 23"),
        pipl("Art. 29"),
        guide(2),
        guide(8),
        guide(13),
        gdpr("Art. 9(2)(a)", certain=False),
    ),
    guide_items=(2, 8, 13),
    severity="high",
    event_types=(GRANTED,),
)
def separate(ctx: Context) -> Outcome:
    """Consent-based sensitive or provided records are separate consents."""
    controller = ctx.controller

    def applies(r: ConsentRecord) -> bool:
        return r.legal_basis == "consent" and (
            bool(r.sensitive_categories) or _provided(r, controller)
        )

    def broken(r: ConsentRecord) -> Text | None:
        if r.separate:
            return None
        why = "sensitive categories" if r.sensitive_categories else "provision to another party"
        why_zh = "敏感个人信息" if r.sensitive_categories else "向他方提供"
        return t(f"{why_zh}未取得单独同意", f"{why} without separate consent")

    return _over_records(ctx, applies, broken, what=t("需单独同意", "need separate consent"))


@rule(
    "consent-minor-guardian",
    family="consent",
    title=t(
        "不满十四周岁未成年人的信息取得了监护人同意", "Minors' information had a guardian's consent"
    ),
    explanation=t(
        "以同意为基础处理不满十四周岁未成年人个人信息的记录，必须记有父母或其他监护人的同意（第三十一条）。",
        "A consent-based record about a minor under 14 must carry the consent of a parent or "
        "guardian (Art. 31).",
    ),
    articles=(pipl("Art. 28"), pipl("Art. 31"), guide(14), gdpr("Art. 8", certain=False)),
    guide_items=(14,),
    severity="high",
    event_types=(GRANTED,),
)
def guardian(ctx: Context) -> Outcome:
    """Consent-based records of minors name a guardian."""
    return _over_records(
        ctx,
        lambda r: r.legal_basis == "consent" and r.minor,
        lambda r: (
            None
            if r.guardian is not None
            else t("未成年人记录没有监护人同意", "a minor's record without a guardian's consent")
        ),
        what=t("涉及未成年人", "concern a minor"),
    )


@rule(
    "consent-impact-assessment",
    family="consent",
    title=t(
        "需要时有个人信息保护影响评估",
        "An impact assessment is referenced where PIPL Art. 55 requires one",
    ),
    explanation=t(
        "处理敏感个人信息、向其他个人信息处理者提供个人信息，应当事前进行个人信息保护影响评估"
        "（第五十五条第一项、第三项）；记录应引用该评估（impact_assessment）。",
        "Processing sensitive information and providing information to another processor need a "
        "personal-information protection impact assessment beforehand (Art. 55(1) and (3)); the "
        "record must reference it (impact_assessment).",
    ),
    articles=(pipl("Art. 55"), pipl("Art. 56"), guide(25), gdpr("Art. 35", certain=False)),
    guide_items=(25, 8, 13),
    severity="medium",
    event_types=(GRANTED,),
)
def impact_assessment(ctx: Context) -> Outcome:
    """Sensitive or provided records reference an impact assessment."""
    controller = ctx.controller
    return _over_records(
        ctx,
        lambda r: bool(r.sensitive_categories) or _provided(r, controller),
        lambda r: (
            None
            if r.impact_assessment
            else t("缺少个人信息保护影响评估引用", "no impact-assessment reference")
        ),
        what=t("需影响评估", "need an impact assessment"),
    )
