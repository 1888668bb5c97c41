"""Rules over the differential-privacy ledger: no cap overspent, every release paid before release.

The ledger is replayed from the log: ``dp.budget.set`` creates or changes a cap, ``dp.released``
(actor = requester) charges the dataset-wide cap and the requester's own cap, as the ledger did
when it released. Amounts are compared in the ledger's exact units (epsilon 1e-6, delta 1e-15):
events record them as integers (``epsilon_units``, ``epsilon_cap_units``, …) next to exact decimal
strings; logs written before they did carry floats, which are converted as the ledger did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation

from govshare.audit import AuditRecord
from govshare.compliance._context import Context
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import gdpr, guide, pipl, t

__all__ = ["DELTA_UNIT", "EPSILON_UNIT", "amount", "charged", "replay", "within_cap"]

RELEASED = "dp.released"
BUDGET_SET = "dp.budget.set"
ALL = "*"
EPSILON_UNIT = Decimal("1e-6")
DELTA_UNIT = Decimal("1e-15")


def amount(data: Mapping[str, object], name: str, unit: Decimal, *, charge: bool) -> int:
    """Event field *name* in exact ledger units: its ``<name>_units`` integer when the event has
    one, else the amount itself (an exact decimal string, or a float of an older log)."""
    units = data.get(f"{name}_units")
    if isinstance(units, int) and not isinstance(units, bool):
        return units
    return _units(data.get(name), unit, charge=charge)


def _units(value: object, unit: Decimal, *, charge: bool) -> int:
    """An amount in exact ledger units: charges round up (as the ledger charged them)."""
    if isinstance(value, str):
        try:
            exact = Decimal(value) / unit
        except InvalidOperation:
            return 0
    elif isinstance(value, int | float) and not isinstance(value, bool):
        exact = Decimal(repr(float(value))) / unit
    else:
        return 0
    if not exact.is_finite():
        return 0
    return int(exact.to_integral_value(ROUND_CEILING if charge else ROUND_HALF_EVEN))


@dataclass
class Scope:
    """One cap as the log tells it: its cap and what the logged releases spent against it."""

    epsilon_cap: int
    delta_cap: int
    epsilon_spent: int = 0
    delta_spent: int = 0
    releases: list[AuditRecord] = field(default_factory=list)
    overspent: list[AuditRecord] = field(default_factory=list)
    set_by: AuditRecord | None = None


@dataclass
class Replay:
    """The ledger rebuilt from the log, and the releases that found no cap to charge."""

    scopes: dict[tuple[str, str], Scope]
    uncovered: list[AuditRecord]


def replay(ctx: Context) -> Replay:
    """Rebuild every cap and its spending from the whole log, in log order."""
    entries = sorted(
        ctx.events(BUDGET_SET, whole_log=True) + ctx.events(RELEASED, whole_log=True),
        key=lambda r: r.seq,
    )
    scopes: dict[tuple[str, str], Scope] = {}
    uncovered: list[AuditRecord] = []
    for record in entries:
        data = record.event.data
        dataset = str(data.get("dataset"))
        if record.event.type == BUDGET_SET:
            key = (dataset, str(data.get("requester")))
            eps = amount(data, "epsilon_cap", EPSILON_UNIT, charge=False)
            delta = amount(data, "delta_cap", DELTA_UNIT, charge=False)
            scope = scopes.setdefault(key, Scope(eps, delta))
            scope.epsilon_cap, scope.delta_cap, scope.set_by = eps, delta, record
            continue
        charged_to = [
            scopes[k] for k in ((dataset, ALL), (dataset, record.event.actor)) if k in scopes
        ]
        if not charged_to:
            uncovered.append(record)
        for scope in charged_to:
            scope.epsilon_spent += amount(data, "epsilon", EPSILON_UNIT, charge=True)
            scope.delta_spent += amount(data, "delta", DELTA_UNIT, charge=True)
            scope.releases.append(record)
            if scope.epsilon_spent > scope.epsilon_cap or scope.delta_spent > scope.delta_cap:
                scope.overspent.append(record)
    return Replay(scopes, uncovered)


def _ledger(ctx: Context) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """The ledger as stored now, in exact units: (eps cap, eps spent, delta cap, delta spent)."""
    return {
        (b.dataset, b.requester): (
            _units(b.epsilon_cap, EPSILON_UNIT, charge=False),
            _units(b.epsilon_spent, EPSILON_UNIT, charge=False),
            _units(b.delta_cap, DELTA_UNIT, charge=False),
            _units(b.delta_spent, DELTA_UNIT, charge=False),
        )
        for b in ctx.budgets
    }


_ARTICLES = (pipl("Art. 51(3)"), pipl("Art. 6"), guide(20), gdpr("Art. 25(1)", certain=False))


@rule(
    "dp-within-cap",
    family="dp",
    title=t("差分隐私预算从未超出上限", "No differential-privacy budget went over its cap"),
    explanation=t(
        "台账中每个上限的已用预算不超过上限；按日志重放，任何一次发布之后都没有超过当时的上限；"
        "台账中的上限与最后一次记录的 dp.budget.set 一致。",
        "Every cap in the ledger has spent at most its cap; replayed from the log, no release "
        "ever took a cap past its value at the time; and each cap in the ledger is the one its "
        "last dp.budget.set entry logged.",
    ),
    articles=_ARTICLES,
    guide_items=(20,),
    severity="high",
    event_types=(RELEASED, BUDGET_SET),
)
def within_cap(ctx: Context) -> Outcome:
    """Ledger and replay both stay within their caps."""
    ledger = _ledger(ctx)
    rebuilt = replay(ctx)
    if not ledger and not rebuilt.scopes:
        return Outcome(
            "not-applicable", t("存储中没有差分隐私预算。", "The store has no DP budgets.")
        )
    violations: list[Violation] = []
    for (dataset, requester), (eps_cap, eps_spent, delta_cap, delta_spent) in sorted(
        ledger.items()
    ):
        scope_name = f"{dataset} / {requester}"
        if eps_spent > eps_cap or delta_spent > delta_cap:
            violations.append(
                Violation(
                    t(
                        f"台账 {scope_name} 已用超过上限",
                        f"ledger {scope_name} has spent more than its cap",
                    ),
                    item=scope_name,
                )
            )
        logged = rebuilt.scopes.get((dataset, requester))
        if logged is not None and (logged.epsilon_cap, logged.delta_cap) != (eps_cap, delta_cap):
            violations.append(
                Violation(
                    t(
                        f"台账 {scope_name} 的上限与日志记录不符",
                        f"ledger {scope_name}'s cap differs from the logged one",
                    ),
                    record=logged.set_by,
                    item=scope_name,
                )
            )
    for (dataset, requester), scope in sorted(rebuilt.scopes.items()):
        violations += [
            Violation(
                t(
                    f"此次发布使 {dataset} / {requester} 超出上限",
                    f"this release took {dataset} / {requester} over its cap",
                ),
                record=record,
                item=f"{dataset} / {requester}",
            )
            for record in scope.overspent
        ]
    checked = len(ledger) + sum(len(s.releases) for s in rebuilt.scopes.values())
    if violations:
        return Outcome(
            "fail",
            t(f"发现 {len(violations)} 处超出预算上限。", f"{len(violations)} overspend(s) found."),
            checked=checked,
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"{len(ledger)} 个上限均未超出，日志重放也从未超出。",
            f"None of the {len(ledger)} caps is overspent, now or at any release in the log.",
        ),
        checked=checked,
    )


@rule(
    "dp-release-charged",
    family="dp",
    title=t(
        "每次差分隐私发布都在返回前计入预算", "Every DP release was charged before it was returned"
    ),
    explanation=t(
        "每条 dp.released 事件都与预算扣减在同一事务中提交。按日志重放得到的已用预算必须与台账完全一致："
        "台账少于日志说明有发布未扣预算；台账多于日志说明有扣减没有日志记录；找不到上限的发布从未扣费。",
        "Each dp.released event commits in one transaction with its charge. The spending replayed "
        "from the log must equal the ledger's exactly: a ledger below the log means a release "
        "went uncharged; above it, a charge has no logged release; a release with no cap to "
        "charge was never paid for.",
    ),
    articles=_ARTICLES,
    guide_items=(20,),
    severity="critical",
    event_types=(RELEASED, BUDGET_SET),
)
def charged(ctx: Context) -> Outcome:
    """Replayed spending equals the ledger's, and every release found a cap."""
    ledger = _ledger(ctx)
    rebuilt = replay(ctx)
    releases = ctx.events(RELEASED, whole_log=True)
    if not releases and not ledger:
        return Outcome(
            "not-applicable", t("存储中没有差分隐私发布。", "The store has no DP releases.")
        )
    violations = [
        Violation(t("此次发布没有可扣减的预算上限", "this release had no cap to charge"), record=r)
        for r in rebuilt.uncovered
    ]
    for key in sorted(set(ledger) | set(rebuilt.scopes)):
        name = f"{key[0]} / {key[1]}"
        stored = ledger.get(key)
        scope = rebuilt.scopes.get(key)
        logged = (scope.epsilon_spent, scope.delta_spent) if scope else (0, 0)
        spent = (stored[1], stored[3]) if stored else (0, 0)
        if spent == logged:
            continue
        if spent < logged:
            note = t(
                f"{name}：台账已用少于日志中的发布（有发布未扣预算）",
                f"{name}: the ledger has spent less than the logged releases (a release went uncharged)",
            )
        else:
            note = t(
                f"{name}：台账已用多于日志中的发布（有扣减没有日志）",
                f"{name}: the ledger has spent more than the logged releases (a charge has no log entry)",
            )
        last = scope.releases[-1] if scope and scope.releases else None
        violations.append(Violation(note, record=last, item=name))
    if violations:
        return Outcome(
            "fail",
            t(
                f"台账与日志有 {len(violations)} 处不一致。",
                f"Ledger and log disagree in {len(violations)} place(s).",
            ),
            checked=len(releases),
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(
            f"{len(releases)} 次发布均已计入预算，台账与日志一致。",
            f"All {len(releases)} releases were charged; the ledger and the log agree exactly.",
        ),
        checked=len(releases),
    )
