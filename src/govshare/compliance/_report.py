"""The compliance report: findings, Guide coverage and charts; as JSON, HTML or text."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import Field

from govshare._models import Record
from govshare.compliance._charts import bar_chart, line_chart
from govshare.compliance._model import Finding, GuideEntry, Lang, Status
from govshare.compliance._policy import Policy

__all__ = ["REPORT_FORMAT", "Anchor", "BudgetPoint", "Report", "report_schema"]

REPORT_FORMAT: Final = "govshare-compliance-report/1"


class Anchor(Record):
    """The signed checkpoint that evidence proofs are checked against.

    Attributes:
        size, root: the tree it commits to (root in standard base64, as in the note).
        note: the full signed note text (C2SP tlog-checkpoint), to verify with the log's key.
        source: ``auditor`` (supplied to the check and found consistent) or ``store``.
    """

    size: int
    root: str
    note: str
    source: Literal["auditor", "store"]


class BudgetPoint(Record):
    """Cumulative epsilon a dataset's releases had spent after one release."""

    time: datetime
    dataset: str
    epsilon: float


class Report(Record):
    """The outcome of :func:`govshare.compliance.check`.

    ``passed`` is True when no finding failed (not-applicable findings do not fail a check).
    """

    format: Literal["govshare-compliance-report/1"] = REPORT_FORMAT
    generated_at: datetime
    store: str
    origin: str
    log_key: str
    key_source: Literal["auditor", "store"]
    since: datetime | None = None
    until: datetime | None = None
    policy: Policy
    log_size: int
    log_root: str | None
    log_verified: bool
    anchor: Anchor | None
    findings: tuple[Finding, ...]
    guide: tuple[GuideEntry, ...]
    budget_use: tuple[BudgetPoint, ...] = ()
    budget_caps: dict[str, float] = Field(default_factory=dict)
    releases_per_recipient: dict[str, int] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether no rule failed."""
        return not any(f.status == "fail" for f in self.findings)

    @property
    def counts(self) -> dict[Status, int]:
        """How many findings have each status."""
        found = Counter(f.status for f in self.findings)
        return {s: found.get(s, 0) for s in ("pass", "fail", "not-applicable")}

    def finding(self, rule: str) -> Finding:
        """The finding of rule *rule*.

        Raises:
            KeyError: no such rule in this report.
        """
        for f in self.findings:
            if f.rule == rule:
                return f
        raise KeyError(rule)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON (schema: :func:`report_schema`, docs/reference)."""
        return self.model_dump_json(indent=indent)

    def to_text(self, lang: Lang = "en") -> str:
        """A plain-text summary: one line per finding, then its violations."""
        counts = self.counts
        lines = [
            f"govshare compliance report: {self.origin}",
            f"log: {self.log_size} entries, "
            + ("verified" if self.log_verified else "DOES NOT VERIFY")
            + (f"; anchor checkpoint of {self.anchor.size} entries" if self.anchor else ""),
            f"{counts['pass']} pass, {counts['fail']} fail, {counts['not-applicable']} not applicable",
            "",
        ]
        width = max((len(f.rule) for f in self.findings), default=10)
        for f in self.findings:
            lines.append(f"{f.status.upper():15} {f.rule:{width}}  {f.explanation.get(lang)}")
            for e in f.evidence:
                lines.append(
                    f"{'':15} {'':{width}}  - entry {e.index} ({e.type}): {e.note.get(lang)}"
                )
            shown = {f"entry {e.index}" for e in f.evidence}
            for item in f.items[: self.policy.max_evidence]:
                if item not in shown:
                    lines.append(f"{'':15} {'':{width}}  - {item}")
            if f.evidence_omitted:
                lines.append(f"{'':15} {'':{width}}  … and {f.evidence_omitted} more")
        return "\n".join(lines) + "\n"

    def to_html(self, path: str | Path | None = None, *, lang: Lang = "zh") -> str:
        """A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched).

        Returns the HTML; also writes it to *path* when given.
        """
        html = (
            _environment()
            .get_template("report.html.j2")
            .render(
                r=self, lang=lang, L=_LABELS[lang], charts=self._charts(lang), counts=self.counts
            )
        )
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html

    def _charts(self, lang: Lang) -> dict[str, Any]:
        labels = _LABELS[lang]
        series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        for p in self.budget_use:
            series[p.dataset].append((p.time, p.epsilon))
        return {
            "budget": line_chart(
                series,
                self.budget_caps,
                chart_id="chart-budget",
                title=labels["chart_budget"],
                empty=labels["no_budget"],
            ),
            "releases": bar_chart(
                self.releases_per_recipient,
                chart_id="chart-releases",
                title=labels["chart_releases"],
                empty=labels["no_releases"],
            ),
        }


