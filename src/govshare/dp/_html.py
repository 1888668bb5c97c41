"""HTML for Jupyter: results with their release metadata, budgets with an inline SVG bar chart."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from govshare.dp._models import BudgetStatus, Release

__all__ = ["budget_html", "release_html"]

_BAR = 160


def _bar(spent: float, cap: float) -> str:
    share = 1.0 if cap <= 0 else min(spent / cap, 1.0)
    colour = "#c0392b" if share >= 0.9 else "#2e86c1"
    width = round(share * _BAR)
    return (
        f'<svg width="{_BAR}" height="12" role="img" aria-label="{share:.0%} spent">'
        f'<rect width="{_BAR}" height="12" fill="#e5e8e8"/>'
        f'<rect width="{width}" height="12" fill="{colour}"/></svg>'
    )


def budget_html(statuses: Sequence[BudgetStatus]) -> str:
    """A table of caps, each with a bar of epsilon spent against its cap."""
    rows = "".join(
        "<tr>"
        f"<td>{escape(s.dataset)}</td><td>{escape(s.requester)}</td>"
        f"<td>{s.epsilon_spent:g} / {s.epsilon_cap:g}</td><td>{_bar(s.epsilon_spent, s.epsilon_cap)}</td>"
        f"<td>{s.delta_spent:g} / {s.delta_cap:g}</td>"
        "</tr>"
        for s in statuses
    )
    return (
        "<table><thead><tr><th>dataset</th><th>requester</th><th>epsilon spent / cap</th>"
        f"<th></th><th>delta spent / cap</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def release_html(release: Release, table: str, *, shown: int | None = None) -> str:
    """The result table under a one-line caption of its release metadata (and, when *shown*
    differs from the groups released, how many of them the table shows)."""
    bounds = f", bounds {release.bounds}" if release.bounds else ""
    mechanisms = ", ".join(sorted({c.mechanism for c in release.components}))
    guarantees = "; ".join(sorted({c.guarantee.split(":")[0] for c in release.components}))
    caption = (
        f"DP {escape(release.query)}{' of ' + escape(release.column) if release.column else ''} "
        f"— epsilon {release.epsilon:g}, delta {release.delta:g}, {escape(mechanisms)}"
        f"{escape(bounds)} ({escape(guarantees)}); "
        f"{release.confidence:.0%} intervals cover the noise only"
    )
    if shown is not None and shown != release.groups:
        caption += f"; {shown} rows shown, derived from the {release.groups} groups released"
    note = f"<p><strong>{escape(release.note)}</strong></p>" if release.note else ""
    return f"<div><p><small>{caption}</small></p>{note}{table}</div>"
