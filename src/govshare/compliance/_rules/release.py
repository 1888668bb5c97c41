"""Rules over releases (``ws.share()`` / ``ws.receive()``): token and agreement, lawful basis,
retention.

Everything is read through the exchange's and the consent registry's public read APIs
(:func:`~govshare.exchange.read_releases`, :func:`~govshare.exchange.read_agreements`,
:func:`~govshare.exchange.read_release_subjects`, :func:`~govshare.exchange.read_deletions`,
:func:`~govshare.consent.read_consent_records`) and the audit events of the verified log; the
state of an agreement or a consent at a release instant is replayed from the log, not taken
from the store's current status. Each violation names the release's own log entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from govshare._clock import SystemClock
from govshare.audit import AuditRecord
from govshare.compliance._context import Context
from govshare.compliance._model import Text
from govshare.compliance._registry import Outcome, Violation, rule
from govshare.compliance._rules._cite import gdpr, guide, measures2016, pipl, regulation2025, t
from govshare.consent import read_consent_records
from govshare.exchange import (
    DEFAULT_RETENTION_DAYS,
    DataSharingAgreement,
    ReleaseRecord,
    read_agreements,
    read_catalogue,
    read_deletions,
    read_release_subjects,
    read_releases,
    terms_digest,
)

__all__ = ["lawful_basis", "retention", "token_valid"]

SHARED = "release.shared"
RECEIVED = "release.received"
DELETED = "release.deleted"
ACCEPTED = "token.accepted"
REVOKED = "token.revoked"
COUNTERSIGNED = "agreement.countersigned"
CHANGES = ("agreement.suspended", "agreement.resumed", "agreement.terminated")
WITHDRAWN = "consent.withdrawn"
RENEWED = "consent.renewed"
_RELEASABLE = ("release", "pseudonymise")
_MINOR = "minor-information"  # the vocabulary's category of a minor's information (PIPL Art. 31)
_NONE = t("审计期间本存储没有提供数据。", "This store released no data in the period.")


def _by_release(records: Iterable[AuditRecord]) -> dict[str, AuditRecord]:
    out: dict[str, AuditRecord] = {}
    for record in records:
        release_id = record.event.data.get("release_id")
        if isinstance(release_id, str):
            out.setdefault(release_id, record)
    return out


def _sent(ctx: Context) -> tuple[list[ReleaseRecord], dict[str, AuditRecord]]:
    """Every release this store sent, in log order, and each one's ``release.shared`` entry."""
    sent = sorted(read_releases(ctx.store, side="provider"), key=lambda r: r.audit_index)
    return sent, _by_release(ctx.events(SHARED, whole_log=True))


def _finish(checked: int, violations: list[Violation], what: Text) -> Outcome:
    if violations:
        releases = len({v.item for v in violations})
        return Outcome(
            "fail",
            t(
                f"{checked} 次{what.zh}中有 {releases} 次不符合要求（{len(violations)} 处问题）。",
                f"{releases} of {checked} {what.en} break the rule ({len(violations)} problem(s)).",
            ),
            checked=checked,
            violations=tuple(violations),
        )
    return Outcome(
        "pass",
        t(f"{checked} 次{what.zh}均符合要求。", f"All {checked} {what.en} comply."),
        checked=checked,
    )


# -- release-token-valid -------------------------------------------------------------------------


def _agreement_events(ctx: Context) -> dict[str, list[tuple[int, str]]]:
    """Per agreement, its provider-side status events (sequence number, type), oldest first."""
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for type_ in (COUNTERSIGNED, *CHANGES):
        for record in ctx.events(type_, whole_log=True):
            data = record.event.data
            if data.get("side", "provider") == "provider":
                out[str(data.get("agreement_id"))].append((record.seq, type_))
    for events in out.values():
        events.sort()
    return out


