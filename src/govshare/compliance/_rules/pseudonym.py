"""Rules over re-identification: every reversal of a pseudonym was justified and authorised."""

from __future__ import annotations

from govshare.compliance._context import Context
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import gdpr, guide, pipl, t

__all__ = ["reidentification"]

REIDENTIFIED = "pseudonym.reidentified"


@rule(
    "pseudonym-reidentification-authorised",
    family="pseudonym",
    title=t(
        "每次重新识别都有理由并由授权人员进行",
        "Every re-identification has a reason and an authorised principal",
    ),
    explanation=t(
        "去标识化信息只有在必要时才可由授权人员还原。每个 pseudonym.reidentified 事件必须记有非空理由和"
        "执行者；若策略列出授权人员（reidentify_principals），执行者必须在其中。",
        "De-identified information may be re-identified only when needed, by authorised staff. "
        "Every pseudonym.reidentified event must carry a non-empty reason and an actor; when the "
        "policy lists the authorised principals (reidentify_principals) the actor must be one.",
    ),
    articles=(
        pipl("Art. 51(3)"),
        pipl("Art. 51(4)"),
        pipl("Art. 73(3)"),
        guide(20),
        guide(21),
        gdpr("Art. 4(5)"),
        gdpr("Art. 32(4)", certain=False),
    ),
    guide_items=(20, 21),
    severity="high",
    event_types=(REIDENTIFIED,),
)
def reidentification(ctx: Context) -> Outcome:
    """Each re-identification event names a reason and an allowed actor."""
    events = ctx.events(REIDENTIFIED)
    if not events:
        return Outcome(
            "not-applicable", t("审计期间没有重新识别。", "No re-identification in the period.")
        )
    allowed = ctx.policy.reidentify_principals
    violations = []
    for record in events:
        reason = record.event.data.get("reason")
        actor = record.event.actor
        if not isinstance(reason, str) or not reason.strip():
            violations.append(
                Violation(
                    t("重新识别没有记录理由", "re-identification without a reason"), record=record
                )
            )
        elif allowed is not None and actor not in allowed:
            violations.append(
                Violation(
                    t(
                        f"执行者 {actor} 不在授权人员名单中",
                        f"actor {actor} is not an authorised principal",
                    ),
                    record=record,
                )
            )
    scope = (
        t("执行者均在策略授权名单中。", "Every actor is in the policy's list of principals.")
        if allowed is not None
        else t(
            "策略未列出授权人员：仅检查了执行者和理由是否记录（请另行收集授权记录）。",
            "The policy lists no principals: only that an actor and a reason were recorded was "
            "checked (collect the authorisations separately).",
        )
    )
    if violations:
        return Outcome(
            "fail",
            t(
                f"{len(events)} 次重新识别中有 {len(violations)} 次不合规。",
                f"{len(violations)} of {len(events)} re-identifications break the rule.",
            ),
            checked=len(events),
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"{len(events)} 次重新识别均记录了理由和执行者。{scope.zh}",
            f"All {len(events)} re-identifications recorded a reason and an actor. {scope.en}",
        ),
        checked=len(events),
    )
