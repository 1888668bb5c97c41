"""Rules over issued tokens: lifetimes within policy, signed by a current key of allowed age.

``token.issued`` and ``token.exchanged`` events carry ``iat``, ``nbf``, ``exp``, the key id and
the signing key version's creation time (``key_created``); events written before govshare
recorded those fields are counted as unchecked, never as passing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from govshare.audit import AuditRecord
from govshare.compliance._context import Context
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import gdpr, guide, pipl, regulation2025, t

__all__ = ["lifetime", "signing_key"]

ISSUED = ("token.issued", "token.exchanged")
_KID = re.compile(r"^(?P<name>.+)-v(?P<version>\d+)-[0-9a-f]+$")


def _time(data: Mapping[str, object], name: str) -> datetime | None:
    value = data.get(name)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _issued(ctx: Context) -> list[AuditRecord]:
    return sorted((r for t_ in ISSUED for r in ctx.events(t_)), key=lambda r: r.seq)


def _summary(checked: int, unchecked: int, what: str, what_zh: str) -> tuple[str, str]:
    tail = (
        (
            f"；{unchecked} 个较早的事件缺少所需字段，未能检查",
            f"; {unchecked} older event(s) lack the fields and were not checked",
        )
        if unchecked
        else ("", "")
    )
    return (
        f"{checked} 个令牌的{what_zh}均符合策略{tail[0]}。",
        f"All {checked} tokens' {what} comply with the policy{tail[1]}.",
    )


@rule(
    "tokens-lifetime",
    family="tokens",
    title=t("令牌有效期不超过策略允许的最长时间", "No token lived longer than the policy allows"),
    explanation=t(
        "每个签发或交换的令牌的有效期（exp − nbf）不得超过策略的 max_token_lifetime："
        "访问权限应限于履行职责所必需的期限。",
        "Every issued or exchanged token's validity (exp − nbf) is at most the policy's "
        "max_token_lifetime: access lasts only as long as the duty needs.",
    ),
    articles=(
        pipl("Art. 6"),
        pipl("Art. 34"),
        pipl("Art. 51(4)"),
        guide(15),
        guide(21),
        regulation2025("use of shared data limited to the approved scope"),
        gdpr("Art. 32(1)", certain=False),
    ),
    guide_items=(15, 21),
    severity="medium",
    event_types=ISSUED,
)
def lifetime(ctx: Context) -> Outcome:
    """exp - nbf of every token is within max_token_lifetime."""
    issued = _issued(ctx)
    if not issued:
        return Outcome(
            "not-applicable", t("审计期间没有签发令牌。", "No token was issued in the period.")
        )
    limit = ctx.policy.max_token_lifetime
    violations, checked, unchecked = [], 0, 0
    for record in issued:
        data = record.event.data
        exp = _time(data, "exp")
        nbf = _time(data, "nbf") or _time(data, "iat")
        if exp is None or nbf is None:
            unchecked += 1
            continue
        checked += 1
        if exp - nbf > limit:
            violations.append(
                Violation(
                    t(
                        f"令牌 {data.get('jti')} 有效期 {exp - nbf} 超过 {limit}",
                        f"token {data.get('jti')} is valid for {exp - nbf}, over {limit}",
                    ),
                    record=record,
                    item=str(data.get("jti")),
                )
            )
    return _outcome(violations, checked, unchecked, "lifetimes", "有效期")


def _outcome(
    violations: list[Violation], checked: int, unchecked: int, what: str, what_zh: str
) -> Outcome:
    total = checked + unchecked
    if violations:
        return Outcome(
            "fail",
            t(
                f"{checked} 个令牌中有 {len(violations)} 个违反策略。",
                f"{len(violations)} of {checked} tokens break the policy.",
            ),
            checked=total,
            violations=tuple(violations),
        )
    if not checked:
        return Outcome(
            "not-applicable",
            t(
                f"{unchecked} 个令牌事件缺少所需字段（由较早版本记录），无法检查。",
                f"{unchecked} token event(s) lack the needed fields (written by an older govshare) and cannot be checked.",
            ),
            checked=total,
        )
    zh, en = _summary(checked, unchecked, what, what_zh)
    return Outcome("pass", t(zh, en), checked=total)


@rule(
    "tokens-signing-key",
    family="tokens",
    title=t(
        "令牌由未超期、未被轮换替代的密钥签名",
        "Tokens were signed by a key within its rotation age, not a rotated-out one",
    ),
    explanation=t(
        "签名时，签名密钥版本的创建时间距签发时间不得超过策略的 key_rotation_age；并且不得在同名密钥的"
        "更新版本已启用之后仍使用旧版本签名（例如从旧备份恢复了密钥文件）。",
        "When a token was signed, its key version must have been younger than the policy's "
        "key_rotation_age, and no newer version of the same key may already have been in use "
        "(as happens when an old key-file backup is restored).",
    ),
    articles=(pipl("Art. 51(3)"), guide(20), gdpr("Art. 32(1)", certain=False)),
    guide_items=(20,),
    severity="medium",
    event_types=ISSUED,
)
def signing_key(ctx: Context) -> Outcome:
    """Key age at signing within key_rotation_age; never signed by a superseded version."""
    every = sorted(
        (r for t_ in ISSUED for r in ctx.events(t_, whole_log=True)), key=lambda r: r.seq
    )
    in_period = {r.seq for r in _issued(ctx)}
    if not in_period:
        return Outcome(
            "not-applicable", t("审计期间没有签发令牌。", "No token was issued in the period.")
        )
    newest: dict[str, tuple[int, datetime]] = {}  # key name -> newest version seen, its creation
    limit = ctx.policy.key_rotation_age
    violations, checked, unchecked = [], 0, 0
    for record in every:
        data = record.event.data
        kid = str(data.get("kid"))
        created = _time(data, "key_created")
        signed = _time(data, "iat") or record.event.time
        parsed = _KID.match(kid)
        problem = None
        if parsed is not None and created is not None:
            name, version = parsed["name"], int(parsed["version"])
            seen = newest.get(name)
            if seen is not None and version < seen[0] and seen[1] <= signed:
                problem = t(
                    f"密钥 {kid} 在更新版本 v{seen[0]} 启用后仍在签名",
                    f"key {kid} signed after the newer version v{seen[0]} was in use",
                )
            elif signed - created > limit:
                problem = t(
                    f"密钥 {kid} 签名时已使用 {signed - created}，超过 {limit}",
                    f"key {kid} was {signed - created} old when it signed, over {limit}",
                )
            if seen is None or version > seen[0]:
                newest[name] = (version, created)
        if record.seq not in in_period:
            continue
        if parsed is None or created is None:
            unchecked += 1
            continue
        checked += 1
        if problem is not None:
            violations.append(Violation(problem, record=record, item=kid))
    return _outcome(violations, checked, unchecked, "signing keys", "签名密钥")