def _inactive(
    agreement: DataSharingAgreement, events: list[tuple[int, str]], seq: int, when: datetime
) -> Text | None:
    """Why *agreement* was not active at log position *seq* / instant *when*, or None."""
    terms = agreement.terms
    if not terms.effective_from <= when < terms.expires_at:
        return t(
            "提供时协议不在有效期内",
            f"released outside the agreement's term ({terms.effective_from:%Y-%m-%d} to "
            f"{terms.expires_at:%Y-%m-%d})",
        )
    before = [type_ for s, type_ in events if s < seq]
    if COUNTERSIGNED not in before:
        return t("提供时协议尚未经接收方会签", "released before the requester countersigned")
    changes = [type_ for type_ in before if type_ in CHANGES]
    if changes and changes[-1] != "agreement.resumed":
        state = changes[-1].removeprefix("agreement.")
        state_zh = "已暂停" if state == "suspended" else "已终止"
        return t(f"提供时协议{state_zh}", f"released while the agreement was {state}")
    return None


def _token_problem(
    accepted: Iterable[AuditRecord],
    revoked: Iterable[AuditRecord],
    release: ReleaseRecord,
    purpose: str,
    seq: int,
) -> Text | None:
    """None if a ``token.accepted`` entry for the release's token and agreement precedes it and
    no ``token.revoked`` entry for the token does."""
    if any(entry.seq < seq for entry in revoked):
        return t(
            f"令牌 {release.token_jti} 在提供前已被撤销",
            f"token {release.token_jti} was revoked before the release",
        )
    for entry in accepted:
        data = entry.event.data
        if (
            entry.seq < seq
            and data.get("agreement") == release.agreement_id
            and data.get("audience") == release.provider
            and data.get("purpose") == purpose
        ):
            return None
    return t(
        f"提供前日志中没有令牌 {release.token_jti} 针对该协议的验证记录",
        f"no verification of token {release.token_jti} for this agreement precedes the release",
    )


def _release_problems(
    release: ReleaseRecord,
    entry: AuditRecord,
    agreement: DataSharingAgreement,
    share: str | None,
    events: list[tuple[int, str]],
    accepted: Iterable[AuditRecord],
    revoked: Iterable[AuditRecord],
    used: tuple[int, int, int],
) -> list[Text]:
    terms, data = agreement.terms, entry.event.data
    problems: list[Text] = []
    if agreement.side != "provider":
        problems.append(t("本部门不是该协议的提供方", "this department is not the provider"))
    if terms.version != release.agreement_version or data.get("agreement_version") != terms.version:
        problems.append(t("协议版本不一致", "released under another version of the agreement"))
    if data.get("terms_sha256") != terms_digest(terms):
        problems.append(t("协议条款摘要不一致", "the logged terms digest is not the agreement's"))
    if (
        data.get("jti") != release.token_jti
        or data.get("rows") != release.rows
        or data.get("columns") != [c.name for c in release.columns]
    ):
        problems.append(
            t("提供记录与其日志条目不一致", "the release record and its entry disagree")
        )
    inactive = _inactive(agreement, events, entry.seq, release.released_at)
    if inactive is not None:
        problems.append(inactive)
    if release.purpose != terms.purpose or data.get("purpose") != terms.purpose:
        problems.append(
            t(
                f"目的 {release.purpose} 不是协议约定的目的 {terms.purpose}",
                f"purpose {release.purpose} is not the agreement's ({terms.purpose})",
            )
        )
    granted = {c.name: c for c in terms.columns}
    # a DP release (ws.share_aggregates, logged with its epsilon) may read aggregate-only columns
    releasable = (*_RELEASABLE, "aggregate-only") if "epsilon_units" in data else _RELEASABLE
    outside = [
        c.name
        for c in release.columns
        if (g := granted.get(c.name)) is None
        or g.category != c.category
        or g.treatment != c.treatment
        or g.treatment not in releasable
    ]
    if outside:
        problems.append(
            t(
                f"提供了协议未授权的字段：{outside}",
                f"columns the agreement does not grant: {outside}",
            )
        )
    if share is None:
        problems.append(
            t("存储中没有协议所依据的目录项", "the agreement's catalogue item is missing")
        )
    elif share == "not-shared":
        problems.append(t("提供了不予共享的数据项", "released a not-shared catalogue item"))
    principal = data.get("principal")
    if principal not in terms.principals.requester:
        problems.append(
            t(
                f"主体 {principal} 不在协议授权的主体中",
                f"principal {principal} is not among the agreement's principals",
            )
        )
    releases, rows, epsilon_units = used
    limits = terms.limits
    if limits.epsilon is not None and epsilon_units > round(limits.epsilon * 1_000_000):
        problems.append(
            t(
                f"累计 epsilon {epsilon_units / 1e6:g} 超过协议的 {limits.epsilon:g}",
                f"epsilon {epsilon_units / 1e6:g} in total exceeds the agreement's "
                f"{limits.epsilon:g}",
            )
        )
    if limits.max_releases is not None and releases > limits.max_releases:
        problems.append(
            t(
                f"第 {releases} 次提供超过协议的 {limits.max_releases} 次上限",
                f"release {releases} exceeds the agreement's {limits.max_releases}",
            )
        )
    if limits.max_rows is not None and rows > limits.max_rows:
        problems.append(
            t(
                f"累计 {rows} 行超过协议的 {limits.max_rows} 行上限",
                f"{rows} rows in total exceed the agreement's {limits.max_rows}",
            )
        )
    token = _token_problem(accepted, revoked, release, terms.purpose, entry.seq)
    if token is not None:
        problems.append(token)
    return problems


