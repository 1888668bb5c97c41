"""HTML cards for Jupyter reprs: one Jinja2 template with autoescaping, shared by every record.

Every ``_repr_html_`` in govshare renders through :func:`card`, so escaping is decided once (by
Jinja2's autoescape, markupsafe underneath) and no record can put raw bytes on the page: a
``bytes`` value is refused, and hashes are shown as standard base64 (the encoding C2SP checkpoint
notes use) through :func:`b64`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, StrictUndefined

__all__ = ["Table", "b64", "card", "short"]

_TEMPLATE = """\
<div class="govshare-card" style="font-family:sans-serif;font-size:13px">
<p style="margin:0 0 4px 0"><strong>{{ title }}</strong>
{%- if ok is not none %} <span style="color:{{ '#1e8449' if ok else '#c0392b' }}">
{{- '✔' if ok else '✘' }} {{ status }}</span>{% endif %}</p>
{%- if note %}<p style="margin:0 0 4px 0"><em>{{ note }}</em></p>{% endif %}
<table>
{%- for name, value in fields %}
<tr><th style="text-align:left">{{ name }}</th><td style="text-align:left">{{ value }}</td></tr>
{%- endfor %}
</table>
{%- for t in tables %}
<table><caption style="text-align:left">{{ t.caption }}</caption>
<thead><tr>{% for h in t.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{%- for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
{%- if not t.rows %}<tr><td colspan="{{ t.headers|length }}">{{ t.empty }}</td></tr>{% endif %}
</tbody></table>
{%- endfor %}
</div>"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
_CARD = _ENV.from_string(_TEMPLATE)

Value = object
"""What a card cell takes: text, numbers, booleans, times, None, or a sequence of these."""


@dataclass(frozen=True)
class Table:
    """A sub-table of a card: a caption, column headers and rows of plain values."""

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Value]] = ()
    empty: str = "none"


@dataclass(frozen=True)
class _Prepared:
    caption: str
    headers: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    empty: str = "none"


def b64(value: bytes) -> str:
    """*value* (a hash, never key material) as standard base64."""
    return base64.b64encode(value).decode("ascii")


def short(value: str, keep: int = 10) -> str:
    """*value* cut to its first *keep* characters and an ellipsis (a pseudonym, an id)."""
    return value if len(value) <= keep else f"{value[:keep]}…"


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError("a card never shows raw bytes: encode hashes with b64()")
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Iterable):
        return ", ".join(_text(v) for v in value) or "—"
    raise TypeError(f"a card shows text, numbers and times, not {type(value).__name__}")


def card(
    title: str,
    fields: Sequence[tuple[str, Value]],
    *,
    tables: Sequence[Table] = (),
    note: str | None = None,
    ok: bool | None = None,
    status: str = "",
) -> str:
    """An HTML card: a title (with a pass/fail *status* when *ok* is given), a field table,
    sub-*tables* and an optional *note*; every value is escaped.

    Raises:
        TypeError: a value is bytes, or of a type a card does not show.
    """
    prepared = [
        _Prepared(t.caption, t.headers, [[_text(c) for c in row] for row in t.rows], t.empty)
        for t in tables
    ]
    return _CARD.render(
        title=title,
        fields=[(name, _text(value)) for name, value in fields],
        tables=prepared,
        note=note,
        ok=ok,
        status=status,
    )
