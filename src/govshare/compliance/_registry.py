"""The rule registry: each rule is a small object with its metadata and a check function.

Rules live one family per module in :mod:`govshare.compliance._rules` and register themselves
with :func:`rule` when the package is imported. A rule whose data the library does not record yet
is registered with :func:`pending` (metadata only): the report lists it as not applicable and
says which feature it waits for, so no check is ever faked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from govshare.audit import AuditRecord
from govshare.compliance._model import Article, Severity, Status, Text
from govshare.exceptions import InputError
from govshare.types import SLUG_PATTERN, matches

if TYPE_CHECKING:
    from govshare.compliance._context import Context

__all__ = ["RULES", "Outcome", "Rule", "Violation", "pending", "rule"]


@dataclass(frozen=True)
class Violation:
    """One item that broke a rule: the audit entry it rests on (if the log has one), what is
    wrong in plain words, and a non-log reference (a record id, a ledger scope) if useful."""

    note: Text
    record: AuditRecord | None = None
    item: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a rule's check function returns."""

    status: Status
    explanation: Text
    checked: int = 0
    violations: tuple[Violation, ...] = ()
    supporting: tuple[tuple[AuditRecord, Text], ...] = field(default=())
    """Entries a passing finding rests on (e.g. the checkpoints' own log entries); optional."""


@dataclass(frozen=True)
class Rule:
    """A compliance rule: what it checks, which provisions it serves, and how to check it.

    Attributes:
        id: stable kebab-case id, prefixed by its family (``consent-separate``).
        family: the module that holds it (``audit``, ``consent``, ``release`` …).
        title, explanation: in Chinese and English; the explanation says what is checked and why.
        articles: the provisions it enforces (PIPL, the 2025 Audit Guide, the 2025 政务数据共享条例
            or the 2016 暂行办法, GDPR), each marked ``certain=False`` where our reading needs
            confirming.
        guide_items: items of the 2025 《个人信息保护合规审计指引》 it serves.
        severity: how serious a failure is.
        event_types: audit event types the check reads (loaded once for all rules).
        check: the function from the check's context to an :class:`Outcome`; None while pending.
        waits_for: for a pending rule, the feature it needs, in plain words.
    """

    id: str
    family: str
    title: Text
    explanation: Text
    articles: tuple[Article, ...]
    guide_items: tuple[int, ...]
    severity: Severity
    event_types: tuple[str, ...] = ()
    check: Callable[[Context], Outcome] | None = None
    waits_for: Text | None = None


RULES: dict[str, Rule] = {}
"""Every registered rule by id, in registration order (the report's order)."""


def _register(item: Rule) -> Rule:
    if not matches(SLUG_PATTERN, item.id) or not item.id.startswith(item.family + "-"):
        raise InputError(f"rule id {item.id!r} must be kebab-case and start with its family")
    if item.id in RULES:
        raise InputError(f"rule {item.id!r} is registered twice")
    RULES[item.id] = item
    return item


def rule(
    id: str,
    *,
    family: str,
    title: Text,
    explanation: Text,
    articles: tuple[Article, ...],
    guide_items: tuple[int, ...],
    severity: Severity,
    event_types: tuple[str, ...] = (),
) -> Callable[[Callable[[Context], Outcome]], Callable[[Context], Outcome]]:
    """Register the decorated function as rule *id*'s check."""

    def decorate(check: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        _register(
            Rule(
                id=id,
                family=family,
                title=title,
                explanation=explanation,
                articles=articles,
                guide_items=guide_items,
                severity=severity,
                event_types=event_types,
                check=check,
            )
        )
        return check

    return decorate


def pending(
    id: str,
    *,
    family: str,
    title: Text,
    explanation: Text,
    articles: tuple[Article, ...],
    guide_items: tuple[int, ...],
    severity: Severity,
    waits_for: Text,
) -> Rule:
    """Register a rule whose data the library does not record yet (metadata only)."""
    return _register(
        Rule(
            id=id,
            family=family,
            title=title,
            explanation=explanation,
            articles=articles,
            guide_items=guide_items,
            severity=severity,
            waits_for=waits_for,
        )
    )
