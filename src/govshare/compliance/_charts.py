"""Inline SVG charts for the HTML report, drawn server-side (the page loads nothing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from markupsafe import Markup, escape

__all__ = ["bar_chart", "line_chart"]

_W, _H, _PAD = 640, 260, 48
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def _empty(label: str, chart_id: str) -> Markup:
    return Markup(  # noqa: S704 - every interpolated text is escaped
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {_W} {_H}" '
        f'width="{_W}" height="{_H}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="#fafafa" stroke="#ccc"/>'
        f'<text x="{_W // 2}" y="{_H // 2}" text-anchor="middle" fill="#666">{escape(label)}</text>'
        "</svg>"
    )


def line_chart(
    series: Mapping[str, Sequence[tuple[datetime, float]]],
    caps: dict[str, float],
    *,
    chart_id: str,
    title: str,
    empty: str,
) -> Markup:
    """Cumulative lines, one per series, with each series' cap as a dashed line."""
    points = [p for s in series.values() for p in s]
    if not points:
        return _empty(empty, chart_id)
    t0 = min(p[0] for p in points).timestamp()
    t1 = max(p[0] for p in points).timestamp()
    top = max([p[1] for p in points] + list(caps.values())) or 1.0
    span = (t1 - t0) or 1.0

    def xy(when: datetime, value: float) -> tuple[float, float]:
        x = _PAD + (when.timestamp() - t0) / span * (_W - 2 * _PAD)
        y = _H - _PAD - value / top * (_H - 2 * _PAD)
        return round(x, 1), round(y, 1)

    parts = [_frame(chart_id, title, f"0 … {top:g} ε")]
    for k, (name, values) in enumerate(sorted(series.items())):
        colour = _COLOURS[k % len(_COLOURS)]
        coords = " ".join(f"{x},{y}" for x, y in (xy(w, v) for w, v in values))
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{coords}"><title>{escape(name)}</title></polyline>'
        )
        if name in caps:
            y = xy(datetime.fromtimestamp(t0).astimezone(), caps[name])[1]
            parts.append(
                f'<line class="cap" x1="{_PAD}" x2="{_W - _PAD}" y1="{y}" y2="{y}" '
                f'stroke="{colour}" stroke-dasharray="4 3"><title>{escape(name)} cap</title></line>'
            )
        parts.append(
            f'<text x="{_W - _PAD + 4}" y="{_PAD + 14 * k}" fill="{colour}" font-size="11">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped


def bar_chart(counts: dict[str, int], *, chart_id: str, title: str, empty: str) -> Markup:
    """One horizontal bar per key."""
    if not counts:
        return _empty(empty, chart_id)
    top = max(counts.values()) or 1
    rows = sorted(counts.items())
    step = (_H - 2 * _PAD) / len(rows)
    parts = [_frame(chart_id, title, f"0 … {top}")]
    for k, (name, count) in enumerate(rows):
        width = round(count / top * (_W - 3 * _PAD), 1)
        y = round(_PAD + k * step, 1)
        parts.append(
            f'<rect class="bar" x="{2 * _PAD}" y="{y}" width="{width}" height="{round(step * 0.7, 1)}" '
            f'fill="{_COLOURS[k % len(_COLOURS)]}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{2 * _PAD - 4}" y="{y + step * 0.5}" text-anchor="end" font-size="11">'
            f"{escape(name)}</text>"
            f'<text x="{2 * _PAD + width + 4}" y="{y + step * 0.5}" font-size="11">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped


def _frame(chart_id: str, title: str, scale: str) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {_W} {_H}" '
        f'width="{_W}" height="{_H}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="#fff" stroke="#ccc"/>'
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#999"/>'
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#999"/>'
        f'<text x="{_PAD}" y="{_PAD - 8}" font-size="11" fill="#666">{escape(scale)}</text>'
    )