@rule(
    "release-token-valid",
    family="release",
    title=t(
        "每次数据提供都依据当时有效、绑定生效协议的令牌",
        "Every release rested on a valid token bound to an active agreement",
    ),
    explanation=t(
        "每次 share() 都必须依据当时有效的令牌，令牌绑定一份生效的共享协议，且在其目的、字段、主体和限额之内；"
        "不得提供不予共享的数据项。",
        "Every share() must rest on a token valid at that instant, bound to an active agreement, "
        "within its purpose, columns, principals and limits; no release of a not-shared item.",
    ),
    articles=(
        pipl("Art. 6"),
        pipl("Art. 34"),
        guide(15),
        regulation2025("scope of use of shared data"),
        measures2016("Art. 9"),
        gdpr("Art. 5(1)(b)", certain=False),
    ),
    guide_items=(15, 8),
    severity="critical",
    event_types=(SHARED, ACCEPTED, REVOKED, COUNTERSIGNED, *CHANGES),
)
def token_valid(ctx: Context) -> Outcome:
    """Each sent release: agreement active and matching, within its terms, after a token check."""
    sent, shared = _sent(ctx)
    agreements = {a.id: a for a in read_agreements(ctx.store)}
    shares = {(i.provider, i.item_id, i.version): i.share for i in read_catalogue(ctx.store)}
    history = _agreement_events(ctx)
    accepted: dict[str, list[AuditRecord]] = defaultdict(list)
    for verified in ctx.events(ACCEPTED, whole_log=True):
        accepted[str(verified.event.data.get("jti"))].append(verified)
    revoked: dict[str, list[AuditRecord]] = defaultdict(list)
    for revocation in ctx.events(REVOKED, whole_log=True):
        revoked[str(revocation.event.data.get("jti"))].append(revocation)
    used: dict[str, tuple[int, int, int]] = {}
    checked, violations = 0, []
    for release in sent:  # in log order: the limits are counted over the whole history
        entry = shared.get(release.release_id)
        count, rows, epsilon = used.get(release.agreement_id, (0, 0, 0))
        spent = entry.event.data.get("epsilon_units", 0) if entry is not None else 0
        used[release.agreement_id] = (
            count + 1,
            rows + release.rows,
            epsilon + (spent if isinstance(spent, int) else 0),
        )
        if not ctx.in_period(release.released_at):
            continue
        checked += 1
        if entry is None:
            note = t(
                "提供记录没有 release.shared 日志条目", "the release has no release.shared entry"
            )
            violations.append(Violation(note, item=release.release_id))
            continue
        agreement = agreements.get(release.agreement_id)
        if agreement is None:
            note = t("存储中没有该提供所依据的协议", "the release's agreement is not in the store")
            violations.append(Violation(note, record=entry, item=release.release_id))
            continue
        terms = agreement.terms
        problems = _release_problems(
            release,
            entry,
            agreement,
            shares.get((terms.provider, terms.item_id, terms.item_version)),
            history.get(release.agreement_id, []),
            accepted.get(release.token_jti, []),
            revoked.get(release.token_jti, []),
            used[release.agreement_id],
        )
        violations += [Violation(p, record=entry, item=release.release_id) for p in problems]
    if not checked:
        return Outcome("not-applicable", _NONE)
    return _finish(checked, violations, t("数据提供", "releases"))


