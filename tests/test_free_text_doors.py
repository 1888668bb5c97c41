"""Every door that records text refuses identifier-shaped input, says so without repeating it, and
leaves the store's tables exactly as they were (issue 11, section 1)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.consent import Vocabulary
from govshare.exceptions import IdentifierInText, InputError
from govshare.identifiers import check_character
from govshare.testing import FrozenClock, temporary_workspace
from tests.identifiers._ids import valid_ids

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def leaks(draw: st.DrawFn) -> str:
    """A short text holding a resident ID or a mobile number, disguised at random."""
    if draw(st.booleans()):
        first17 = f"110101{draw(st.integers(1940, 2010))}0307{draw(st.integers(100, 999))}"
        number = first17 + check_character(first17)
    else:
        number = f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 10**9 - 1)):09d}"
    sep = draw(st.sampled_from(["", " ", "-", ".", "/", " - "]))
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    text = sep.join(groups)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return draw(st.sampled_from(["case ", "ID", "tel ", "x", "身份证"])) + text


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite store, in rowid order."""
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One SQLite workspace with a budget, reversible pseudonyms and a trusted peer."""
    folder = tmp_path_factory.mktemp("doors")
    ws = temporary_workspace(folder, department="civil-affairs", clock=FrozenClock())
    ws.budgets.set("income-2026", epsilon=5.0)
    yield ws
    ws.close()


def _db(ws: Workspace) -> Path:
    return Path(str(ws.store.url).removeprefix("sqlite:///"))


def _refused(ws: Workspace, action: Callable[[str], object], text: str) -> None:
    before = snapshot(_db(ws))
    with pytest.raises(IdentifierInText) as info:
        action(text)
    message = str(info.value)
    assert not any(c.isdigit() for c in message.translate({0xFF10 + i: "0" for i in range(10)}))
    assert "\n" not in message
    assert snapshot(_db(ws)) == before


def _audit(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.audit.record("test.note", {"note": t})


def _audit_key(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.audit.record("test.note", {t: 1})


def _audit_nested(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.audit.record("test.note", {"a": [{"b": ["ok", t]}]})


def _reidentify(ws: Workspace) -> Callable[[str], object]:
    ps = ws.pseudonymiser(domain="hrss", scheme="aes-siv")
    pseudonyms = ps.pseudonymise(valid_ids(3, seed=1))
    return lambda t: ps.reidentify(pseudonyms, reason=t)


def _dp_dataset(ws: Workspace) -> Callable[[str], object]:
    frame = pd.DataFrame({"pid": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    return lambda t: ws.dp(frame, privacy_unit="pid", dataset=t.replace(" ", "-"))


def _budget(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.budgets.set(t.replace(" ", "-"), epsilon=1.0)


def _token_dataset(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.tokens.issue(
        audience="civil-affairs",
        purpose="subsidy-eligibility",
        categories=["income"],
        ttl=timedelta(hours=1),
        dataset="d" + "".join(c for c in t if c.isascii() and c.isalnum()).lower(),
    )


def _consent_reference(ws: Workspace) -> Callable[[str], object]:
    return lambda t: ws.consents.grant(
        subject=valid_ids(1, seed=2).iloc[0],
        recipient="hrss",
        purposes=["subsidy-eligibility"],
        categories=["income"],
        impact_assessment=t,
    )


def _vocabulary_label(ws: Workspace) -> Callable[[str], object]:
    def add(label: str) -> object:
        term = {"code": "local-purpose", "label_en": label, "label_zh": "本地用途"}
        vocab = Vocabulary.from_config(json.dumps({"purposes": [term]}))
        return ws.consents.add_terms("purpose", [vocab.term("purpose", "local-purpose")])

    return add


DOORS = {
    "audit value": _audit,
    "audit key": _audit_key,
    "audit nested": _audit_nested,
    "re-identification reason": _reidentify,
    "dp dataset": _dp_dataset,
    "budget dataset": _budget,
    "token dataset claim": _token_dataset,
    "consent impact assessment": _consent_reference,
    "vocabulary label": _vocabulary_label,
}


@pytest.mark.parametrize("door", sorted(DOORS))
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=leaks())
def test_every_door_refuses_identifiers_and_stores_nothing(
    ws: Workspace, door: str, text: str
) -> None:
    """IdentifierInText (no digits in the message), and every table byte-for-byte unchanged."""
    try:
        action = DOORS[door](ws)
    except (IdentifierInText, InputError) as exc:  # pragma: no cover - set-up must not fail
        raise AssertionError(f"set-up of {door} failed: {exc}") from None
    if door in ("dp dataset", "budget dataset", "token dataset claim") and not text.isascii():
        text = text.translate({0xFF10 + i: str(i) for i in range(10)})
    if door == "token dataset claim" or door.endswith("dataset"):
        text = "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-."))
        if not text[:1].isalnum():
            text = "d" + text
    _refused(ws, action, text)


def test_refusal_events_of_tokens_never_carry_a_bad_purpose(ws: Workspace) -> None:
    """A verify with an identifier-shaped purpose is refused before any refusal event is written."""
    token = ws.tokens.issue(
        audience="civil-affairs",
        purpose="subsidy-eligibility",
        categories=["income"],
        ttl=timedelta(hours=1),
    )
    before = snapshot(_db(ws))
    with pytest.raises(IdentifierInText):
        ws.tokens.verify(token, audience="civil-affairs", purpose="case-13800138000")
    assert snapshot(_db(ws)) == before


def test_reidentify_refuses_a_bad_actor_before_revealing(ws: Workspace) -> None:
    """An identifier-shaped actor name is refused before any value is revealed or recorded."""
    ps = ws.pseudonymiser(domain="hrss", scheme="aes-siv")
    pseudonyms = ps.pseudonymise(valid_ids(3, seed=1))
    before = snapshot(_db(ws))
    with pytest.raises(IdentifierInText):
        ps.reidentify(pseudonyms, reason="fraud case 2026-17", actor="clerk13800138000")
    assert snapshot(_db(ws)) == before


def test_stored_events_are_read_back_under_the_old_rules(tmp_path: Path) -> None:
    """An entry written before the scanner grew stricter still reads and verifies."""
    ws = temporary_workspace(tmp_path, clock=FrozenClock())
    try:
        ws.audit.record("test.old", {"note": "plain"})
        entry = ws.audit.tail(1)[0]
        assert entry.event.data == {"note": "plain"}
        ws.audit.verify()
    finally:
        ws.close()
