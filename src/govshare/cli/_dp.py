"""``govshare dp query`` and ``govshare budget show | set``: differentially private releases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import click

from govshare._tabular import TableReader, row_count
from govshare.cli._common import db_option, emit, format_option, open_workspace, progress
from govshare.cli._pseudonym import input_options
from govshare.exceptions import InputError

__all__ = ["budget", "dp"]


@click.group()
def dp() -> None:
    """Differentially private statistics, charged to the store's budget ledger."""


_STATISTICS: Final = ("count", "sum", "mean", "variance", "quantile", "histogram")


@dp.command()
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", required=True, help="The privacy-unit column (who each row is about).")
@click.option("--dataset", required=True, help="The dataset whose budget pays for the release.")
@click.option("--count", "count", is_flag=True, help="Release a row count.")
@click.option("--sum", "sum_column", metavar="COL", help="Release the sum of COL.")
@click.option("--mean", "mean_column", metavar="COL", help="Release the mean of COL.")
@click.option("--variance", "variance_column", metavar="COL", help="Release the variance of COL.")
@click.option(
    "--quantile",
    "quantile_column",
    metavar="COL",
    help="Release a quantile of COL (--q, default 0.5: the median).",
)
@click.option("--q", "q", type=float, default=0.5, show_default=True, help="The quantile.")
@click.option(
    "--histogram", "histogram_column", metavar="COL", help="Release row counts per bin of COL."
)
@click.option(
    "--bin", "bins", multiple=True, type=float, metavar="EDGE", help="A bin edge (repeatable)."
)
@click.option("--by", multiple=True, metavar="COL", help="Group by COL (repeatable).")
@click.option(
    "--key",
    "key_values",
    multiple=True,
    metavar="KEY",
    help="A public group key (repeatable; one --by column only).",
)
@click.option("--keys", hidden=True, metavar="K1,K2,…", help="Deprecated: use --key, repeated.")
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
@click.option(
    "--preview",
    is_flag=True,
    help="Print what the release would charge and its noise (mechanism, scale, 95% half-width) "
    "without releasing or charging anything.",
)
@input_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "text", "json"]),
    default="csv",
    show_default=True,
    help="csv (the result table), text (a table and the release's note) or json.",
)
def query(
    url: str | None,
    file: Path,
    unit: str,
    dataset: str,
    count: bool,
    sum_column: str | None,
    mean_column: str | None,
    variance_column: str | None,
    quantile_column: str | None,
    q: float,
    histogram_column: str | None,
    bins: tuple[float, ...],
    by: tuple[str, ...],
    key_values: tuple[str, ...],
    keys: str | None,
    bounds: tuple[float, float] | None,
    epsilon: float,
    delta: float,
    max_groups: int,
    max_rows: int,
    token: str | None,
    purpose: str | None,
    preview: bool,
    input_format: str,
    encoding: str | None,
    output_format: str,
) -> None:
    """Release one statistic of a CSV, Parquet or .xlsx FILE (value, ci_low, ci_high, …).

    Reads only the columns the statistic needs. The release is charged to the ledger before it is
    printed; a refused charge prints nothing. It is charged to this department, or with --token
    and --purpose to the subject of that token once verified. --preview charges nothing.
    """
    given = dict(
        zip(
            _STATISTICS,
            (count, sum_column, mean_column, variance_column, quantile_column, histogram_column),
            strict=True,
        )
    )
    chosen = [name for name, on in given.items() if on]
    if len(chosen) != 1:
        raise InputError(
            "choose exactly one of --count, --sum COL, --mean COL, --variance COL, "
            "--quantile COL, --histogram COL"
        )
    statistic = chosen[0]
    column = None if statistic == "count" else str(given[statistic])
    listed = [*key_values, *(p.strip() for p in (keys or "").split(",") if p.strip())]
    if listed and len(by) != 1:
        raise InputError("--key needs exactly one --by column")
    needed = list(dict.fromkeys([unit, *by, *([column] if column else [])]))
    reader = TableReader(
        file, format=input_format, columns=needed, encoding=encoding, as_text=False
    )
    frame = _read_all(reader).to_pandas()
    key_list = _keys(listed, frame[by[0]].dtype.kind) if listed else None
    with open_workspace(url) as ws:
        q_ = ws.dp(
            frame,
            privacy_unit=unit,
            dataset=dataset,
            max_groups=max_groups,
            max_rows=max_rows,
            token=token,
            purpose=purpose,
        )
        group_by = list(by) or None
        common: dict[str, Any] = {"by": group_by, "keys": key_list, "epsilon": epsilon}
        common["delta"] = delta
        if preview:
            plan = q_.preview(
                statistic, column, bounds=_bounds(bounds) if column else None, **common
            )
            emit(output_format, plan, text=_lines(plan.model_dump(mode="json")))
            return
        if statistic == "count":
            result = q_.count(**common)
        elif statistic == "histogram":
            if len(bins) < 2:
                raise InputError("--histogram needs at least two --bin EDGE values")
            result = q_.histogram(column or "", bins=list(bins), **common)
        elif statistic == "quantile":
            result = q_.quantile(column or "", q, bounds=_bounds(bounds), **common)
        else:
            method = getattr(q_, statistic)
            result = method(column, bounds=_bounds(bounds), **common)
    _print_result(result, output_format)


