"""Process entry point for the racing-budget test (importable by spawned children)."""

from __future__ import annotations

from govshare.audit import AuditLog
from govshare.dp import StoreLedger
from govshare.exceptions import BudgetExceeded
from govshare.storage import Store


def charge_until_refused(
    url: str, schema: str | None, origin: str, worker: int, eps_units: int, attempts: int
) -> int:
    """Try *attempts* charges of *eps_units* as worker *worker*; return how many were accepted."""
    store = Store.open(url, schema=schema, migrate=False)
    audit = AuditLog(store, origin=origin, actor=f"worker-{worker}")
    ledger = StoreLedger(store, audit, requester=f"worker-{worker}")
    accepted = 0
    for i in range(attempts):
        try:
            ledger.charge("race", f"worker-{worker}", eps_units, 0, {"worker": worker, "i": i})
            accepted += 1
        except BudgetExceeded:
            pass
    store.close()
    return accepted
