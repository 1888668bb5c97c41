"""Records the dp package hands out: budget status, release metadata and accuracy previews."""

from __future__ import annotations

from decimal import Decimal

from govshare._models import Record
from govshare.dp._units import delta_of, epsilon_of

__all__ = ["BudgetStatus", "Component", "Preview", "Release"]


class BudgetStatus(Record):
    """One cap of the ledger and what has been spent against it.

    Attributes:
        dataset: the dataset the cap protects.
        requester: ``"*"`` for the dataset-wide cap, else the analyst or department it binds.
        epsilon_cap / epsilon_spent: in epsilon (exact to 1e-6).
        delta_cap / delta_spent: in delta (exact to 1e-15).
        updated_at: ISO 8601 UTC time of the last change.
    """

    dataset: str
    requester: str
    epsilon_cap: float
    epsilon_spent: float
    delta_cap: float
    delta_spent: float
    updated_at: str

    @classmethod
    def from_units(
        cls,
        dataset: str,
        requester: str,
        eps_cap: int,
        eps_spent: int,
        delta_cap: int,
        delta_spent: int,
        updated_at: str,
    ) -> BudgetStatus:
        """Build from the ledger's exact integer units."""
        return cls(
            dataset=dataset,
            requester=requester,
            epsilon_cap=epsilon_of(eps_cap),
            epsilon_spent=epsilon_of(eps_spent),
            delta_cap=delta_of(delta_cap),
            delta_spent=delta_of(delta_spent),
            updated_at=updated_at,
        )

    @property
    def epsilon_remaining(self) -> float:
        """Epsilon still available (never negative)."""
        return max(float(Decimal(repr(self.epsilon_cap)) - Decimal(repr(self.epsilon_spent))), 0.0)

    @property
    def delta_remaining(self) -> float:
        """Delta still available (never negative)."""
        return max(float(Decimal(repr(self.delta_cap)) - Decimal(repr(self.delta_spent))), 0.0)


class Component(Record):
    """One noisy quantity inside a query (a query such as ``mean`` adds noise to several).

    Attributes:
        name: ``"count"``, ``"sum"``, ``"sum_of_squares"``, ``"partition_selection"``,
            ``"quantile"``.
        mechanism: ``"discrete-laplace"`` or ``"exponential"``.
        epsilon: the share of the query's epsilon spent here (as a float, for reading).
        epsilon_exact: that share exactly: a decimal string, or ``"p/q"`` when it has no finite
            decimal (a third of 0.1 is ``"1/30"``).
        sensitivity: L1 sensitivity in the quantity's units, after contribution bounding.
        scale: noise scale (``sensitivity / epsilon``) in the quantity's units; 0 for exponential.
        scale_exact: the scale the sampler used, exactly (None for exponential).
        half_width: the 95% interval half-width of the noise in the quantity's units (None where
            it depends on the data, as for quantiles).
        threshold: for partition selection, the noisy person count a group must reach.
        guarantee: what this component's noise guarantees, exactly: ``"pure epsilon-DP: exact
            discrete Laplace sampler …"``, ``"(epsilon, delta)-DP: …"`` for partition selection,
            or ``"approximate: …"`` where a floating-point mechanism is used (quantiles).
    """

    name: str
    mechanism: str
    epsilon: float
    epsilon_exact: str
    sensitivity: float
    scale: float
    scale_exact: str | None = None
    half_width: float | None = None
    threshold: int | None = None
    guarantee: str


class Preview(Record):
    """What a query would spend and how accurate it would be, computed from public parameters only.

    Attributes:
        query: ``count``, ``sum``, ``mean``, ``variance``, ``quantile`` or ``histogram``.
        column: the value column (None for counts).
        by: the grouping columns.
        epsilon / delta: what the release will charge (as floats, for reading).
        epsilon_units / delta_units: exactly what the ledger charges, in its integer units
            (epsilon in 1e-6, delta in 1e-15).
        bounds: the declared clipping bounds, if any: every value is clipped into this interval
            before it counts (results carry it as ``clip_low`` / ``clip_high``).
        max_groups / max_rows: the contribution bounds.
        components: each noisy quantity with its mechanism, scale and 95% half-width.
        public_keys: whether the group keys were given (else DP partition selection runs).
    """

    query: str
    column: str | None
    by: list[str]
    epsilon: float
    delta: float
    epsilon_units: int
    delta_units: int
    bounds: tuple[float, float] | None
    max_groups: int
    max_rows: int
    components: list[Component]
    public_keys: bool


class Release(Preview):
    """The metadata of a release: the preview plus who released what, and when.

    Attributes:
        dataset: the dataset whose budget paid for it.
        requester: the department charged.
        requester_basis: how that requester was established: ``"workspace department"``,
            ``"verified token <jti>"``, or ``"declared by the caller (in-memory ledger)"``.
        groups: how many groups were released.
        confidence: the level of ``ci_low`` / ``ci_high`` (0.95).
        released_at: ISO 8601 UTC time.
        note: what a reader must know that the table cannot show, e.g. that partition selection
            released no group (the budget was still charged); None otherwise.
    """

    dataset: str
    requester: str
    requester_basis: str
    groups: int
    confidence: float
    released_at: str
    note: str | None = None
