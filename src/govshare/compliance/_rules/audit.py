"""Rules over the audit log itself: it verifies, it is the history auditors saw, it is anchored."""

from __future__ import annotations

from govshare.compliance._context import Context
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import csl, gdpr, guide, pipl, regulation2025, t
from govshare.exceptions import LogTampered

__all__ = ["checkpoint_coverage", "log_integrity"]


@rule(
    "audit-log-integrity",
    family="audit",
    title=t(
        "审计日志完整且与审计方保存的检查点一致",
        "The audit log verifies and matches every checkpoint the auditor kept",
    ),
    explanation=t(
        "从存储的条目重新计算整个 RFC 6962 默克尔树，核对每个树节点、日志头和每个已签名检查点；"
        "再用一致性证明核对审计方提供的每个检查点。即使条目、叶哈希、节点和日志头被一并改写，"
        "审计方早先保存的检查点也能发现历史被改写。",
        "Recomputes the whole RFC 6962 Merkle tree from the stored entries and checks every tree "
        "node, the head and every signed checkpoint; then checks each checkpoint the auditor "
        "supplies with a consistency proof. A history rewritten together with its leaf hashes, "
        "nodes and head is still caught by a checkpoint the auditor kept from before.",
    ),
    articles=(
        pipl("Art. 51(3)"),
        pipl("Art. 54"),
        guide(20),
        guide(24),
        csl("Art. 21(3)"),
        regulation2025("security and traceability of shared data"),
        gdpr("Art. 5(2)"),
        gdpr("Art. 32(1)(b)", certain=False),
    ),
    guide_items=(20, 24),
    severity="critical",
)
def log_integrity(ctx: Context) -> Outcome:
    """The log verifies and every supplied checkpoint is consistent with it."""
    found = ctx.verification
    if ctx.verified is None:
        index = found.index if isinstance(found, LogTampered) else None
        note = t(f"日志校验失败：{found}", f"the log does not verify: {found}")
        return Outcome(
            "fail",
            note,
            checked=ctx.log.size(),
            violations=(Violation(note, item=None if index is None else f"entry {index}"),),
        )
    report = ctx.verified
    bad = [r for r in ctx.checkpoint_results if not r.ok]
    violations = tuple(
        Violation(
            t(
                f"审计方检查点（{r.checkpoint.size} 条）不一致：{r.problem}",
                f"the auditor's checkpoint of {r.checkpoint.size} entries fails: {r.problem}",
            ),
            item=f"checkpoint size {r.checkpoint.size}",
        )
        for r in bad
    )
    supplied, stored = len(ctx.supplied), len(ctx.log.checkpoints())
    if violations:
        return Outcome(
            "fail",
            t(
                f"日志本身可以重新计算（{report.size} 条），但与审计方保存的 {len(bad)} 个检查点不一致："
                "历史已被改写。",
                f"The log recomputes ({report.size} entries) but contradicts {len(bad)} of the "
                "auditor's checkpoints: its history was rewritten.",
            ),
            checked=report.size,
            violations=violations,
        )
    if not supplied:
        extra = t(
            "未提供审计方检查点：只能证明日志与其自身签名一致，不能排除用部门密钥整体改写的历史。",
            "No auditor checkpoint was supplied: this proves the log agrees with its own "
            "signatures, not that the department did not rewrite it wholesale with its key.",
        )
    else:
        extra = t(
            f"与审计方提供的 {supplied} 个检查点一致。",
            f"Consistent with all {supplied} supplied checkpoint(s).",
        )
    return Outcome(
        "pass",
        t(
            f"{report.size} 条条目、{report.nodes_checked} 个树节点、{stored} 个存储的检查点均核对无误。{extra.zh}",
            f"{report.size} entries, {report.nodes_checked} tree nodes and {stored} stored "
            f"checkpoint(s) verified. {extra.en}",
        ),
        checked=report.size,
    )


@rule(
    "audit-checkpoint-coverage",
    family="audit",
    title=t(
        "审计期间的条目均被已签名检查点覆盖",
        "Every entry of the period is covered by a signed checkpoint",
    ),
    explanation=t(
        "证据的包含证明以已签名检查点为锚。最新的可信检查点（审计方提供且一致的，或存储并已校验的）"
        "必须覆盖审计期间的所有条目，否则这些条目只能对照未签名的日志头证明。",
        "Evidence is proved against a signed checkpoint. The newest trusted checkpoint (supplied "
        "and consistent, or stored and verified) must cover every entry of the period; entries "
        "after it can only be proved against the unsigned head.",
    ),
    articles=(pipl("Art. 54"), guide(24), csl("Art. 21(3)"), gdpr("Art. 5(2)", certain=False)),
    guide_items=(24,),
    severity="medium",
)
def checkpoint_coverage(ctx: Context) -> Outcome:
    """The anchor checkpoint covers the last entry of the period."""
    report = ctx.verified
    if report is None:
        return Outcome(
            "not-applicable",
            t(
                "日志未通过校验，无法判断检查点覆盖。",
                "The log does not verify, so coverage cannot be judged.",
            ),
        )
    last = _last_in_period(ctx, report.size)
    if last is None:
        return Outcome(
            "not-applicable", t("审计期间没有日志条目。", "The period has no log entries.")
        )
    anchor = ctx.anchor
    covered = anchor.size if anchor is not None else 0
    if covered > last or not ctx.policy.require_checkpoint_coverage:
        return Outcome(
            "pass",
            t(
                f"锚检查点覆盖前 {covered} 条，期间最后一条为第 {last} 条。",
                f"The anchor checkpoint covers the first {covered} entries; the period's last "
                f"entry is {last}.",
            ),
            checked=last + 1,
        )
    first = ctx.log.get(covered)
    note = t(
        f"第 {covered} 至 {last} 条未被任何已签名检查点覆盖（请先签署检查点再审计）。",
        f"entries {covered} to {last} are not covered by any signed checkpoint (sign one, "
        "then audit)",
    )
    return Outcome("fail", note, checked=last + 1, violations=(Violation(note, record=first),))


def _last_in_period(ctx: Context, size: int) -> int | None:
    """The index of the last entry in the period (entries are in time order, as appended)."""
    if size == 0:
        return None
    if ctx.until is None:
        return size - 1
    lo, hi = 0, size  # first entry at or after `until`, by bisection over the log
    while lo < hi:
        mid = (lo + hi) // 2
        if ctx.log.get(mid).event.time < ctx.until:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1 if lo > 0 else None
