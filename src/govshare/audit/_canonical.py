"""RFC 8785 (JCS) canonical JSON, with a fast path for the values audit events hold.

``rfc8785.dumps`` is pure Python and costs several times an append's database work. For JSON
made only of strings, ASCII object keys, booleans, ``null`` and integers of at most 53 bits,
RFC 8785's output is exactly what the standard library's C encoder writes with sorted keys, no
whitespace and no ASCII escaping: both escape only ``"``, ``\\`` and control characters, with the
same short forms and lower-case ``\\u00xx``; UTF-16 key order equals code-point order for ASCII
keys; and such integers print as their digits. Anything else (a float, a non-ASCII key, a huge
integer) goes to ``rfc8785``. ``tests/audit/test_canonical.py`` holds the two equal.
"""

from __future__ import annotations

import json
from typing import Any, Final

import rfc8785

__all__ = ["canonical_json"]

_MAX_SAFE: Final = 2**53 - 1
_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of *value* (a JSON value: dict, list, str, int, float, bool, None).

    Raises:
        rfc8785.CanonicalizationError: *value* has no canonical form (e.g. NaN, a huge integer).
    """
    if _plain(value):
        try:
            return _encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 judge it
            pass
    return bytes(rfc8785.dumps(value))


def _plain(value: Any) -> bool:
    """Whether *value* is in the fast path's domain (see the module docstring)."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_MAX_SAFE <= item <= _MAX_SAFE:
                return False
        elif kind is dict:
            for key, inner in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                push(inner)
        elif kind is list or kind is tuple:
            extend(item)
        else:
            return False
    return True
