"""`puhui collections run --date D`: the daily collections job (queue, promises, reminders)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

collections_app = typer.Typer(
    help="催收 Collections: refresh the queue by dpd bucket, decide promises, send reminders.",
    no_args_is_help=True,
)
console = Console()


@collections_app.command("run")
def run_cmd(
    day_text: Annotated[
        str, typer.Option("--date", help="营业日期 business date (Asia/Shanghai) YYYY-MM-DD")
    ],
) -> None:
    """Run the collections job for --date (after that date's end of day). Re-running a date
    sends no reminder twice."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.risk import collections

    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {day_text}[/red]")
        raise typer.Exit(2) from None
    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        totals = collections.run_day(session, rt.clock, rt.cipher, day)
    console.print(
        f"催收 collections {day}: opened {totals['cases_opened']}, "
        f"escalated {totals['cases_escalated']}, closed {totals['cases_closed']}, "
        f"promises kept {totals['promises_kept']}, broken {totals['promises_broken']}, "
        f"reminders {totals['reminders']}"
    )
