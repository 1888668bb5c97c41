"""Citations shared by the rule families: one place that spells each source's name."""

from __future__ import annotations

from govshare.compliance._model import Article, Text

__all__ = [
    "csl",
    "gdpr",
    "guide",
    "measures2016",
    "pipl",
    "regulation2025",
    "t",
]


def t(zh: str, en: str) -> Text:
    """Chinese and English text."""
    return Text(zh=zh, en=en)


def pipl(ref: str) -> Article:
    """《中华人民共和国个人信息保护法》 (PIPL, 2021)."""
    return Article(source="PIPL", ref=ref)


def guide(item: int) -> Article:
    """An item of the 2025 《个人信息保护合规审计指引》 (annex to the Audit Measures).

    Item numbers follow our reading of the Guide (PIPL order); confirm against the official text.
    """
    return Article(source="Audit Guide 2025", ref=f"item {item}", certain=False)


def regulation2025(ref: str) -> Article:
    """《政务数据共享条例》 (2025); article numbers are our reading: confirm against the text."""
    return Article(source="政务数据共享条例 2025", ref=ref, certain=False)


def measures2016(ref: str, *, certain: bool = False) -> Article:
    """《政务信息资源共享管理暂行办法》 (国发〔2016〕51号)."""
    return Article(source="政务信息资源共享管理暂行办法 2016", ref=ref, certain=certain)


def csl(ref: str) -> Article:
    """《中华人民共和国网络安全法》 (Cybersecurity Law, 2016)."""
    return Article(source="Cybersecurity Law", ref=ref)


def gdpr(ref: str, *, certain: bool = True) -> Article:
    """Regulation (EU) 2016/679, for departments that also answer to it (analogous provision)."""
    return Article(source="GDPR", ref=ref, certain=certain)
