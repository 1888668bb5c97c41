"""The fast canonical-JSON path writes exactly what RFC 8785 (the rfc8785 library) writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.audit import AuditEvent
from govshare.audit._canonical import canonical_json
from govshare.audit._events import entry_bytes

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
)
_keys = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=_json)
def test_equals_rfc8785_on_any_json(value: Any) -> None:
    """For any JSON value without floats the output is byte-identical to rfc8785's."""
    assert canonical_json(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1.5, "a": 1.0},
        {"\ue000": 1, "\U0001f600": 2},
        {"n": 2**60},
        {"s": '\x00\x1f\x7f\u2028"\\'},
        [1e21, -0.0],
    ],
)
def test_edge_values_match(value: Any) -> None:
    """Floats, non-BMP keys, huge integers and escapes fall back or match exactly."""
    try:
        expected = bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


_times = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)
_data = st.dictionaries(
    st.text(alphabet="abcdefghij_", min_size=1, max_size=8),
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(alphabet="xyz -", max_size=9),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(time=_times, data=_data)
def test_entry_bytes_equal_the_pydantic_json_form(time: datetime, data: dict[str, Any]) -> None:
    """An entry's bytes are the RFC 8785 form of pydantic's JSON dump of the event."""
    event = AuditEvent(type="token.accepted", actor="civil-affairs", time=time, data=data)
    expected = bytes(rfc8785.dumps({"event": event.model_dump(mode="json"), "seq": 7}))
    assert entry_bytes(7, event) == expected
