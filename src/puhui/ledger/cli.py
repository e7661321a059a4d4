"""`puhui ledger ...`: the trial balance and a check of cached balances."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from puhui.core.money import format_fen

ledger_app = typer.Typer(help="The double-entry money ledger.", no_args_is_help=True)
console = Console()


@ledger_app.command("trial-balance")
def trial_balance_cmd(
    as_of: Annotated[str, typer.Option("--date", help="business date YYYY-MM-DD")],
) -> None:
    """Debits and credits per account up to a business date; exit 1 if they do not balance."""
    from puhui.core.runtime import build_runtime
    from puhui.ledger import service

    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {as_of}[/red]")
        raise typer.Exit(2) from None
    rt = build_runtime()
    with rt.session_factory() as session:
        tb = service.trial_balance(session, day)
        stale = service.verify_cached_balances(session)
    table = Table(title=f"试算平衡表 Trial balance — {day}")
    for col in ("科目 account", "借方 debits", "贷方 credits", "余额 balance"):
        table.add_column(col, justify="right" if col != "科目 account" else "left")
    for r in tb.rows:
        table.add_row(
            f"{r.code} {r.name_zh}",
            format_fen(r.debits_fen),
            format_fen(r.credits_fen),
            format_fen(r.balance_fen),
        )
    table.add_row(
        "合计 total", format_fen(tb.total_debits_fen), format_fen(tb.total_credits_fen), ""
    )
    console.print(table)
    if stale:
        console.print(f"[red]cached balances differ from postings: {stale[:5]}[/red]")
    if not tb.balanced or stale:
        console.print("[red]NOT BALANCED[/red]")
        raise typer.Exit(1)
    console.print("[green]balanced[/green]")
