"""``puhui world``: generate the synthetic SME world and print its statistics.

Mount on the root CLI with ``app.add_typer(world_app, name="world")``.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from puhui.datahub.world.generator import DEFAULT_AS_OF, generate_world
from puhui.datahub.world.model import World
from puhui.datahub.world.stats import world_stats

world_app = typer.Typer(
    help="Synthetic SME world behind the sandbox data sources (合成企业世界).",
    no_args_is_help=True,
)
console = Console()

EnterprisesOpt = Annotated[
    int, typer.Option("--enterprises", "-n", min=1, help="Number of enterprises to generate.")
]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", help="Random seed; same seed, same world.")]
MonthsOpt = Annotated[
    int, typer.Option("--months", min=26, max=120, help="Observed months before --as-of.")
]


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD") from exc


AsOfOpt = Annotated[
    str, typer.Option("--as-of", help="Observation date (YYYY-MM-DD); outcomes follow it.")
]


def _generate(n: int, seed: int, months: int, as_of: str) -> World:
    with console.status(f"Generating {n:,} enterprises (seed {seed}) ..."):
        started = time.perf_counter()
        world = generate_world(n, seed, months=months, as_of=_parse_date(as_of))
        seconds = time.perf_counter() - started
    console.print(f"Generated {n:,} enterprises in {seconds:.1f} s ({n / seconds:,.0f}/s).")
    return world


@world_app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the parquet files.")],
    enterprises: EnterprisesOpt = 10_000,
    seed: SeedOpt = 20261123,
    months: MonthsOpt = 36,
    as_of: AsOfOpt = DEFAULT_AS_OF.isoformat(),
) -> None:
    """Generate a world and write one parquet file per frame plus world.json."""
    world = _generate(enterprises, seed, months, as_of)
    path = world.save(out)
    table = Table(title=f"World written to {path}")
    table.add_column("frame")
    table.add_column("rows", justify="right")
    for name, frame in world.frames().items():
        table.add_row(name, f"{frame.height:,}")
    console.print(table)
    console.print(f"fingerprint: {world.fingerprint()}")


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_format(v)}" for k, v in value.items())
    return str(value)


@world_app.command()
def stats(
    path: Annotated[
        Path | None, typer.Option("--path", "-p", help="A directory written by `generate`.")
    ] = None,
    enterprises: EnterprisesOpt = 5_000,
    seed: SeedOpt = 20261123,
    months: MonthsOpt = 36,
    as_of: AsOfOpt = DEFAULT_AS_OF.isoformat(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    auc: Annotated[
        bool, typer.Option("--auc/--no-auc", help="Fit the reference logistic scorecard.")
    ] = True,
) -> None:
    """Print default and fraud rates, source correlations and mixes of a world.

    Reads --path when given, otherwise generates --enterprises with --seed.
    """
    world = World.load(path) if path else _generate(enterprises, seed, months, as_of)
    figures = world_stats(world, include_auc=auc)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Synthetic world (seed {world.seed}, as of {world.as_of})")
    table.add_column("statistic")
    table.add_column("value", overflow="fold")
    for key, value in figures.items():
        table.add_row(key, _format(value))
    console.print(table)
