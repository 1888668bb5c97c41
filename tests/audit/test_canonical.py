"""The fast canonical-JSON path writes exactly what RFC 8785 (the rfc8785 library) writes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.audit._canonical import canonical_json

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
