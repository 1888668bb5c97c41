"""The compliance report: findings, Guide coverage and charts; as JSON, HTML or text."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import Field

from govshare._i18n import N_, gettext, use_language
from govshare._i18n import gettext as _
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
        with use_language(lang):
            return self._text(lang)

    def _text(self, lang: Lang) -> str:
        counts = self.counts
        log = (_("verified") if self.log_verified else _("DOES NOT VERIFY")) + (
            _("; anchor checkpoint of {size} entries").format(size=self.anchor.size)
            if self.anchor
            else ""
        )
        lines = [
            _("govshare compliance report: {origin}").format(origin=self.origin),
            _("log: {size} entries, {state}").format(size=self.log_size, state=log),
            _("{passed} pass, {failed} fail, {na} not applicable").format(
                passed=counts["pass"], failed=counts["fail"], na=counts["not-applicable"]
            ),
            "",
        ]
        width = max((len(f.rule) for f in self.findings), default=10)
        for f in self.findings:
            lines.append(f"{f.status.upper():15} {f.rule:{width}}  {f.explanation.get(lang)}")
            for e in f.evidence:
                entry = _("entry {index} ({type}): {note}").format(
                    index=e.index, type=e.type, note=e.note.get(lang)
                )
                lines.append(f"{'':15} {'':{width}}  - {entry}")
            shown = {f"entry {e.index}" for e in f.evidence}
            for item in f.items[: self.policy.max_evidence]:
                if item not in shown:
                    lines.append(f"{'':15} {'':{width}}  - {item}")
            if f.evidence_omitted:
                more = _("… and {count} more").format(count=f.evidence_omitted)
                lines.append(f"{'':15} {'':{width}}  {more}")
        return "\n".join(lines) + "\n"

    def to_html(self, path: str | Path | None = None, *, lang: Lang = "zh") -> str:
        """A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched).

        Returns the HTML; also writes it to *path* when given.
        """
        html = (
            _environment()
            .get_template("report.html.j2")
            .render(
                r=self, lang=lang, L=_labels(lang), charts=self._charts(lang), counts=self.counts
            )
        )
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html

    def _charts(self, lang: Lang) -> dict[str, Any]:
        labels = _labels(lang)
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


_LABELS: Final[dict[str, str]] = {
    "title": N_("Compliance report"),
    "summary": N_("Summary"),
    "store": N_("Store"),
    "origin": N_("Log origin"),
    "key": N_("Log key"),
    "key_store": N_("taken from the store itself (pass the key you were given to prove more)"),
    "key_auditor": N_("supplied by the auditor"),
    "period": N_("Period"),
    "open": N_("open"),
    "log": N_("Audit log"),
    "entries": N_("entries"),
    "verified": N_("verified"),
    "not_verified": N_("DOES NOT VERIFY"),
    "anchor": N_("Anchor checkpoint"),
    "none": N_("none"),
    "findings": N_("Findings"),
    "rule": N_("Rule"),
    "status": N_("Status"),
    "severity": N_("Severity"),
    "checked": N_("Checked"),
    "violations": N_("Violations"),
    "explanation": N_("What was found"),
    "articles": N_("Provisions"),
    "uncertain": N_("mapping to confirm"),
    "evidence": N_("Evidence"),
    "entry": N_("Entry"),
    "type": N_("Type"),
    "time": N_("Time"),
    "note": N_("Note"),
    "proof": N_("Inclusion proof"),
    "more": N_("more not listed"),
    "items": N_("References"),
    "charts": N_("Charts"),
    "chart_budget": N_("Cumulative DP budget use (epsilon) over time, per dataset"),
    "chart_releases": N_("DP releases per recipient"),
    "no_budget": N_("No DP releases in this store"),
    "no_releases": N_("No releases in this store"),
    "guide": N_("Audit Guide (2025) coverage"),
    "item": N_("Item"),
    "topic": N_("Topic"),
    "coverage": N_("Coverage"),
    "collect": N_("Documentary evidence to collect"),
    "pass": N_("pass"),
    "fail": N_("fail"),
    "not-applicable": N_("not applicable"),
    "mechanical": N_("checked mechanically"),
    "partial": N_("partly checked; needs documentary evidence"),
    "documentary": N_("needs documentary evidence"),
    "result_pass": N_("Every rule passed."),
    "result_fail": N_("At least one rule failed."),
    "reverify": N_(
        "Each evidence entry's proof can be re-verified with govshare.audit.verify_inclusion against the anchor checkpoint (see the auditors' guide)."
    ),
}
"""Labels of the HTML report, by key, in the source language (translated by the catalogue)."""


def _labels(lang: Lang) -> dict[str, str]:
    with use_language(lang):
        return {key: gettext(text) for key, text in _LABELS.items()}
