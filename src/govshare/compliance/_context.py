"""What every rule reads: the verified log, its anchors, events by type, records and ledger.

Everything is read through the packages' public read APIs, once, and shared by all rules. The
context never writes: the store may be opened read-only (``Store.open(read_only=True)``).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import select

from govshare.audit import (
    AuditLog,
    AuditRecord,
    SignedCheckpoint,
    VerifyReport,
    verify_consistency,
)
from govshare.compliance._policy import Policy
from govshare.consent import ConsentRecord, read_consent_records
from govshare.dp import BudgetStatus, StoreLedger
from govshare.exceptions import GovShareError, InputError, IntegrityError
from govshare.identifiers import shown
from govshare.storage import Store, workspace_meta

__all__ = ["CheckpointResult", "Context", "Progress", "read_meta"]

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as a check advances (for a progress bar)."""


@dataclass(frozen=True)
class CheckpointResult:
    """How one auditor-supplied checkpoint fared: consistent with the log now, or why not."""

    checkpoint: SignedCheckpoint
    ok: bool
    problem: str | None = None


class Context:
    """The shared, read-only view of one store that the rules examine.

    Args:
        store: the store (opened read-only by auditors).
        log: its audit log, bound to the public key the auditor trusts.
        policy: the thresholds.
        since, until: the period examined (``since <= time < until``); None for open ends.
        checkpoints: checkpoints the auditor kept or witnesses cosigned.
        event_types: every event type some rule reads (loaded in one pass).
    """

    def __init__(
        self,
        store: Store,
        log: AuditLog,
        *,
        policy: Policy,
        since: datetime | None,
        until: datetime | None,
        checkpoints: Sequence[SignedCheckpoint],
        event_types: Sequence[str],
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.policy = policy
        self.since = since
        self.until = until
        self.supplied = tuple(checkpoints)
        self._event_types = tuple(sorted(set(event_types)))
        self._progress = progress or (lambda stage, done, total: None)
        self.meta = read_meta(store)

    # -- the log ------------------------------------------------------------------------------

    @cached_property
    def verification(self) -> VerifyReport | GovShareError:
        """The full verification of the stored log, or the error that stopped it."""
        self._progress("verify", 0, 1)
        try:
            report = self.log.verify(key=self.log.verify_key)
        except (IntegrityError, InputError) as exc:
            return exc
        finally:
            self._progress("verify", 1, 1)
        return report

    @property
    def verified(self) -> VerifyReport | None:
        """The verification report when the log verified, else None."""
        found = self.verification
        return found if isinstance(found, VerifyReport) else None

    @cached_property
    def checkpoint_results(self) -> tuple[CheckpointResult, ...]:
        """Each supplied checkpoint checked: signed by the log's key, consistent with it now."""
        report = self.verified
        return tuple(self._check_supplied(cp, report) for cp in self.supplied)

    def _check_supplied(
        self, cp: SignedCheckpoint, report: VerifyReport | None
    ) -> CheckpointResult:
        if cp.origin != self.log.origin:
            return CheckpointResult(cp, False, f"it is a checkpoint of another log ({cp.origin})")
        try:
            cp.verify(self.log.verify_key)
        except GovShareError:
            return CheckpointResult(cp, False, "it is not signed by this log's key")
        if report is None:
            return CheckpointResult(cp, False, "the log itself does not verify")
        if cp.size > report.size:
            return CheckpointResult(
                cp, False, f"it covers {cp.size} entries but the log now has {report.size}"
            )
        try:
            proof = self.log.consistency_proof(cp.size, report.size)
            if not hmac.compare_digest(proof.root2, report.root):
                raise IntegrityError("the store served a proof for another root")
            verify_consistency(cp.size, report.size, proof.proof, cp.root_hash, report.root)
        except GovShareError:
            return CheckpointResult(
                cp,
                False,
                f"the log's first {cp.size} entries are not what it committed to: "
                "the history was rewritten",
            )
        return CheckpointResult(cp, True)

    @cached_property
    def anchor(self) -> SignedCheckpoint | None:
        """The largest verified checkpoint (supplied and consistent, or stored and verified)."""
        if self.verified is None:
            return None
        good = [r.checkpoint for r in self.checkpoint_results if r.ok]
        good += self.log.checkpoints()  # all verified (signature and root) by log.verify()
        return max(good, key=lambda c: c.size, default=None)

    # -- events -------------------------------------------------------------------------------

    @cached_property
    def _all_events(self) -> dict[str, list[AuditRecord]]:
        found: dict[str, list[AuditRecord]] = {t: [] for t in self._event_types}
        total = self.log.size()
        self._progress("scan", 0, total)
        done = 0
        for record in self.log.find(self._event_types):
            found[record.event.type].append(record)
            if record.seq - done >= 100_000:
                done = record.seq
                self._progress("scan", done, total)
        self._progress("scan", total, total)
        return found

    def events(self, type: str, *, whole_log: bool = False) -> list[AuditRecord]:
        """Entries of event *type* in the period (or in the whole log), oldest first.

        Raises:
            InputError: no registered rule declared *type* (add it to the rule's event_types).
        """
        if type not in self._all_events:
            raise InputError(f"event type {shown(type)} was not declared by any rule")
        records = self._all_events[type]
        if whole_log:
            return records
        return [r for r in records if self.in_period(r.event.time)]

    def in_period(self, when: datetime) -> bool:
        """Whether *when* lies in ``[since, until)``."""
        return (self.since is None or when >= self.since) and (
            self.until is None or when < self.until
        )

    # -- records and ledgers ------------------------------------------------------------------

    @cached_property
    def consent_records(self) -> list[ConsentRecord]:
        """Consent records granted in the period."""
        self._progress("consent", 0, 1)
        found = list(
            read_consent_records(self.store, granted_from=self.since, granted_until=self.until)
        )
        self._progress("consent", 1, 1)
        return found

    @cached_property
    def all_consent_ids(self) -> frozenset[str]:
        """The ids of every consent record in the store, whatever the period."""
        return frozenset(r.record_id for r in read_consent_records(self.store))

    @cached_property
    def budgets(self) -> list[BudgetStatus]:
        """Every cap of the store's DP ledger, as it stands now."""
        return list(StoreLedger(self.store, self.log).show())

    @property
    def controller(self) -> str:
        """The department that owns the store (the personal-information processor)."""
        return self.meta.get("department", "")


def read_meta(store: Store) -> dict[str, str]:
    with store.read() as conn:
        rows = conn.execute(select(workspace_meta.c.key, workspace_meta.c.value))
        return {str(k): str(v) for k, v in rows}
