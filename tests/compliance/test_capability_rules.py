"""Re-identification, DP and token rules: a passing store and a violating one for each."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from govshare import Workspace
from govshare.compliance import Policy, check
from govshare.testing import TEST_PASSPHRASE, FrozenClock
from tests.compliance._helpers import release_for, resident_id, reverify

IDS = pd.Series([resident_id(n) for n in range(5)])
FRAME = pd.DataFrame({"person": range(50), "district": ["east", "west"] * 25})


def _reidentify(ws: Workspace, actor: str) -> None:
    ps = ws.pseudonymiser(domain="hrss", scheme="aes-siv")
    ps.reidentify(ps.pseudonymise(IDS), reason="fraud case 2026-17", actor=actor)


def test_authorised_reidentification_passes(workspace: Workspace) -> None:
    """A re-identification with a reason by a listed principal passes."""
    _reidentify(workspace, "inspector-li")
    workspace.audit.checkpoint()
    finding = check(workspace, policy=Policy(reidentify_principals=("inspector-li",))).finding(
        "pseudonym-reidentification-authorised"
    )
    assert finding.status == "pass"
    assert finding.checked == 1


def test_unauthorised_or_unexplained_reidentification_fails(workspace: Workspace) -> None:
    """An actor outside the principals, and an event logged without a reason, are both named."""
    _reidentify(workspace, "intern-wang")
    workspace.audit.record("pseudonym.reidentified", {"domain": "hrss", "count": 3, "reason": " "})
    workspace.audit.checkpoint()
    report = check(workspace, policy=Policy(reidentify_principals=("inspector-li",)))
    finding = report.finding("pseudonym-reidentification-authorised")
    assert finding.status == "fail"
    assert finding.violations == 2
    assert {e.note.en for e in finding.evidence} == {
        "actor intern-wang is not an authorised principal",
        "re-identification without a reason",
    }
    assert len(reverify(report, "pseudonym-reidentification-authorised")) == 2


def _release(ws: Workspace, requester: str = "hrss") -> None:
    release_for(ws, FRAME, requester, epsilon=0.25, dataset="income-2026")


def test_charged_releases_within_cap_pass(workspace: Workspace) -> None:
    """Releases charged to their caps: both DP rules pass and the chart data is there."""
    workspace.budgets.set("income-2026", epsilon=1.0)
    _release(workspace)
    _release(workspace, "mca")
    workspace.audit.checkpoint()
    report = check(workspace)
    assert report.finding("dp-within-cap").status == "pass"
    assert report.finding("dp-release-charged").status == "pass"
    assert report.releases_per_recipient == {"hrss": 1, "mca": 1}
    assert [p.epsilon for p in report.budget_use] == [0.25, 0.5]


def test_overspent_cap_fails(sqlite_workspace: Workspace) -> None:
    """A cap lowered below what was spent, in the database, is found (ledger and logged cap)."""
    ws = sqlite_workspace
    ws.budgets.set("income-2026", epsilon=1.0)
    _release(ws)
    _release(ws)
    with ws.store.transaction() as conn:
        conn.execute(text("UPDATE dp_budgets SET epsilon_cap = 300000"))
    ws.audit.checkpoint()
    finding = check(ws).finding("dp-within-cap")
    assert finding.status == "fail"
    assert "income-2026 / *" in finding.items
    assert any("differs from the logged" in e.note.en for e in finding.evidence)


def test_uncharged_release_fails(sqlite_workspace: Workspace) -> None:
    """A release logged without a charge, and a charge undone in the database, are both found."""
    ws = sqlite_workspace
    ws.budgets.set("income-2026", epsilon=1.0)
    _release(ws)
    ws.audit.record("dp.released", {"dataset": "other-set", "epsilon": 0.5, "delta": 0.0})
    with ws.store.transaction() as conn:
        conn.execute(text("UPDATE dp_budgets SET epsilon_spent = 0"))
    ws.audit.checkpoint()
    report = check(ws)
    finding = report.finding("dp-release-charged")
    assert finding.status == "fail"
    assert finding.violations == 2
    notes = " | ".join(e.note.en for e in finding.evidence)
    assert "had no cap to charge" in notes
    assert "went uncharged" in notes
    assert len(reverify(report, "dp-release-charged")) == 2


def test_short_lived_tokens_pass_and_long_ones_fail(workspace: Workspace) -> None:
    """A one-hour token passes; a sixty-day token breaks a thirty-day policy and is named."""
    issue = workspace.tokens.issue
    issue(
        audience="hrss",
        purpose="subsidy-eligibility",
        categories=["identity"],
        ttl=timedelta(hours=1),
    )
    workspace.audit.checkpoint()
    assert check(workspace).finding("tokens-lifetime").status == "pass"
    issue(
        audience="hrss",
        purpose="subsidy-eligibility",
        categories=["identity"],
        ttl=timedelta(days=60),
    )
    workspace.audit.checkpoint()
    report = check(workspace, policy=Policy(max_token_lifetime=timedelta(days=30)))
    finding = report.finding("tokens-lifetime")
    assert finding.status == "fail"
    assert finding.violations == 1
    assert finding.checked == 2
    assert "60 days" in finding.evidence[0].note.en
    assert reverify(report, "tokens-lifetime")


def test_old_signing_key_fails(workspace: Workspace, clock: FrozenClock) -> None:
    """A key that signs past the rotation age is named; after rotation the new key passes."""
    issue = workspace.tokens.issue
    issue(
        audience="hrss",
        purpose="subsidy-eligibility",
        categories=["identity"],
        ttl=timedelta(hours=1),
    )
    workspace.audit.checkpoint()
    assert check(workspace).finding("tokens-signing-key").status == "pass"
    clock.advance(days=400)
    issue(
        audience="hrss",
        purpose="subsidy-eligibility",
        categories=["identity"],
        ttl=timedelta(hours=1),
    )
    workspace.audit.checkpoint()
    report = check(workspace, policy=Policy(key_rotation_age=timedelta(days=365)))
    finding = report.finding("tokens-signing-key")
    assert finding.status == "fail"
    assert finding.violations == 1
    assert "old when it signed" in finding.evidence[0].note.en
    assert reverify(report, "tokens-signing-key")


def test_signing_with_a_rotated_out_key_fails(tmp_path: Path, clock: FrozenClock) -> None:
    """A token signed with v1 after v2 was in use (a restored key-file backup) is named."""
    from govshare.testing import temporary_workspace

    ws = temporary_workspace(tmp_path, clock=clock)
    issue = {
        "audience": "hrss",
        "purpose": "subsidy-eligibility",
        "categories": ["identity"],
        "ttl": timedelta(hours=1),
    }
    ws.tokens.issue(**issue)
    backup = tmp_path / "backup.keys"
    keys = tmp_path / "govshare.keys"
    shutil.copy(keys, backup)
    ws.keys.rotate("token-signing")
    clock.advance(seconds=10)
    ws.close()
    ws = Workspace.open(
        f"sqlite:///{tmp_path / 'govshare.db'}",
        passphrase=TEST_PASSPHRASE,
        key_file=keys,
        clock=clock,
    )
    ws.tokens.issue(**issue)  # signed by v2
    ws.close()
    ws = Workspace.open(
        f"sqlite:///{tmp_path / 'govshare.db'}",
        passphrase=TEST_PASSPHRASE,
        key_file=backup,
        clock=clock,
    )
    clock.advance(seconds=10)
    ws.tokens.issue(**issue)  # v1 again, from the old backup
    ws.audit.checkpoint()
    finding = check(ws).finding("tokens-signing-key")
    ws.close()
    assert finding.status == "fail"
    assert finding.violations == 1
    assert "newer version v2" in finding.evidence[0].note.en
