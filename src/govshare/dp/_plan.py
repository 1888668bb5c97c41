"""Planning a query from public parameters only: epsilon split, sensitivities, noise scales and
interval half-widths. Nothing here looks at the data, so :meth:`Query.preview` can run it freely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from govshare.dp._limits import MAX_BOUND, MIN_BOUND
from govshare.dp._mechanisms import (
    CONFIDENCE,
    DISCRETE_LAPLACE,
    EXPONENTIAL,
    FLOAT_EXPONENTIAL,
    PURE_EXACT,
    SELECTION_EXACT,
    discrete_laplace_half_width,
    partition_threshold,
)
from govshare.dp._models import Component, Preview
from govshare.dp._sampler import check_scale
from govshare.dp._units import DELTA_UNIT, EPSILON_UNIT, delta_units, epsilon_units, exact_text
from govshare.exceptions import InputError

__all__ = [
    "QUERIES",
    "Plan",
    "check_bounds",
    "confidence_for",
    "float_at_most",
    "granularity",
    "make_plan",
]

QUERIES: Final = ("count", "sum", "mean", "variance", "quantile", "histogram")
# Integer-scaled sums: values are rounded to a power-of-two grid so that the largest |value| is
# 4,096-8,192 grid steps; the rounding error (<= half a step) is far below the noise.
_GRID_STEPS: Final = 4096
_EPSILON_PER_UNIT: Final = Fraction(EPSILON_UNIT)
_DELTA_PER_UNIT: Final = Fraction(DELTA_UNIT)


@dataclass(frozen=True)
class Plan:
    """A query's public parameters, epsilon split and per-component noise.

    ``scales`` holds each discrete Laplace component's exact noise scale in the integer units the
    noise is drawn in (rows for counts, grid steps for sums), as the sampler takes it.
    """

    preview: Preview
    epsilon_units: int
    delta_units: int
    components: dict[str, Component]
    grids: dict[str, float]
    scales: dict[str, Fraction]


def check_bounds(bounds: object) -> tuple[float, float]:
    """Validate declared clipping bounds.

    Raises:
        InputError: not a pair of finite numbers with ``lower < upper``, or one is larger than
            :data:`MAX_BOUND` in absolute value, or both are below :data:`MIN_BOUND`.
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
        if abs(value) > MAX_BOUND:
            raise InputError(f"bounds are at most govshare.dp.MAX_BOUND ({MAX_BOUND:g}) in size")
    if not lower < upper:
        raise InputError("bounds must satisfy lower < upper")
    if max(abs(lower), abs(upper)) < MIN_BOUND:
        raise InputError(
            f"bounds must reach at least govshare.dp.MIN_BOUND ({MIN_BOUND:g}) in size"
        )
    return float(lower), float(upper)


def granularity(magnitude: float) -> float:
    """The power-of-two grid step for values of at most *magnitude* in absolute value."""
    if magnitude <= 0:
        return 1.0
    return 2.0 ** math.floor(math.log2(magnitude / _GRID_STEPS))


def _laplace(
    name: str, epsilon: Fraction, sensitivity: int, unit: float = 1.0, guarantee: str = PURE_EXACT
) -> tuple[Component, Fraction]:
    """A discrete Laplace component and its exact scale ``sensitivity / epsilon`` (in integer
    units; *unit* converts them to the quantity's units for the metadata).

    Raises:
        InputError: the scale is beyond the exact sampler's limits.
    """
    scale = Fraction(sensitivity) / epsilon
    check_scale(scale)
    component = Component(
        name=name,
        mechanism=DISCRETE_LAPLACE,
        epsilon=float(epsilon),
        epsilon_exact=exact_text(epsilon),
        sensitivity=sensitivity * unit,
        scale=float(scale) * unit,
        scale_exact=exact_text(scale * Fraction(unit)),
        half_width=discrete_laplace_half_width(scale) * unit,
        guarantee=guarantee,
    )
    return component, scale


def _sum_component(
    name: str, epsilon: Fraction, rows: int, magnitude: float
) -> tuple[Component, Fraction, float]:
    grid = granularity(magnitude)
    steps = math.ceil(magnitude / grid) if magnitude > 0 else 1
    component, scale = _laplace(name, epsilon, rows * steps, grid)
    return component, scale, grid


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
    eps = eps_units * _EPSILON_PER_UNIT  # exactly what is charged
    dlt = d_units * _DELTA_PER_UNIT
    m = max_groups if by else 1
    rows = m * max_rows
    components: dict[str, Component] = {}
    grids: dict[str, float] = {}
    scales: dict[str, Fraction] = {}
    selecting = bool(by) and not public_keys
    if selecting:
        if dlt <= 0:
            raise InputError(
                "grouping without keys=[…] selects groups privately and needs delta > 0 "
                "(e.g. delta=1e-6), or pass the public group keys"
            )
        eps /= 2
        selection, scale = _laplace("partition_selection", eps, m, guarantee=SELECTION_EXACT)
        threshold = partition_threshold(scale, dlt, m)
        components["partition_selection"] = selection.model_copy(update={"threshold": threshold})
        scales["partition_selection"] = scale
    _add_components(components, grids, scales, query, eps, rows, bounds, max_rows, m)
    preview = Preview(
        query=query,
        column=column,
        by=by,
        epsilon=float(eps_units * _EPSILON_PER_UNIT),
        delta=float(dlt),
        epsilon_units=eps_units,
        delta_units=d_units,
        bounds=bounds,
        max_groups=max_groups,
        max_rows=max_rows,
        components=list(components.values()),
        public_keys=public_keys or not by,
    )
    return Plan(preview, eps_units, d_units, components, grids, scales)


def _add_components(
    components: dict[str, Component],
    grids: dict[str, float],
    scales: dict[str, Fraction],
    query: str,
    eps: Fraction,
    rows: int,
    bounds: tuple[float, float] | None,
    max_rows: int,
    m: int,
) -> None:
    if query in ("count", "histogram"):
        components["count"], scales["count"] = _laplace("count", eps, rows)
        return
    assert bounds is not None
    lower, upper = bounds
    if query == "sum":
        magnitude = max(abs(lower), abs(upper))
        components["sum"], scales["sum"], grids["sum"] = _sum_component("sum", eps, rows, magnitude)
    elif query in ("mean", "variance"):
        share = eps / (2 if query == "mean" else 3)
        half = (upper - lower) / 2
        components["count"], scales["count"] = _laplace("count", share, rows)
        components["sum"], scales["sum"], grids["sum"] = _sum_component("sum", share, rows, half)
        if query == "variance":
            name = "sum_of_squares"
            components[name], scales[name], grids[name] = _sum_component(
                name, share, rows, half * half
            )
    elif query == "quantile":
        components["quantile"] = Component(
            name="quantile",
            mechanism=EXPONENTIAL,
            epsilon=float_at_most(eps / m),
            epsilon_exact=exact_text(eps / m),
            sensitivity=max_rows,
            scale=0.0,
            guarantee=FLOAT_EXPONENTIAL,
        )


def float_at_most(value: Fraction) -> float:
    """The largest float not above *value* (what a floating-point mechanism may be given)."""
    nearest = float(value)
    return nearest if Fraction(nearest) <= value else math.nextafter(nearest, -math.inf)


def confidence_for(parts: int) -> Fraction:
    """The per-component level that gives CONFIDENCE jointly over *parts* components (union bound)."""
    return 1 - (1 - CONFIDENCE) / parts