# -- release-lawful-basis ------------------------------------------------------------------------

# The registry's rules, in its order (a record failing rule i reached step i; the furthest
# record decides, so the most specific reason is named).
_STEPS: tuple[Text, ...] = (
    t("没有给该接收方的同意", "no consent for this recipient"),
    t("同意不涵盖该目的", "consent does not cover the purpose"),
    t("未成年人没有监护人同意", "a minor without a guardian's consent"),
    t("同意不涵盖所提供的类别", "consent does not cover the released categories"),
    t("提供时同意已撤回", "released after the consent was withdrawn"),
    t("提供时同意已过期", "released after the consent expired"),
    t("敏感信息或向他方提供没有单独同意", "sensitive data or provision without separate consent"),
)
_ALLOWED = len(_STEPS)
_NO_RECORD = t("提供时没有同意记录", "no consent record at release time")


def _micros(when: datetime) -> int:
    return int(pd.Timestamp(when).value // 1000)


def _consent_state(ctx: Context) -> pd.DataFrame:
    """Every consent record, with its withdrawal time and its renewals (from the log)."""
    records = list(read_consent_records(ctx.store))
    withdrawn: dict[str, int] = {}
    for entry in ctx.events(WITHDRAWN, whole_log=True):
        data = entry.event.data
        at = data.get("at")
        when = datetime.fromisoformat(at) if isinstance(at, str) else entry.event.time
        withdrawn.setdefault(str(data.get("record_id")), _micros(when))
    return pd.DataFrame(
        {
            "record_id": [r.record_id for r in records],
            "subject": [r.subject for r in records],
            "recipient": [r.recipient for r in records],
            "purposes": ["|" + "|".join(r.purposes) + "|" for r in records],
            "categories": ["|" + "|".join(r.categories) + "|" for r in records],
            "consent": [r.legal_basis == "consent" for r in records],
            "separate": [r.separate for r in records],
            "minor": [r.minor for r in records],
            "guardian": [r.guardian is not None for r in records],
            "granted_us": np.array([_micros(r.granted_at) for r in records], dtype=np.int64),
            "expires_us": np.array(
                [-1 if r.expires_at is None else _micros(r.expires_at) for r in records],
                dtype=np.int64,
            ),
            "withdrawn_us": np.array(
                [withdrawn.get(r.record_id, -1) for r in records], dtype=np.int64
            ),
        }
    )


def _renewals(ctx: Context) -> pd.DataFrame:
    rows = []
    for entry in ctx.events(RENEWED, whole_log=True):
        data = entry.event.data
        expires = data.get("expires_at")
        rows.append(
            (
                str(data.get("record_id")),
                _micros(entry.event.time),
                -1 if not isinstance(expires, str) else _micros(datetime.fromisoformat(expires)),
            )
        )
    return pd.DataFrame(rows, columns=["record_id", "at_us", "new_expires_us"])


def _steps(
    state: pd.DataFrame, renewals: pd.DataFrame, release: ReleaseRecord, at_us: int
) -> pd.DataFrame:
    """Each record's step for *release* at *at_us* (records granted by then)."""
    state = state[state["granted_us"] <= at_us].copy()
    done = renewals[renewals["at_us"] <= at_us].sort_values("at_us", kind="stable")
    latest = done.drop_duplicates("record_id", keep="last").set_index("record_id")
    renewed = state["record_id"].map(latest["new_expires_us"])
    expires = np.where(renewed.notna(), renewed.fillna(-1), state["expires_us"]).astype(np.int64)
    covered = np.ones(len(state), dtype=np.bool_)
    for category in sorted({c.category for c in release.columns}):
        covered &= state["categories"].str.contains(f"|{category}|", regex=False).to_numpy(bool)
    consent = state["consent"].to_numpy(bool)
    minor = state["minor"].to_numpy(bool) | (_MINOR in {c.category for c in release.columns})
    withdrawn = state["withdrawn_us"].to_numpy(np.int64)
    conditions = [
        (state["recipient"] != release.requester).to_numpy(bool),
        ~state["purposes"].str.contains(f"|{release.purpose}|", regex=False).to_numpy(bool),
        consent & minor & ~state["guardian"].to_numpy(bool),
        ~covered,
        (withdrawn >= 0) & (withdrawn <= at_us),
        (expires >= 0) & (expires <= at_us),
        consent & ~state["separate"].to_numpy(bool),  # every release provides to another party
    ]
    steps = np.select(conditions, list(range(len(conditions))), default=_ALLOWED)
    return pd.DataFrame({"subject": state["subject"].to_numpy(), "step": steps})


@rule(
    "release-lawful-basis",
    family="release",
    title=t(
        "每个被提供的个人在提供时都有合法性基础",
        "Every released subject had a lawful basis at release time",
    ),
    explanation=t(
        "提供时每一行都有对该接收方、目的和类别有效的同意（未撤回、未过期）或法定依据；敏感信息和向他方"
        "提供有单独同意；未成年人有监护人同意。",
        "At release time each row had consent for that recipient, purpose and categories (not "
        "withdrawn, not expired) or a statutory basis; sensitive data and provision had separate "
        "consent; minors a guardian's consent.",
    ),
    articles=(
        pipl("Art. 13"),
        pipl("Art. 15"),
        pipl("Art. 23"),
        pipl("Art. 29"),
        pipl("Art. 31"),
        guide(1),
        guide(2),
        guide(8),
        gdpr("Art. 6(1)"),
    ),
    guide_items=(1, 2, 8, 13, 14),
    severity="critical",
    event_types=(SHARED, WITHDRAWN, RENEWED),
)
def lawful_basis(ctx: Context) -> Outcome:
    """Re-decide every released subject with the consent records as of the release instant."""
    sent, shared = _sent(ctx)
    sent = [r for r in sent if ctx.in_period(r.released_at)]
    if not sent:
        return Outcome("not-applicable", _NONE)
    state: pd.DataFrame | None = None
    renewals: pd.DataFrame | None = None
    violations = []
    for release in sent:
        entry = shared.get(release.release_id)
        subjects = read_release_subjects(ctx.store, release.release_id)
        if subjects is None:
            if release.rows:
                note = t("提供记录没有记录被提供的个人", "the release does not record its subjects")
                violations.append(Violation(note, record=entry, item=release.release_id))
            continue
        by_consent = subjects.loc[subjects["basis"] != "statutory-basis", "subject"]
        if len(by_consent) == 0:  # statutory-basis rows rest on a declared basis, not consent
            continue
        if state is None or renewals is None:
            state, renewals = _consent_state(ctx), _renewals(ctx)
        steps = _steps(state, renewals, release, _micros(release.released_at))
        best = steps.groupby("subject")["step"].max()
        found = best.reindex(pd.Index(by_consent.unique())).fillna(-1).astype(np.int64)
        failing = found[found != _ALLOWED]
        counts = failing.value_counts().sort_index()
        for step, n in zip(counts.index.to_numpy(np.int64), counts.to_numpy(), strict=True):
            why = _NO_RECORD if step < 0 else _STEPS[int(step)]
            note = t(f"{n} 人：{why.zh}", f"{n} subject(s): {why.en}")
            violations.append(Violation(note, record=entry, item=release.release_id))
    return _finish(len(sent), violations, t("数据提供", "releases"))


# -- release-retention ---------------------------------------------------------------------------


@rule(
    "release-retention",
    family="release",
    title=t(
        "超过协议保存期限的数据有删除证明",
        "Data kept past an agreement's retention has a deletion attestation",
    ),
    explanation=t(
        "协议保存期限（加上策略的 retention_grace）届满后，接收方必须出具删除证明。",
        "Once an agreement's retention (plus the policy's retention_grace) has passed, the "
        "recipient must attest deletion.",
    ),
    articles=(
        pipl("Art. 19"),
        pipl("Art. 47"),
        guide(4),
        regulation2025("retention and destruction of shared data"),
        gdpr("Art. 5(1)(e)"),
    ),
    guide_items=(4, 17),
    severity="high",
    event_types=(RECEIVED, DELETED),
)
def retention(ctx: Context) -> Outcome:
    """Every received release past its retention (at ``until`` or now) has a timely attestation."""
    at = ctx.until or SystemClock().now()
    held = [
        r
        for r in read_releases(ctx.store, side="requester")
        if (r.received_at or r.released_at) < at
    ]
    if not held:
        return Outcome(
            "not-applicable",
            t("本存储没有接收过数据。", "This store has received no released data."),
        )
    days = {a.id: a.terms.retention_days for a in read_agreements(ctx.store)}
    attested = {d.release_id: d for d in read_deletions(ctx.store)}
    received = _by_release(
        e for e in ctx.events(RECEIVED, whole_log=True) if not e.event.data.get("duplicate")
    )
    deleted = _by_release(ctx.events(DELETED, whole_log=True))
    violations, due = [], 0
    for release in held:
        start = release.received_at or release.released_at
        kept_for = days.get(release.agreement_id, DEFAULT_RETENTION_DAYS)
        ends = start + timedelta(days=kept_for) + ctx.policy.retention_grace
        attestation = attested.get(release.release_id)
        entry = received.get(release.release_id)
        if attestation is not None and release.release_id not in deleted:
            note = t("删除证明没有 release.deleted 日志条目", "the attestation has no log entry")
            violations.append(Violation(note, record=entry, item=release.release_id))
        if ends >= at:
            continue
        due += 1
        end = f"{ends:%Y-%m-%d}"
        if attestation is None:
            note = t(
                f"保存期限已于 {end} 届满，没有删除证明",
                f"retention ended {end}; no deletion attested",
            )
            violations.append(Violation(note, record=entry, item=release.release_id))
        elif attestation.deleted_at > ends:
            late = (attestation.deleted_at - ends).days
            note = t(
                f"保存期限于 {end} 届满，{late} 天后才删除",
                f"retention ended {end}; deleted {late} day(s) later",
            )
            record = deleted.get(release.release_id, entry)
            violations.append(Violation(note, record=record, item=release.release_id))
    if violations:
        return _finish(len(held), violations, t("接收的数据提供", "received releases"))
    return Outcome(
        "pass",
        t(
            f"{len(held)} 次接收的数据中，{due} 次保存期限已届满，均有按期删除证明；其余仍在保存期内。",
            f"Of {len(held)} received releases, {due} are past their retention and all have a "
            "timely deletion attestation; the rest are still within it.",
        ),
        checked=len(held),
    )
