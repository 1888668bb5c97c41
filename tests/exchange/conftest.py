"""Fixtures for the exchange tests: a providing department on each backend, a requesting one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from govshare import Workspace
from govshare.exchange import CatalogueItem, SignedDocument
from govshare.exchange._tables import (
    exchange_agreements,
    exchange_catalogue,
    exchange_documents,
    exchange_requests,
)
from govshare.testing import FrozenClock, temporary_workspace

ITEM = "low-income-households"
PURPOSE = "subsidy-eligibility"
CASE = "人社补〔2026〕42号"
PRINCIPAL = "zhang.wei@hrss"
VALID_UNTIL = datetime(2026, 12, 31, tzinfo=UTC)
TABLES = (exchange_documents, exchange_catalogue, exchange_requests, exchange_agreements)


def item_fields(**overrides: Any) -> dict[str, Any]:
    """A conditional catalogue item of civil affairs, with Chinese text in every free-text field."""
    fields: dict[str, Any] = {
        "item_id": ITEM,
        "source_department": "civil-affairs",
        "title_zh": "城乡低保家庭",
        "title_en": "Low-income households",
        "description_zh": "享受城乡最低生活保障的家庭及其成员",
        "description_en": "Households receiving the minimum living allowance (dibao)",
        "columns": [
            {
                "name": "id_number",
                "title_zh": "公民身份号码",
                "title_en": "Resident ID",
                "category": "identity",
                "identifier": True,
                "kind": "resident_id",
            },
            {
                "name": "income",
                "title_zh": "家庭月收入",
                "title_en": "Monthly income",
                "category": "income",
            },
            {
                "name": "district",
                "title_zh": "所属区县",
                "title_en": "District",
                "category": "address",
            },
        ],
        "share": "conditional",
        "conditions": ["仅限补贴资格审核使用，不得向第三方提供"],
        "grade": "important",
        "update_frequency": "monthly",
        "share_mode": "interface",
    }
    fields.update(overrides)
    return fields


def request_fields(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ws.requests.submit for the item, Chinese in every free-text field."""
    fields: dict[str, Any] = {
        "item": ITEM,
        "columns": ["id_number", "income"],
        "purpose": PURPOSE,
        "legal_basis": "legal-obligation",
        "duty_basis": "《社会救助暂行办法》第十一条：审核申请人家庭收入",
        "use_type": "administrative-basis",
        "justification": "核对临时救助申请人的家庭收入状况",
        "principals": [PRINCIPAL],
        "case_ref": CASE,
        "valid_until": VALID_UNTIL,
    }
    fields.update(overrides)
    return fields


@dataclass
class Pair:
    """A providing and a requesting department that trust each other's keys."""

    provider: Workspace
    requester: Workspace
    clock: FrozenClock

    def publish(self, **overrides: Any) -> CatalogueItem:
        """Publish the item at the provider and import its catalogue at the requester."""
        item = self.provider.catalogue.publish(item_fields(**overrides))
        self.requester.catalogue.import_catalogue(self.provider.catalogue.export())
        return item

    def request(self, **overrides: Any) -> SignedDocument:
        """Submit a request for the item from the requester."""
        return self.requester.requests.submit(**request_fields(**overrides))

    def agreement(self, **decide: Any) -> str:
        """Run publish -> request -> receive -> approve -> import -> countersign; the agreement id."""
        self.publish()
        received = self.provider.requests.receive(self.request())
        decision = self.provider.requests.decide(received.id, approve=True, **decide)
        record = self.requester.requests.import_decision(decision)
        assert record.decision is not None
        assert record.decision.agreement is not None
        agreement = record.decision.agreement.agreement_id
        self.provider.agreements.import_countersignature(
            self.requester.agreements.countersign(agreement)
        )
        return agreement


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock on Monday 2026-03-02, 10:00 Beijing time (a working day)."""
    return FrozenClock(datetime(2026, 3, 2, 2, tzinfo=UTC))


@pytest.fixture
def requester_ws(tmp_path: Path, clock: FrozenClock) -> Iterator[Workspace]:
    """The requesting department (hrss), on SQLite."""
    ws = temporary_workspace(tmp_path / "hrss", department="hrss", clock=clock)
    yield ws
    ws.close()


@pytest.fixture
def pair(
    tmp_path: Path, clock: FrozenClock, requester_ws: Workspace, target: Any
) -> Iterator[Pair]:
    """civil-affairs (on each backend) and hrss (SQLite), each trusting the other's keys."""
    provider = temporary_workspace(
        tmp_path / "civil", department="civil-affairs", url=target.url, schema=target.schema,
        clock=clock,
    )  # fmt: skip
    provider.tokens.trust(requester_ws.keys.export_public())
    requester_ws.tokens.trust(provider.keys.export_public())
    yield Pair(provider, requester_ws, clock)
    provider.close()


def stored_rows(ws: Workspace) -> dict[str, int]:
    """Row counts of every exchange table, and the audit log's size."""
    with ws.store.read() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES
        }
    return counts | {"audit": ws.audit.size()}


def refused_once(ws: Workspace, action: Callable[[], object], error: type[Exception]) -> Any:
    """Run *action*, expect *error*, and check it stored nothing but one document.refused event."""
    before = stored_rows(ws)
    with pytest.raises(error) as info:
        action()
    after = stored_rows(ws)
    assert after == before | {"audit": before["audit"] + 1}
    (last,) = ws.audit.tail(1)
    assert last.event.type == "document.refused"
    assert last.event.data["reason"] == type(info.value).__name__
    return last.event.data
