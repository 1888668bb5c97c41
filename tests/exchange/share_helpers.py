"""Helpers for the share / receive tests: residents with consents, tokens, store counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from govshare import Workspace
from govshare.exchange._tables import exchange_agreements, exchange_releases
from govshare.identifiers import check_character
from govshare.tokens._tables import token_state
from tests.exchange.conftest import CASE, PRINCIPAL, PURPOSE, Pair


def resident_id(n: int, *, born: str = "19800101") -> str:
    """A valid resident ID number (area 110101, birth date *born*, sequence *n*)."""
    body = f"110101{born}{n % 1000:03d}"
    return body + check_character(body)


@dataclass
class Residents:
    """A frame of residents and which of them should be released."""

    frame: pd.DataFrame
    consented: list[str]
    withdrawn: list[str]
    minors: list[str]
    without: list[str]


def residents(pair: Pair, n: int = 12) -> Residents:
    """*n* residents at the provider: most consented, two withdrawn, two with no record, a
    minor whose guardian consented, plus a malformed and a missing ID row."""
    ws = pair.provider
    ids = [resident_id(i) for i in range(n)]
    minor = resident_id(900, born="20200101")
    consented, withdrawn, without = ids[: n - 4], ids[n - 4 : n - 2], ids[n - 2 :]
    for subject in consented + withdrawn:
        record = ws.consents.grant(
            subject, recipient="hrss", purposes=[PURPOSE], categories=["identity", "income"]
        )
        if subject in withdrawn:
            ws.consents.withdraw(record.record_id)
    ws.consents.grant(
        minor, recipient="hrss", purposes=[PURPOSE], categories=["identity", "income"],
        minor=True, guardian=resident_id(901, born="19900101"),
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "id_number": [*ids, minor, "110101198001010000", None],
            "income": [1000 * (i + 1) for i in range(n + 3)],
            "district": ["海淀区"] * (n + 3),
            "notes": ["internal"] * (n + 3),
        }
    )
    return Residents(frame, consented, withdrawn, [minor], without)


def token(pair: Pair, agreement: str, **overrides: Any) -> str:
    """A token from the requester under *agreement*, for identity and income."""
    args: dict[str, Any] = {
        "audience": "civil-affairs",
        "purpose": PURPOSE,
        "categories": ["identity", "income"],
        "ttl": timedelta(days=1),
        "agreement": agreement,
        "case_ref": CASE,
        "principal": PRINCIPAL,
    }
    args.update(overrides)
    return pair.requester.tokens.issue(**args)


def counts(ws: Workspace) -> dict[str, int]:
    """What a release charges or writes: token uses, agreement counters, releases, audit size."""
    with ws.store.read() as conn:
        uses = conn.execute(select(func.coalesce(func.sum(token_state.c.uses), 0))).scalar_one()
        releases = conn.execute(select(func.count()).select_from(exchange_releases)).scalar_one()
        charged = conn.execute(
            select(
                func.coalesce(func.sum(exchange_agreements.c.releases), 0),
                func.coalesce(func.sum(exchange_agreements.c.rows), 0),
            )
        ).one()
    return {
        "uses": int(uses),
        "releases": int(releases),
        "agreement_releases": int(charged[0]),
        "agreement_rows": int(charged[1]),
        "audit": ws.audit.size(),
    }
