"""Rules over agreements and releases: registered, waiting for their data.

The rules over requests are implemented in ``request.py`` (issue 13 recorded their data). The
release side (share()/receive(), issue 14) is being built. Until its records exist these rules
are *pending*: the report lists them
as not applicable, "no agreements/releases in this store (feature not present)", and never fakes a
result. To implement one when its data lands, replace its ``pending(...)`` below by a function in
a module of its family (``release.py`` or ``request.py``), decorated with ``@rule(...)`` with the
same id and metadata, reading the exchange's public read API (and the log's events) through
:class:`~govshare.compliance._context.Context`; then add a passing and a violating store to
``tests/compliance/``.
"""

from __future__ import annotations

from govshare.compliance._registry import pending
from govshare.compliance._rules._cite import gdpr, guide, measures2016, pipl, regulation2025, t

__all__: list[str] = []

_AGREEMENTS = t(
    "存储中没有共享协议或数据提供记录（功能尚未提供：issue 13/14）",
    "no agreements/releases in this store (feature not present: issues 13/14)",
)

pending(
    "release-token-valid",
    family="release",
    title=t(
        "每次数据提供都依据当时有效、绑定生效协议的令牌",
        "Every release rested on a valid token bound to an active agreement",
    ),
    explanation=t(
        "每次 share() 都必须依据当时有效的令牌，令牌绑定一份生效的共享协议，且在其目的、字段、主体和限额之内；"
        "不得提供不予共享的数据项。",
        "Every share() must rest on a token valid at that instant, bound to an active agreement, "
        "within its purpose, columns, principals and limits; no release of a not-shared item.",
    ),
    articles=(
        pipl("Art. 6"),
        pipl("Art. 34"),
        guide(15),
        regulation2025("scope of use of shared data"),
        measures2016("Art. 9"),
        gdpr("Art. 5(1)(b)", certain=False),
    ),
    guide_items=(15, 8),
    severity="critical",
    waits_for=_AGREEMENTS,
)
pending(
    "release-lawful-basis",
    family="release",
    title=t(
        "每个被提供的个人在提供时都有合法性基础",
        "Every released subject had a lawful basis at release time",
    ),
    explanation=t(
        "提供时每一行都有对该接收方、目的和类别有效的同意（未撤回、未过期）或法定依据；敏感信息和向他方"
        "提供有单独同意；未成年人有监护人同意。",
        "At release time each row had consent for that recipient, purpose and categories (not "
        "withdrawn, not expired) or a statutory basis; sensitive data and provision had separate "
        "consent; minors a guardian's consent.",
    ),
    articles=(
        pipl("Art. 13"),
        pipl("Art. 15"),
        pipl("Art. 23"),
        pipl("Art. 29"),
        pipl("Art. 31"),
        guide(1),
        guide(2),
        guide(8),
        gdpr("Art. 6(1)"),
    ),
    guide_items=(1, 2, 8, 13, 14),
    severity="critical",
    waits_for=_AGREEMENTS,
)
pending(
    "release-retention",
    family="release",
    title=t(
        "超过协议保存期限的数据有删除证明",
        "Data kept past an agreement's retention has a deletion attestation",
    ),
    explanation=t(
        "协议保存期限（加上策略的 retention_grace）届满后，接收方必须出具删除证明。",
        "Once an agreement's retention (plus the policy's retention_grace) has passed, the "
        "recipient must attest deletion.",
    ),
    articles=(
        pipl("Art. 19"),
        pipl("Art. 47"),
        guide(4),
        regulation2025("retention and destruction of shared data"),
        gdpr("Art. 5(1)(e)"),
    ),
    guide_items=(4, 17),
    severity="high",
    waits_for=_AGREEMENTS,
)
