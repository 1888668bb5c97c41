"""Planning a query from public parameters only: epsilon split, sensitivities, noise scales and
interval half-widths. Nothing here looks at the data, so :meth:`Query.preview` can run it freely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from govshare.dp._mechanisms import (
    CONFIDENCE,
    DISCRETE_LAPLACE,
    EXPONENTIAL,
    discrete_laplace_half_width,
    partition_threshold,
)
from govshare.dp._models import Component, Preview
from govshare.dp._units import DELTA_UNIT, EPSILON_UNIT, delta_units, epsilon_units
from govshare.exceptions import InputError

__all__ = ["QUERIES", "Plan", "check_bounds", "granularity", "make_plan"]

QUERIES: Final = ("count", "sum", "mean", "variance", "quantile", "histogram")
# Integer-scaled sums: values are rounded to a power-of-two grid so that the largest |value| is
# 4,096-8,192 grid steps; the rounding error (<= half a step) is far below the noise.
_GRID_STEPS: Final = 4096
# Shave a relative 1e-12 off split shares so their float sum never exceeds the charged epsilon.
_SHARE_MARGIN: Final = 1 - 1e-12


@dataclass(frozen=True)
class Plan:
    """A query's public parameters, epsilon split and per-component noise."""

    preview: Preview
    epsilon_units: int
    delta_units: int
    components: dict[str, Component]
    grids: dict[str, float]


def check_bounds(bounds: object) -> tuple[float, float]:
    """Validate declared clipping bounds.

    Raises:
        InputError: not a pair of finite numbers with ``lower < upper``.
    """
    if bounds is None:
        raise InputError("this query needs bounds=(lower, upper): the range values are clipped to")
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        raise InputError("bounds must be a pair (lower, upper)")
    lower, upper = bounds
    for value in (lower, upper):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError("bounds must be numbers")
        if not math.isfinite(value):
            raise InputError("bounds must be finite")
    if not lower < upper:
        raise InputError("bounds must satisfy lower < upper")
    return float(lower), float(upper)


def granularity(magnitude: float) -> float:
    """The power-of-two grid step for values of at most *magnitude* in absolute value."""
    if magnitude <= 0:
        return 1.0
    return 2.0 ** math.floor(math.log2(magnitude / _GRID_STEPS))


def _laplace(name: str, epsilon: float, sensitivity: float, unit: float = 1.0) -> Component:
    scale = sensitivity / epsilon
    return Component(
        name=name,
        mechanism=DISCRETE_LAPLACE,
        epsilon=epsilon,
        sensitivity=sensitivity * unit,
        scale=scale * unit,
        half_width=discrete_laplace_half_width(scale) * unit,
    )


def _sum_component(
    name: str, epsilon: float, rows: int, magnitude: float
) -> tuple[Component, float]:
    grid = granularity(magnitude)
    steps = math.ceil(magnitude / grid) if magnitude > 0 else 1
    return _laplace(name, epsilon, rows * steps, grid), grid


def make_plan(
    query: str,
    *,
    column: str | None,
    by: list[str],
    public_keys: bool,
    epsilon: float,
    delta: float,
    bounds: tuple[float, float] | None,
    max_groups: int,
    max_rows: int,
) -> Plan:
    """Plan *query*: validate epsilon/delta, split epsilon, and size every noise component.

    Raises:
        InputError: epsilon <= 0 or not finite, delta outside [0, 1), or delta = 0 when groups
            must be selected privately (``by`` without ``keys``).
    """
    eps_units = epsilon_units(epsilon)
    d_units = delta_units(delta)
    eps = float(Decimal(eps_units) * EPSILON_UNIT)
    dlt = float(Decimal(d_units) * DELTA_UNIT)
    m = max_groups if by else 1
    rows = m * max_rows
    components: dict[str, Component] = {}
    grids: dict[str, float] = {}
    selecting = bool(by) and not public_keys
    if selecting:
        if dlt <= 0:
            raise InputError(
                "grouping without keys=[…] selects groups privately and needs delta > 0 "
                "(e.g. delta=1e-6), or pass the public group keys"
            )
        eps /= 2
        selection = _laplace("partition_selection", eps * _SHARE_MARGIN, m)
        threshold = partition_threshold(m / selection.epsilon, dlt, m)
        components["partition_selection"] = selection.model_copy(update={"threshold": threshold})
    _add_components(components, grids, query, eps, rows, bounds, max_rows, m)
    preview = Preview(
        query=query,
        column=column,
        by=by,
        epsilon=float(Decimal(eps_units) * EPSILON_UNIT),
        delta=dlt,
        bounds=bounds,
        max_groups=max_groups,
        max_rows=max_rows,
        components=list(components.values()),
        public_keys=public_keys or not by,
    )
    return Plan(preview, eps_units, d_units, components, grids)


def _add_components(
    components: dict[str, Component],
    grids: dict[str, float],
    query: str,
    eps: float,
    rows: int,
    bounds: tuple[float, float] | None,
    max_rows: int,
    m: int,
) -> None:
    if query in ("count", "histogram"):
        components["count"] = _laplace("count", eps * _SHARE_MARGIN, rows)
        return
    assert bounds is not None
    lower, upper = bounds
    if query == "sum":
        comp, grids["sum"] = _sum_component(
            "sum", eps * _SHARE_MARGIN, rows, max(abs(lower), abs(upper))
        )
        components["sum"] = comp
    elif query in ("mean", "variance"):
        parts = 2 if query == "mean" else 3
        share = eps / parts * _SHARE_MARGIN
        half = (upper - lower) / 2
        components["count"] = _laplace("count", share, rows)
        components["sum"], grids["sum"] = _sum_component("sum", share, rows, half)
        if query == "variance":
            comp, grids["sum_of_squares"] = _sum_component(
                "sum_of_squares", share, rows, half * half
            )
            components["sum_of_squares"] = comp
    elif query == "quantile":
        components["quantile"] = Component(
            name="quantile",
            mechanism=EXPONENTIAL,
            epsilon=eps / m * _SHARE_MARGIN,
            sensitivity=max_rows,
            scale=0.0,
        )


def confidence_for(parts: int) -> float:
    """The per-component level that gives CONFIDENCE jointly over *parts* components (union bound)."""
    return 1 - (1 - CONFIDENCE) / parts
