"""Records of a compliance check: articles, evidence, findings and Guide entries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, JsonValue

from govshare._models import Record
from govshare.audit import InclusionProof

__all__ = [
    "Article",
    "Evidence",
    "Finding",
    "GuideEntry",
    "Lang",
    "Severity",
    "Status",
    "Text",
]

Status = Literal["pass", "fail", "not-applicable"]
"""A rule's outcome. ``not-applicable`` always comes with the reason (nothing to check, or the
data the rule needs is not in this store)."""

Severity = Literal["critical", "high", "medium", "low"]
Lang = Literal["zh", "en"]


class Text(Record):
    """The same words in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        """The text in *lang*."""
        return self.zh if lang == "zh" else self.en


class Article(Record):
    """A provision a rule enforces.

    Attributes:
        source: short name of the law or guide (``PIPL``, ``Audit Guide 2025``, ``GDPR`` …).
        ref: the article or item, as the source numbers it (``Art. 29``, ``item 11``).
        certain: False where the mapping is our reading and should be confirmed by counsel.
    """

    source: str
    ref: str
    certain: bool = True


class Evidence(Record):
    """One audit-log entry a finding rests on, with what anyone needs to re-verify it.

    ``entry`` is the entry's exact canonical bytes (UTF-8 JSON); its RFC 6962 leaf hash is
    SHA-256(0x00 || entry). ``proof`` proves that leaf is at ``index`` in the tree of
    ``proof.size`` entries; ``anchor`` says what vouches for that tree's root: ``checkpoint``
    (the report's signed anchor checkpoint), ``head`` (the log's verified head, not yet covered
    by a signed checkpoint) or ``none`` (the log did not verify: no proof is offered).
    """

    index: int
    type: str
    time: datetime
    note: Text
    entry: str
    proof: InclusionProof | None = None
    anchor: Literal["checkpoint", "head", "none"] = "none"


class Finding(Record):
    """The outcome of one rule over the store and log.

    Attributes:
        rule: the rule's id (see the rule catalogue).
        status: pass, fail, or not-applicable (``explanation`` says why).
        checked: how many items the rule examined (entries, records or ledger rows).
        violations: how many of them broke the rule.
        explanation: what was found, in plain words.
        evidence: audit entries the finding rests on (at most the policy's ``max_evidence``).
        evidence_omitted: further violating entries not listed.
        items: other references (record ids, ledger scopes) for violations outside the log.
    """

    rule: str
    title: Text
    severity: Severity
    status: Status
    checked: int = 0
    violations: int = 0
    explanation: Text
    articles: tuple[Article, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    evidence_omitted: int = 0
    items: tuple[str, ...] = ()


class GuideEntry(Record):
    """One item of the 2025 《个人信息保护合规审计指引》 and how this report covers it.

    Attributes:
        item: the item's number as we read the Guide (see ``certain`` on the catalogue page).
        coverage: ``mechanical`` (rules below check it from the store), ``partial`` (rules
            check part; collect documents for the rest) or ``documentary`` (no store can prove it).
        rules: the rules that check it, with their statuses in this report.
        collect: the documents an auditor should collect for what the rules cannot prove.
    """

    item: int
    topic: Text
    pipl: tuple[str, ...]
    coverage: Literal["mechanical", "partial", "documentary"]
    rules: tuple[str, ...] = ()
    statuses: tuple[Status, ...] = ()
    collect: Text | None = None
    certain: bool = False
    note: Annotated[str, Field(max_length=500)] | None = None
    extra: dict[str, JsonValue] = Field(default_factory=dict)