def _read_all(reader: TableReader) -> Any:
    with progress("reading", row_count(reader.path, reader.format)) as report:
        batches = []
        for batch in reader:
            batches.append(batch)
            report(reader.rows)
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa.Table.from_batches(batches, schema=reader.schema)


def _print_result(result: Any, output_format: str) -> None:
    grouped = any(name is not None for name in result.index.names)
    if output_format == "csv":
        click.echo(result.to_csv(index=grouped), nl=False)
        return
    frame = result.reset_index() if grouped else result
    records = json.loads(frame.to_json(orient="records"))
    data = {"release": result.release.model_dump(mode="json"), "rows": records}
    rows = [[_cell(v) for v in r] for r in frame.itertuples(index=False)]
    emit(output_format, data, columns=[str(c) for c in frame.columns], rows=rows)
    if output_format == "text" and result.release.note:
        click.echo(result.release.note)


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _lines(data: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in data.items())


@click.group()
def budget() -> None:
    """Show and set the privacy budget caps of datasets."""


@budget.command("show")
@db_option
@click.option("--dataset", help="Only this dataset.")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Deprecated: --format json.")
@format_option
def show(url: str | None, dataset: str | None, as_json: bool, output_format: str) -> None:
    """Print every cap with what has been spent against it."""
    with open_workspace(url) as ws:
        report = ws.budgets.show(dataset)
    if as_json:  # the JSON-lines form of earlier releases
        for s in report:
            click.echo(json.dumps(s.model_dump()))
        return
    rows = [
        [
            s.dataset,
            s.requester,
            f"{s.epsilon_spent:g}/{s.epsilon_cap:g}",
            f"{s.delta_spent:g}/{s.delta_cap:g}",
        ]
        for s in report
    ]
    emit(
        output_format,
        list(report),
        columns=["dataset", "requester", "epsilon spent/cap", "delta spent/cap"],
        rows=rows,
        empty="no budget caps set (govshare budget set DATASET --epsilon E)",
    )


@budget.command("set")
@db_option
@click.argument("dataset")
@click.option("--epsilon", type=float, required=True, help="Epsilon cap.")
@click.option("--delta", type=float, default=0.0, show_default=True, help="Delta cap.")
@click.option("--requester", help="Cap one analyst or department (default: everyone together).")
def set_(url: str, dataset: str, epsilon: float, delta: float, requester: str | None) -> None:
    """Set (or change) the cap of DATASET; what was spent is kept."""
    with open_workspace(url) as ws:
        s = ws.budgets.set(dataset, epsilon=epsilon, delta=delta, requester=requester)
    click.echo(
        f"{s.dataset}\t{s.requester}\tepsilon cap {s.epsilon_cap:g}\tdelta cap {s.delta_cap:g}"
    )


def _keys(parts: list[str], kind: str) -> list[object]:
    if kind in "iu":
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise InputError("--key values must be integers for an integer column") from None
    return list(parts)


def _bounds(bounds: tuple[float, float] | None) -> tuple[float, float]:
    if bounds is None:
        raise InputError("--sum and --mean need --bounds LO HI")
    return bounds
