"""Rules over requests: registered, waiting for their data (the release rules are in ``release.py``).

The sharing workflow (catalogue -> request -> decision -> agreement -> share()/receive()) is being
built (issues 13 and 14). Until its records exist these rules are *pending*: the report lists them
as not applicable, "no agreements/releases in this store (feature not present)", and never fakes a
result. To implement one when its data lands, replace its ``pending(...)`` below by a function in
a module of its family (``release.py`` or ``request.py``), decorated with ``@rule(...)`` with the
same id and metadata, reading the exchange's public read API (and the log's events) through
:class:`~govshare.compliance._context.Context`; then add a passing and a violating store to
``tests/compliance/``.
"""

from __future__ import annotations

from govshare.compliance._registry import pending
from govshare.compliance._rules._cite import guide, measures2016, regulation2025, t

__all__: list[str] = []

pending(
    "request-decision-deadline",
    family="request",
    title=t(
        "每个共享申请都在工作日期限内得到答复",
        "Every request got a decision within its working-day deadline",
    ),
    explanation=t(
        "提供部门应在规定的工作日内（策略 decision_deadline_working_days，按中国法定工作日计算）答复共享申请。",
        "The providing department decides each request within the deadline in Chinese working "
        "days (the policy's decision_deadline_working_days).",
    ),
    articles=(
        regulation2025("time limit for replying to sharing requests"),
        measures2016("Art. 14"),
        guide(15),
    ),
    guide_items=(15,),
    severity="medium",
    waits_for=t(
        "存储中没有共享申请记录（功能尚未提供：issue 13）",
        "no requests/decisions in this store (feature not present: issue 13)",
    ),
)
pending(
    "request-refusal-reasons",
    family="request",
    title=t("每个拒绝都说明理由", "Every refusal states its reasons"),
    explanation=t(
        "不予共享或拒绝申请时，必须说明理由和依据。",
        "A refused request must state its reasons and their basis.",
    ),
    articles=(
        regulation2025("reasons for refusing a sharing request"),
        measures2016("Art. 14"),
        guide(15),
    ),
    guide_items=(15,),
    severity="medium",
    waits_for=t(
        "存储中没有共享申请记录（功能尚未提供：issue 13）",
        "no requests/decisions in this store (feature not present: issue 13)",
    ),
)
