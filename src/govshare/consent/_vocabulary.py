"""Catalogues of purposes, personal-information categories and legal bases (PIPL, W3C DPV).

Codes are lower-case kebab-case. Each term carries Chinese and English labels and, where the
W3C Data Privacy Vocabulary has a matching concept, its IRI. Categories flag PIPL Art. 28
sensitive personal information. A :class:`Vocabulary` is the built-in catalogue plus any terms
added by configuration; codes it does not know are refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import Field

from govshare._models import Record, build
from govshare.exceptions import InputError
from govshare.identifiers import FREE_TEXT
from govshare.types import CODE_PATTERN, Code, matches

__all__ = ["DPV", "DPV_PD", "TERM_KINDS", "Term", "TermKind", "Vocabulary"]

DPV: Final = "https://w3id.org/dpv#"
DPV_PD: Final = "https://w3id.org/dpv/pd#"

TermKind = Literal["purpose", "category", "legal-basis"]
TERM_KINDS: Final[tuple[TermKind, ...]] = ("purpose", "category", "legal-basis")
CONSENT: Final = "consent"
MINOR_CATEGORY: Final = "minor-information"


class Term(Record):
    """One catalogue entry.

    Attributes:
        code: stable machine code (lower-case kebab-case), e.g. ``"subsidy-eligibility"``.
        label_en: English label.
        label_zh: Chinese label.
        dpv: IRI of the matching W3C DPV concept, or ``None`` where DPV has none.
        sensitive: categories only: PIPL Art. 28 sensitive personal information.
        pipl: the PIPL provision the term comes from, when it comes from one (e.g. ``"Art. 13(1)"``).
    """

    code: Code
    label_en: Annotated[str, Field(min_length=1, max_length=200), FREE_TEXT]
    label_zh: Annotated[str, Field(min_length=1, max_length=200), FREE_TEXT]
    dpv: Annotated[str, Field(pattern=r"^https://", max_length=300)] | None = None
    sensitive: bool = False
    pipl: Annotated[str, Field(max_length=40), FREE_TEXT] | None = None


def _t(code: str, en: str, zh: str, dpv: str | None = None, **extra: Any) -> Term:
    return Term(code=code, label_en=en, label_zh=zh, dpv=dpv, **extra)


_PURPOSES: Final = (
    _t(
        "subsidy-eligibility",
        "Assessing eligibility for a subsidy or benefit",
        "补贴资格审核",
        f"{DPV}PublicBenefit",
    ),
    _t("social-assistance", "Providing social assistance", "社会救助", f"{DPV}PublicBenefit"),
    _t("pension-administration", "Administering pensions", "养老保险经办"),
    _t("medical-insurance", "Administering medical insurance", "医疗保险经办"),
    _t("unemployment-insurance", "Administering unemployment insurance", "失业保险经办"),
    _t(
        "employment-services", "Providing employment services", "就业服务", f"{DPV}ServiceProvision"
    ),
    _t("housing-assistance", "Providing housing assistance", "住房保障", f"{DPV}PublicBenefit"),
    _t("education-enrolment", "School enrolment and education administration", "入学与教育管理"),
    _t("public-health", "Public health management", "公共卫生管理"),
    _t(
        "disability-services",
        "Services for persons with disabilities",
        "残疾人服务",
        f"{DPV}ServiceProvision",
    ),
    _t("elderly-care", "Elderly care services", "养老服务", f"{DPV}ServiceProvision"),
    _t("child-welfare", "Child welfare and protection", "儿童福利与保护"),
    _t("tax-administration", "Tax administration", "税务管理", f"{DPV}LegalCompliance"),
    _t("civil-registration", "Civil registration (marriage, household)", "婚姻与户籍登记"),
    _t(
        "identity-verification",
        "Verifying a person's identity",
        "身份核验",
        f"{DPV}IdentityVerification",
    ),
    _t(
        "fraud-prevention",
        "Preventing and detecting benefit fraud",
        "防范和查处骗保",
        f"{DPV}FraudPreventionAndDetection",
    ),
    _t(
        "service-provision",
        "Providing a requested public service",
        "提供所申请的公共服务",
        f"{DPV}ServiceProvision",
    ),
    _t("statistics", "Official statistics", "统计调查", f"{DPV}ResearchAndDevelopment"),
    _t("research", "Scientific or policy research", "科学或政策研究", f"{DPV}AcademicResearch"),
    _t(
        "legal-compliance",
        "Complying with a legal obligation",
        "履行法定义务",
        f"{DPV}LegalCompliance",
    ),
    _t("emergency-response", "Responding to a public emergency", "突发公共事件应对"),
    _t(
        "communication",
        "Communicating with the person",
        "与本人联络",
        f"{DPV}CommunicationManagement",
    ),
)

_CATEGORIES: Final = (
    _t("identity", "Identity (name, resident ID number)", "身份信息", f"{DPV_PD}Identifying"),
    _t("name", "Name", "姓名", f"{DPV_PD}Name"),
    _t("age", "Age or date of birth", "年龄或出生日期", f"{DPV_PD}Age"),
    _t("gender", "Gender", "性别", f"{DPV_PD}Gender"),
    _t("contact", "Contact details (phone, e-mail)", "联系方式", f"{DPV_PD}Contact"),
    _t("address", "Home address", "住址", f"{DPV_PD}Address"),
    _t("household", "Household composition", "家庭成员构成"),
    _t("marital-status", "Marital status", "婚姻状况", f"{DPV_PD}MaritalStatus"),
    _t("education", "Education", "受教育情况"),
    _t("employment", "Employment", "就业情况"),
    _t("income", "Income", "收入", f"{DPV_PD}Income"),
    _t("assets", "Assets and property (non-account)", "财产状况"),
    _t("social-insurance", "Social insurance contributions and benefits", "社会保险缴费与待遇"),
    _t("tax", "Tax records", "纳税信息"),
    _t(
        "disability",
        "Disability certificate and grade",
        "残疾情况",
        f"{DPV_PD}Disability",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "biometrics",
        "Biometric data (face, fingerprint)",
        "生物识别信息",
        f"{DPV_PD}Biometric",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "religion",
        "Religious belief",
        "宗教信仰",
        f"{DPV_PD}Religion",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "specific-identity",
        "Specific identity (e.g. ethnic minority, special groups)",
        "特定身份",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "medical-health",
        "Medical and health information",
        "医疗健康信息",
        f"{DPV_PD}MedicalHealth",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "financial-account",
        "Financial accounts (bank card, account numbers)",
        "金融账户",
        f"{DPV_PD}FinancialAccount",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        "whereabouts",
        "Whereabouts and location tracks",
        "行踪轨迹",
        f"{DPV_PD}Location",
        sensitive=True,
        pipl="Art. 28",
    ),
    _t(
        MINOR_CATEGORY,
        "Any information of a minor under 14",
        "不满十四周岁未成年人的个人信息",
        sensitive=True,
        pipl="Art. 28, 31",
    ),
    _t("criminal-record", "Criminal records", "违法犯罪记录", sensitive=True, pipl="Art. 28"),
)

_LEGAL_BASES: Final = (
    _t(CONSENT, "Consent of the individual", "取得个人的同意", f"{DPV}Consent", pipl="Art. 13(1)"),
    _t(
        "contract",
        "Necessary for a contract or lawful HR management",
        "订立、履行合同或人力资源管理所必需",
        f"{DPV}Contract",
        pipl="Art. 13(2)",
    ),
    _t(
        "legal-obligation",
        "Necessary for a statutory duty or obligation",
        "履行法定职责或者法定义务所必需",
        f"{DPV}LegalObligation",
        pipl="Art. 13(3)",
    ),
    _t(
        "public-health-emergency",
        "Public health emergency, or protecting life, health and property",
        "应对突发公共卫生事件或紧急情况下保护生命健康和财产安全所必需",
        f"{DPV}VitalInterest",
        pipl="Art. 13(4)",
    ),
    _t(
        "news-reporting",
        "News reporting and public-opinion supervision in the public interest",
        "为公共利益实施新闻报道、舆论监督",
        f"{DPV}PublicInterest",
        pipl="Art. 13(5)",
    ),
    _t(
        "published-information",
        "Information the individual disclosed or lawfully published",
        "处理已合法公开的个人信息",
        pipl="Art. 13(6)",
    ),
    _t(
        "other-law",
        "Other circumstances provided by laws and administrative regulations",
        "法律、行政法规规定的其他情形",
        pipl="Art. 13(7)",
    ),
)


class Vocabulary:
    """The codes the registry accepts: the built-in catalogue plus configured extensions.

    Build one with :meth:`builtin`, then :meth:`extend` with more terms (or :meth:`from_config`
    for a JSON document). Instances are immutable; ``extend`` returns a new one.
    """

    __slots__ = ("_terms",)

    def __init__(self, terms: Mapping[TermKind, Mapping[str, Term]]) -> None:
        self._terms: dict[TermKind, dict[str, Term]] = {
            k: dict(terms.get(k, {})) for k in TERM_KINDS
        }

    @classmethod
    def builtin(cls) -> Vocabulary:
        """The built-in catalogue (PIPL Art. 13 legal bases, Art. 28 sensitive categories)."""
        return cls(
            {
                "purpose": {t.code: t for t in _PURPOSES},
                "category": {t.code: t for t in _CATEGORIES},
                "legal-basis": {t.code: t for t in _LEGAL_BASES},
            }
        )

    def extend(self, kind: TermKind, terms: Iterable[Term]) -> Vocabulary:
        """A new vocabulary with *terms* added to catalogue *kind*.

        Raises:
            InputError: *kind* is unknown, a code already exists with a different meaning, or a
                legal basis is added (PIPL Art. 13 is exhaustive).
        """
        if kind not in TERM_KINDS:
            raise InputError(
                f"unknown vocabulary kind {kind!r}; use one of {', '.join(TERM_KINDS)}"
            )
        if kind == "legal-basis":
            raise InputError("the legal bases are PIPL Art. 13's seven and cannot be extended")
        merged = {k: dict(v) for k, v in self._terms.items()}
        for term in terms:
            known = merged[kind].get(term.code)
            if known is not None and known != term:
                raise InputError(f"{kind} {term.code!r} already exists with another definition")
            if kind == "purpose" and term.sensitive:
                raise InputError(f"purpose {term.code!r}: only categories can be sensitive")
            merged[kind][term.code] = term
        return Vocabulary(merged)

    @classmethod
    def from_config(cls, text: str | bytes) -> Vocabulary:
        """The built-in catalogue extended by a JSON document ``{"purposes": [...], "categories": [...]}``.

        Each list item is a :class:`Term` as JSON. Unknown top-level keys are refused.

        Raises:
            InputError: the document is not valid JSON or a term is invalid.
        """
        try:
            doc = json.loads(text)
        except ValueError:
            raise InputError("the vocabulary configuration is not valid JSON") from None
        if not isinstance(doc, dict) or set(doc) - {"purposes", "categories"}:
            raise InputError('the vocabulary configuration has keys "purposes" and "categories"')
        vocab = cls.builtin()
        kinds: tuple[tuple[str, TermKind], ...] = (
            ("purposes", "purpose"),
            ("categories", "category"),
        )
        for key, kind in kinds:
            items = doc.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise InputError(f'"{key}" must be a list of term objects')
            vocab = vocab.extend(kind, [build(Term, **item) for item in items])
        return vocab

    def terms(self, kind: TermKind) -> tuple[Term, ...]:
        """Every term of catalogue *kind*, in code order."""
        return tuple(self._terms[kind][c] for c in sorted(self._terms[kind]))

    def term(self, kind: TermKind, code: str) -> Term:
        """The term *code* of catalogue *kind*.

        Raises:
            InputError: the code is unknown.
        """
        found = self._terms[kind].get(code) if isinstance(code, str) else None
        if found is None:
            raise InputError(f"unknown {kind} code {_show(code)}; see Vocabulary.terms({kind!r})")
        return found

    def require(self, kind: TermKind, codes: Sequence[str], *, what: str) -> tuple[str, ...]:
        """Check that every code is known; returns them de-duplicated, in order.

        Raises:
            InputError: *codes* is empty or holds an unknown code.
        """
        if isinstance(codes, str) or not codes:
            raise InputError(f"{what} must be a non-empty list of {kind} codes")
        for code in codes:
            self.term(kind, code)
        return tuple(dict.fromkeys(codes))

    def sensitive(self, categories: Iterable[str]) -> tuple[str, ...]:
        """The PIPL-sensitive codes among *categories* (all assumed known)."""
        return tuple(c for c in categories if self._terms["category"][c].sensitive)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and any(item in t for t in self._terms.values())

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self._terms.items())
        return f"Vocabulary({sizes})"


def _show(code: object) -> str:
    # Codes are short public strings; anything long or odd is not echoed (it may be personal data).
    if isinstance(code, str) and matches(CODE_PATTERN, code, max_length=64):
        return repr(code)
    return "(not shown)"
