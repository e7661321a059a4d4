"""`puhui risk ...`: post-loan risk commands. `evaluate` needs no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

risk_app = typer.Typer(
    help="贷后风险 / post-loan risk: early-warning evaluation on a synthetic world.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@risk_app.callback()
def _group() -> None:
    """贷后风险 / post-loan risk."""


@risk_app.command("evaluate")
def evaluate(
    world_seed: Annotated[int, typer.Option(help="seed of the synthetic world")] = 101,
    enterprises: Annotated[int, typer.Option(min=50, help="SMEs in the world")] = 5000,
    rules: Annotated[
        Path | None, typer.Option(help="a warning-rules JSON document (default: the seed rules)")
    ] = None,
) -> None:
    """Book loans on a synthetic world with the seed credit policy, let the world live on for
    twelve months, monitor it monthly with the warning rules, and score the warnings against the
    true default months: recall_60d, median_lead_days, false_alert_rate,
    alerts_per_100_loans_month, and the same for a days-past-due-only baseline. Prints the
    figures, then one JSON line."""
    from puhui.risk.evaluate import evaluate_world
    from puhui.risk.rules import validate_rules

    doc = None
    if rules is not None:
        doc = json.loads(rules.read_text(encoding="utf-8"))
        if issues := validate_rules(doc):
            console.print("规则文档无效 / invalid rules document:", *issues, sep="\n  ")
            raise typer.Exit(2)
    result = evaluate_world(world_seed, enterprises, doc,
                            progress=lambda step: console.print(f"· {step}"))  # fmt: skip
    f = result.figures
    print(f"world seed {f['world_seed']}: {f['booked_loans']} loans booked of "
          f"{f['enterprises']} SMEs, {f['defaulters']} default within 12 months "
          f"({f['fraud_defaulters']} fraud-driven, {f['no_warning_defaulters']} with no distress "
          f"spell before it, {f['missed_payment_first_3m']} stopped paying in the first three "
          f"months); default month = the instalment never paid")  # fmt: skip
    print(f"rules {f['rules']}, signal set {f['signal_set']}")
    print(f"{'':28}{'rules':>10}{'dpd only':>10}")
    for key in ("recall_60d", "median_lead_days", "false_alert_rate", "alerts_per_100_loans_month"):
        print(f"{key:28}{_fmt(f[key]):>10}{_fmt(f['dpd_' + key]):>10}")
    late = "recall_60d_before_90dpd"
    print(f"{'recall_60d before 90 dpd':28}{_fmt(f[late]):>10}{_fmt(f['dpd_' + late]):>10}")
    print("  (the product's default day, weaker)")
    print(result.json_line())


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
