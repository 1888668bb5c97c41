"""Helpers for the compliance tests: IDs, grants, and an independent re-verification of evidence."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pandas as pd

from govshare import Workspace
from govshare.audit import SignedCheckpoint, parse_verifier_key, verify_inclusion
from govshare.compliance import Report
from govshare.dp import Query, StoreLedger
from govshare.identifiers import check_character


def resident_id(n: int, *, year: int = 1990) -> str:
    """The *n*-th synthetic resident ID number with a correct GB 11643 check character."""
    body = f"110101{year}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + check_character(body)


def grant(ws: Workspace, n: int, **overrides: Any) -> str:
    """Grant a compliant consent for subject *n* to hrss; returns the record id."""
    fields: dict[str, Any] = {
        "recipient": "hrss",
        "purposes": ["subsidy-eligibility"],
        "categories": ["identity"],
        "impact_assessment": "pia-2026-001",
    }
    fields.update(overrides)
    return ws.consents.grant(resident_id(n), **fields).record_id


def release_for(
    ws: Workspace, frame: pd.DataFrame, requester: str, *, epsilon: float, dataset: str
) -> None:
    """A count by district charged to *requester*, through a ledger bound to it as a store holder
    (in production the requester comes from ``ws.dp(…, token=…)``; the rules only see the log)."""
    ledger = StoreLedger(ws.store, ws.audit, ws.clock, requester=requester)
    with Query(
        frame, privacy_unit="person", dataset=dataset, ledger=ledger, requester=requester
    ) as q:
        q.count(by="district", keys=["east", "west"], epsilon=epsilon)


def reverify(report: Report, rule: str) -> list[int]:
    """Re-verify every evidence entry of *rule* from the report's JSON alone; return the indexes.

    Checks, without govshare's store: the anchor note is signed by the report's log key; each
    entry's leaf hash is SHA-256(0x00 || entry); its inclusion proof leads to the anchor's root
    (or, for entries after the anchor, to the verified head the report states).
    """
    doc = json.loads(report.to_json())
    name, key = parse_verifier_key(doc["log_key"])
    anchor = doc["anchor"]
    if anchor is not None:
        SignedCheckpoint.from_text_unverified(anchor["note"]).verify(key, name=name)
    (finding,) = [f for f in doc["findings"] if f["rule"] == rule]
    indexes = []
    for e in finding["evidence"]:
        proof = e["proof"]
        leaf = hashlib.sha256(b"\x00" + e["entry"].encode("utf-8")).digest()
        assert base64.b64decode(proof["leaf_hash"]) == leaf
        root = base64.b64decode(proof["root"])
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        verify_inclusion(leaf, e["index"], proof["size"], hashes, root)
        if e["anchor"] == "checkpoint":
            assert proof["size"] == anchor["size"]
            assert hmac.compare_digest(root, base64.b64decode(anchor["root"]))
        else:
            assert e["anchor"] == "head"
            assert hmac.compare_digest(root, base64.b64decode(doc["log_root"]))
        assert json.loads(e["entry"])["seq"] == e["index"]
        indexes.append(e["index"])
    return indexes
