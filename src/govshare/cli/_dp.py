"""``govshare dp query`` and ``govshare budget show | set``: differentially private releases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govshare import Workspace
from govshare.cli._common import db_option
from govshare.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["budget", "dp"]


@click.group()
def dp() -> None:
    """Differentially private statistics, charged to the store's budget ledger."""


@dp.command()
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", required=True, help="The privacy-unit column (who each row is about).")
@click.option("--dataset", required=True, help="The dataset whose budget pays for the release.")
@click.option("--count", "count", is_flag=True, help="Release a row count.")
@click.option("--sum", "sum_column", metavar="COL", help="Release the sum of COL.")
@click.option("--mean", "mean_column", metavar="COL", help="Release the mean of COL.")
@click.option("--by", multiple=True, metavar="COL", help="Group by COL (repeatable).")
@click.option("--keys", metavar="K1,K2,…", help="Public group keys (one --by column only).")
@click.option("--bounds", nargs=2, type=float, metavar="LO HI", help="Clipping bounds.")
@click.option("--epsilon", type=float, required=True, help="Epsilon to spend.")
@click.option("--delta", type=float, default=0.0, show_default=True, help="Delta to spend.")
@click.option("--max-groups", type=int, default=1, show_default=True, help="Groups per person.")
@click.option(
    "--max-rows", type=int, default=1, show_default=True, help="Rows per person per group."
)
@click.option(
    "--token",
    metavar="TOKEN",
    help="Release on behalf of this token's subject, once verified (with --purpose); "
    "without it the release is charged to this department.",
)
@click.option("--purpose", help="The purpose the token must grant (with --token).")
def query(
    url: str,
    file: Path,
    unit: str,
    dataset: str,
    count: bool,
    sum_column: str | None,
    mean_column: str | None,
    by: tuple[str, ...],
    keys: str | None,
    bounds: tuple[float, float] | None,
    epsilon: float,
    delta: float,
    max_groups: int,
    max_rows: int,
    token: str | None,
    purpose: str | None,
) -> None:
    """Release one statistic of a CSV or Parquet FILE as CSV (value, ci_low, ci_high, …).

    The release is charged to the ledger before it is printed; a refused charge prints nothing.
    It is charged to this department, or with --token and --purpose to the subject of that
    token once verified.
    """
    chosen = [
        name for name, on in (("count", count), ("sum", sum_column), ("mean", mean_column)) if on
    ]
    if len(chosen) != 1:
        raise InputError("choose exactly one of --count, --sum COL, --mean COL")
    if keys is not None and len(by) != 1:
        raise InputError("--keys needs exactly one --by column")
    frame = _read(file)
    key_list = _keys(keys, frame[by[0]].dtype.kind if keys else "O") if keys else None
    with Workspace.open(url) as ws:
        q = ws.dp(
            frame,
            privacy_unit=unit,
            dataset=dataset,
            max_groups=max_groups,
            max_rows=max_rows,
            token=token,
            purpose=purpose,
        )
        group_by = list(by) or None
        if count:
            result = q.count(by=group_by, keys=key_list, epsilon=epsilon, delta=delta)
        elif sum_column:
            result = q.sum(
                sum_column,
                bounds=_bounds(bounds),
                by=group_by,
                keys=key_list,
                epsilon=epsilon,
                delta=delta,
            )
        else:
            result = q.mean(
                mean_column or "",
                bounds=_bounds(bounds),
                by=group_by,
                keys=key_list,
                epsilon=epsilon,
                delta=delta,
            )
    click.echo(result.to_csv(), nl=False)


@click.group()
def budget() -> None:
    """Show and set the privacy budget caps of datasets."""


@budget.command("show")
@db_option
@click.option("--dataset", help="Only this dataset.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def show(url: str, dataset: str | None, as_json: bool) -> None:
    """Print every cap with what has been spent against it."""
    with Workspace.open(url) as ws:
        report = ws.budgets.show(dataset)
    for s in report:
        if as_json:
            click.echo(json.dumps(s.model_dump()))
        else:
            click.echo(
                f"{s.dataset}\t{s.requester}\tepsilon {s.epsilon_spent:g}/{s.epsilon_cap:g}"
                f"\tdelta {s.delta_spent:g}/{s.delta_cap:g}"
            )


@budget.command("set")
@db_option
@click.argument("dataset")
@click.option("--epsilon", type=float, required=True, help="Epsilon cap.")
@click.option("--delta", type=float, default=0.0, show_default=True, help="Delta cap.")
@click.option("--requester", help="Cap one analyst or department (default: everyone together).")
def set_(url: str, dataset: str, epsilon: float, delta: float, requester: str | None) -> None:
    """Set (or change) the cap of DATASET; what was spent is kept."""
    with Workspace.open(url) as ws:
        s = ws.budgets.set(dataset, epsilon=epsilon, delta=delta, requester=requester)
    click.echo(
        f"{s.dataset}\t{s.requester}\tepsilon cap {s.epsilon_cap:g}\tdelta cap {s.delta_cap:g}"
    )


def _read(file: Path) -> pd.DataFrame:
    import pandas as pd

    if file.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(file)
    return pd.read_csv(file)


def _keys(text: str, kind: str) -> list[object]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if kind in "iu":
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise InputError("--keys must be integers for an integer column") from None
    return list(parts)


def _bounds(bounds: tuple[float, float] | None) -> tuple[float, float]:
    if bounds is None:
        raise InputError("--sum and --mean need --bounds LO HI")
    return bounds