def report_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Report.to_json` (draft 2020-12, as pydantic writes it)."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://govshare.invalid/schemas/compliance-report-1.json"
    ordered: dict[str, Any] = json.loads(json.dumps(schema, sort_keys=True))
    return ordered


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("govshare.compliance", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Compliance report",
        "summary": "Summary",
        "store": "Store",
        "origin": "Log origin",
        "key": "Log key",
        "key_store": "taken from the store itself (pass the key you were given to prove more)",
        "key_auditor": "supplied by the auditor",
        "period": "Period",
        "open": "open",
        "log": "Audit log",
        "entries": "entries",
        "verified": "verified",
        "not_verified": "DOES NOT VERIFY",
        "anchor": "Anchor checkpoint",
        "none": "none",
        "findings": "Findings",
        "rule": "Rule",
        "status": "Status",
        "severity": "Severity",
        "checked": "Checked",
        "violations": "Violations",
        "explanation": "What was found",
        "articles": "Provisions",
        "uncertain": "mapping to confirm",
        "evidence": "Evidence",
        "entry": "Entry",
        "type": "Type",
        "time": "Time",
        "note": "Note",
        "proof": "Inclusion proof",
        "more": "more not listed",
        "items": "References",
        "charts": "Charts",
        "chart_budget": "Cumulative DP budget use (epsilon) over time, per dataset",
        "chart_releases": "DP releases per recipient",
        "no_budget": "No DP releases in this store",
        "no_releases": "No releases in this store",
        "guide": "Audit Guide (2025) coverage",
        "item": "Item",
        "topic": "Topic",
        "coverage": "Coverage",
        "collect": "Documentary evidence to collect",
        "pass": "pass",
        "fail": "fail",
        "not-applicable": "not applicable",
        "mechanical": "checked mechanically",
        "partial": "partly checked; needs documentary evidence",
        "documentary": "needs documentary evidence",
        "result_pass": "Every rule passed.",
        "result_fail": "At least one rule failed.",
        "reverify": "Each evidence entry's proof can be re-verified with govshare.audit.verify_inclusion against the anchor checkpoint (see the auditors' guide).",
    },
    "zh": {
        "title": "合规审计报告",
        "summary": "概要",
        "store": "存储",
        "origin": "日志标识",
        "key": "日志公钥",
        "key_store": "取自存储本身（请使用另行取得的公钥以证明更多）",
        "key_auditor": "由审计方提供",
        "period": "审计期间",
        "open": "不限",
        "log": "审计日志",
        "entries": "条",
        "verified": "校验通过",
        "not_verified": "校验失败",
        "anchor": "锚检查点",
        "none": "无",
        "findings": "审计发现",
        "rule": "规则",
        "status": "结果",
        "severity": "严重程度",
        "checked": "检查数",
        "violations": "违规数",
        "explanation": "发现",
        "articles": "依据条款",
        "uncertain": "对应关系待确认",
        "evidence": "证据",
        "entry": "条目",
        "type": "类型",
        "time": "时间",
        "note": "说明",
        "proof": "包含证明",
        "more": "条未列出",
        "items": "相关记录",
        "charts": "图表",
        "chart_budget": "各数据集差分隐私预算（ε）累计使用",
        "chart_releases": "各接收方的差分隐私发布次数",
        "no_budget": "存储中没有差分隐私发布",
        "no_releases": "存储中没有数据提供记录",
        "guide": "《个人信息保护合规审计指引》（2025）覆盖情况",
        "item": "条目",
        "topic": "事项",
        "coverage": "覆盖",
        "collect": "需收集的书面证据",
        "pass": "通过",
        "fail": "不通过",
        "not-applicable": "不适用",
        "mechanical": "已自动检查",
        "partial": "部分自动检查，需书面证据",
        "documentary": "需书面证据",
        "result_pass": "所有规则均通过。",
        "result_fail": "至少一条规则不通过。",
        "reverify": "每条证据的包含证明均可用 govshare.audit.verify_inclusion 对照锚检查点独立复核（见审计指南）。",
    },
}
