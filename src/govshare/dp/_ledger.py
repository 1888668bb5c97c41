"""The privacy-budget ledger: caps per dataset (and per requester), charged atomically.

Amounts are exact integers (epsilon in 1e-6 units, delta in 1e-15 units). A charge is one
conditional ``UPDATE … SET spent = spent + :x WHERE spent + :x <= cap`` per applicable cap, in one
transaction with the release's audit event: PostgreSQL re-checks the condition on the locked row
and SQLite serialises writers, so no interleaving of processes can overspend, and a refused charge
leaves nothing behind.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select, update

from govshare._clock import Clock, SystemClock, utc_iso
from govshare.audit import AuditLog
from govshare.dp._models import BudgetStatus
from govshare.dp._tables import ALL_REQUESTERS, dp_budgets
from govshare.dp._units import (
    DELTA_UNIT,
    EPSILON_UNIT,
    delta_text,
    delta_units,
    epsilon_text,
    epsilon_units,
)
from govshare.exceptions import BudgetExceeded, InputError
from govshare.identifiers import refuse_identifier, shown
from govshare.storage import Store
from govshare.types import check_dataset

__all__ = ["BudgetReport", "Ledger", "MemoryLedger", "StoreLedger", "check_name"]


def check_name(value: str, what: str) -> str:
    """Validate a dataset or requester name (a code, recorded in the audit log).

    Raises:
        InputError: not 1-200 letters, digits or ``._:/@-``.
        IdentifierInText: it holds something shaped like a resident ID, phone or card number.
    """
    return refuse_identifier(check_dataset(value, what), what)


class BudgetReport(Sequence[BudgetStatus]):
    """The caps of a ledger, as a sequence of :class:`BudgetStatus`; renders a bar chart in Jupyter."""

    def __init__(self, statuses: Sequence[BudgetStatus]) -> None:
        self._statuses = list(statuses)

    def __getitem__(self, index: Any) -> Any:
        return self._statuses[index]

    def __len__(self) -> int:
        return len(self._statuses)

    def __iter__(self) -> Iterator[BudgetStatus]:
        return iter(self._statuses)

    def __repr__(self) -> str:
        return "\n".join(repr(s) for s in self._statuses) or "BudgetReport([])"

    def _repr_html_(self) -> str:
        from govshare.dp._html import budget_html

        return budget_html(self._statuses)


class Ledger(ABC):
    """Where budgets live and releases are charged. See :class:`MemoryLedger` and :class:`StoreLedger`.

    A requester-specific cap (``requester="analyst-7"``) applies on top of the dataset-wide cap; a
    release charges every cap that applies, or none. Who a release is charged to is not the
    releaser's choice wherever it matters: a store ledger charges only the requester it is bound
    to (``ws.budgets``: the workspace's department).
    """

    @property
    def requester(self) -> str | None:
        """The one requester this ledger charges, or None if it takes the caller's (memory only)."""
        return None

    @property
    def basis(self) -> str:
        """How the requester was established (shown in every release and its audit event)."""
        return "declared by the caller (in-memory ledger)"

    def check_requester(self, requester: str) -> str:
        """*requester*, if this ledger may charge it.

        Raises:
            InputError: a malformed name, or not the requester this ledger is bound to.
        """
        check_name(requester, "requester")
        bound = self.requester
        if bound is not None and requester != bound:
            raise InputError(
                f"this ledger charges {shown(bound)} ({self.basis}), not {shown(requester)}: who is charged "
                "comes from the workspace or a verified token, e.g. ws.dp(…, token=…, purpose=…)"
            )
        return requester

    def set(
        self, dataset: str, *, epsilon: float, delta: float = 0.0, requester: str | None = None
    ) -> BudgetStatus:
        """Set (or change) the cap of *dataset*, for everyone or for one *requester*.

        What was already spent is kept; a cap below it simply refuses further releases.

        Raises:
            InputError: a malformed name, a negative or non-finite epsilon, delta outside [0, 1).
        """
        check_name(dataset, "dataset")
        who = ALL_REQUESTERS if requester is None else check_name(requester, "requester")
        return self._set(
            dataset, who, epsilon_units(epsilon, cap=True), delta_units(delta, cap=True)
        )

    def get(self, dataset: str, *, requester: str | None = None) -> BudgetStatus:
        """The cap and spending of *dataset* (dataset-wide, or *requester*'s own cap).

        Raises:
            InputError: no such cap is set.
        """
        who = ALL_REQUESTERS if requester is None else requester
        for status in self.show(dataset):
            if status.requester == who:
                return status
        raise InputError(
            f"no budget is set for dataset {shown(dataset)} and requester {shown(who)}"
        )

    def _repr_html_(self) -> str:
        return self.show()._repr_html_()

    @abstractmethod
    def show(self, dataset: str | None = None) -> BudgetReport:
        """Every cap (of *dataset*, or all), with what is spent."""

    @abstractmethod
    def _set(self, dataset: str, requester: str, eps: int, delta: int) -> BudgetStatus: ...

    @abstractmethod
    def charge(
        self,
        dataset: str,
        requester: str,
        eps: int,
        delta: int,
        event: dict[str, Any],
        *,
        conn: Connection | None = None,
    ) -> None:
        """Charge *eps*/*delta* units to every cap of *dataset* that applies to *requester*.

        *conn* runs the charge (and, for a store ledger, its ``dp.released`` event) in the
        caller's transaction, so it commits or rolls back with the caller's other work.

        Raises:
            InputError: *requester* is not one this ledger may charge (:meth:`check_requester`).
            BudgetExceeded: no cap is set, or one would be exceeded; nothing was charged.
        """


def _exceeded(dataset: str, requester: str, eps: int, delta: int) -> BudgetExceeded:
    return BudgetExceeded(
        f"releasing epsilon={Decimal(eps) * EPSILON_UNIT:f}, delta={Decimal(delta) * DELTA_UNIT:g} "
        f"would exceed a budget cap of dataset {dataset!r} for {requester!r}; nothing was charged"
    )


def _no_budget(dataset: str) -> BudgetExceeded:
    return BudgetExceeded(
        f"dataset {dataset!r} has no privacy budget: set one first, e.g. "
        f"ledger.set({dataset!r}, epsilon=1.0) (ws.budgets.set / govshare budget set)"
    )


class MemoryLedger(Ledger):
    """A ledger in this process's memory, for notebooks and tests; thread-safe, not persisted.

    >>> ledger = MemoryLedger()
    >>> ledger.set("survey", epsilon=1.0).epsilon_remaining
    1.0
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], list[int]] = {}
        self._updated: dict[tuple[str, str], str] = {}
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"MemoryLedger({len(self._rows)} caps)"

    def _set(self, dataset: str, requester: str, eps: int, delta: int) -> BudgetStatus:
        with self._lock:
            row = self._rows.setdefault((dataset, requester), [0, 0, 0, 0])
            row[0], row[2] = eps, delta
            self._updated[(dataset, requester)] = utc_iso(self._clock.now())
            return self._status(dataset, requester)

    def show(self, dataset: str | None = None) -> BudgetReport:
        with self._lock:
            keys = sorted(k for k in self._rows if dataset is None or k[0] == dataset)
            return BudgetReport([self._status(*k) for k in keys])

    def _status(self, dataset: str, requester: str) -> BudgetStatus:
        cap_e, spent_e, cap_d, spent_d = self._rows[(dataset, requester)]
        updated = self._updated[(dataset, requester)]
        return BudgetStatus.from_units(dataset, requester, cap_e, spent_e, cap_d, spent_d, updated)

    def charge(
        self,
        dataset: str,
        requester: str,
        eps: int,
        delta: int,
        event: dict[str, Any],
        *,
        conn: Connection | None = None,
    ) -> None:
        """As :meth:`Ledger.charge`; memory is not transactional, so a charge made inside a
        transaction that later rolls back stays spent (the safe direction)."""
        self.check_requester(requester)
        with self._lock:
            keys = [k for k in ((dataset, ALL_REQUESTERS), (dataset, requester)) if k in self._rows]
            if not keys:
                raise _no_budget(dataset)
            for key in dict.fromkeys(keys):
                cap_e, spent_e, cap_d, spent_d = self._rows[key]
                if spent_e + eps > cap_e or spent_d + delta > cap_d:
                    raise _exceeded(dataset, requester, eps, delta)
            for key in dict.fromkeys(keys):
                self._rows[key][1] += eps
                self._rows[key][3] += delta
                self._updated[key] = utc_iso(self._clock.now())


class StoreLedger(Ledger):
    """The workspace's persistent ledger (``ws.budgets``): caps and spending live in the store.

    Each charge and its ``dp.released`` audit event commit in one transaction, so every release in
    the log was paid for and every payment has its log entry.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        clock: Clock | None = None,
        *,
        requester: str | None = None,
        basis: str = "bound by the holder of the store",
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock or SystemClock()
        self._requester = None if requester is None else check_name(requester, "requester")
        self._basis = basis

    def __repr__(self) -> str:
        return f"StoreLedger({self._store!r}, requester={self._requester!r})"

    @property
    def requester(self) -> str | None:
        """The requester every charge of this ledger goes to (None: it charges no one)."""
        return self._requester

    @property
    def basis(self) -> str:
        """How the requester was established: ``"workspace department"``, ``"verified token …"``."""
        return self._basis

    def check_requester(self, requester: str) -> str:
        """*requester*, if it is the one this ledger is bound to.

        Raises:
            InputError: the ledger is bound to no requester (read and set caps only), or to
                another one.
        """
        if self._requester is None:
            raise InputError(
                "this StoreLedger is bound to no requester, so it charges no one: use ws.budgets "
                "(the workspace's department) or ws.dp(…, token=…, purpose=…)"
            )
        return super().check_requester(requester)

    def _set(self, dataset: str, requester: str, eps: int, delta: int) -> BudgetStatus:
        now = utc_iso(self._clock.now())
        where = and_(dp_budgets.c.dataset == dataset, dp_budgets.c.requester == requester)
        with self._store.transaction() as conn:
            changed = conn.execute(
                update(dp_budgets)
                .where(where)
                .values(epsilon_cap=eps, delta_cap=delta, updated_at=now)
            ).rowcount
            if not changed:
                conn.execute(
                    dp_budgets.insert().values(
                        dataset=dataset,
                        requester=requester,
                        epsilon_cap=eps,
                        epsilon_spent=0,
                        delta_cap=delta,
                        delta_spent=0,
                        updated_at=now,
                    )
                )
            status = _read(conn, where)[0]
            data = {  # exact: decimal strings and the ledger's integer units
                "dataset": dataset,
                "requester": requester,
                "epsilon_cap": epsilon_text(eps),
                "epsilon_cap_units": eps,
                "delta_cap": delta_text(delta),
                "delta_cap_units": delta,
            }
            self._audit.record("dp.budget.set", data, conn=conn)
        return status

    def show(self, dataset: str | None = None) -> BudgetReport:
        condition = dp_budgets.c.dataset == dataset if dataset is not None else None
        with self._store.read() as conn:
            return BudgetReport(_read(conn, condition))

    def charge(
        self,
        dataset: str,
        requester: str,
        eps: int,
        delta: int,
        event: dict[str, Any],
        *,
        conn: Connection | None = None,
    ) -> None:
        self.check_requester(requester)
        if conn is not None:
            # A savepoint, so a refused charge leaves nothing even if the caller carries on.
            with conn.begin_nested():
                self._charge(conn, dataset, requester, eps, delta, event)
            return
        with self._store.transaction() as own:
            self._charge(own, dataset, requester, eps, delta, event)

    def _charge(
        self,
        conn: Connection,
        dataset: str,
        requester: str,
        eps: int,
        delta: int,
        event: dict[str, Any],
    ) -> None:
        scopes = conn.execute(
            select(dp_budgets.c.requester).where(
                dp_budgets.c.dataset == dataset,
                dp_budgets.c.requester.in_([ALL_REQUESTERS, requester]),
            )
        ).scalars()
        scopes_found = sorted(set(scopes))
        if not scopes_found:
            raise _no_budget(dataset)
        now = utc_iso(self._clock.now())
        for scope in scopes_found:  # sorted, so concurrent charges lock rows in one order
            if not _charge_row(conn, dataset, scope, eps, delta, now):
                raise _exceeded(dataset, requester, eps, delta)
        self._audit.record("dp.released", event, actor=requester, conn=conn)


def _charge_row(conn: Connection, dataset: str, scope: str, eps: int, delta: int, now: str) -> bool:
    c = dp_budgets.c
    result = conn.execute(
        update(dp_budgets)
        .where(
            c.dataset == dataset,
            c.requester == scope,
            c.epsilon_spent + eps <= c.epsilon_cap,
            c.delta_spent + delta <= c.delta_cap,
        )
        .values(
            epsilon_spent=c.epsilon_spent + eps, delta_spent=c.delta_spent + delta, updated_at=now
        )
    )
    return result.rowcount == 1


def _read(conn: Connection, condition: Any) -> list[BudgetStatus]:
    query = select(dp_budgets).order_by(dp_budgets.c.dataset, dp_budgets.c.requester)
    if condition is not None:
        query = query.where(condition)
    return [
        BudgetStatus.from_units(
            r.dataset,
            r.requester,
            r.epsilon_cap,
            r.epsilon_spent,
            r.delta_cap,
            r.delta_spent,
            r.updated_at,
        )
        for r in conn.execute(query)
    ]
