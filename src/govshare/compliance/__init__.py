"""Compliance checks for auditors: rules mapped to the PIPL, the 2025 Audit Guide and the sharing
regulations, run over a store and its audit log, with evidence anyone can re-verify.

Run it with read access only (a copy of the store, or read-only database credentials) and the
department's public key::

    from govshare.compliance import check
    from govshare.storage import Store

    store = Store.open("sqlite:///copy-of-civil.db", read_only=True)
    report = check(store, key=public_key, checkpoints=[kept_checkpoint_text])
    report.to_html("report.html", lang="zh")

Every finding names its evidence: audit entries with inclusion proofs against a signed
checkpoint (``govshare.audit.verify_inclusion`` re-verifies them). The rule catalogue
(:data:`RULES`) is generated into the docs; new rules register in their family module.
"""

from __future__ import annotations

from govshare.compliance import _rules  # noqa: F401  (importing it registers the rules)
from govshare.compliance._check import check
from govshare.compliance._context import Context, Progress
from govshare.compliance._guide import GUIDE, GuideItem
from govshare.compliance._model import (
    Article,
    Evidence,
    Finding,
    GuideEntry,
    Lang,
    Severity,
    Status,
    Text,
)
from govshare.compliance._policy import Policy, load_policy
from govshare.compliance._registry import RULES, Outcome, Rule, Violation
from govshare.compliance._report import REPORT_FORMAT, Anchor, BudgetPoint, Report, report_schema

__all__ = [
    "GUIDE",
    "REPORT_FORMAT",
    "RULES",
    "Anchor",
    "Article",
    "BudgetPoint",
    "Context",
    "Evidence",
    "Finding",
    "GuideEntry",
    "GuideItem",
    "Lang",
    "Outcome",
    "Policy",
    "Progress",
    "Report",
    "Rule",
    "Severity",
    "Status",
    "Text",
    "Violation",
    "check",
    "load_policy",
    "report_schema",
]
