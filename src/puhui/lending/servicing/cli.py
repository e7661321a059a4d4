"""`puhui lending ...`: servicing commands — who the automatic limit increase would raise
(`limit-increase --date D --dry-run`), queue the servicing notices' SMS (`notify`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

lending_app = typer.Typer(
    help="贷后服务 Servicing: automatic limit increase, notices, loan-level export.",
    no_args_is_help=True,
)
console = Console()


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}[/red]")
        raise typer.Exit(2) from None


@lending_app.command("limit-increase")
def limit_increase_cmd(
    day_text: Annotated[
        str, typer.Option("--date", help="营业日期 business date (Asia/Shanghai) YYYY-MM-DD")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print who would get what; change nothing")
    ] = False,
) -> None:
    """自动授信增额 with the active rules: --dry-run prints who would get what (last line: a
    JSON list); without it the increase is applied (the end of day runs it too)."""
    from puhui.core.db import unit_of_work
    from puhui.core.money import format_fen
    from puhui.core.runtime import build_runtime
    from puhui.lending.servicing import eod, limit_rules

    day = _parse_date(day_text)
    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        rules = limit_rules.active_rules(session)
        planned = eod.plan_limit_increase(session, day, rules)
        if not dry_run:
            eod.limit_increase_day(session, rt.clock, day)
    table = Table(title=f"自动授信增额 Limit increase {day} ({rules.name})")
    for col in ("line", "old limit", "new limit"):
        table.add_column(col)
    for p in planned:
        table.add_row(p.reference, format_fen(p.old_limit_fen), format_fen(p.new_limit_fen))
    console.print(table)
    console.print("试运行，未作更改 / dry run: nothing changed" if dry_run else "已提额 / applied")
    rows = [
        {"line": p.reference, "old_limit_fen": p.old_limit_fen, "new_limit_fen": p.new_limit_fen}
        for p in planned
    ]
    typer.echo(json.dumps(rows, ensure_ascii=False))


@lending_app.command("notify")
def notify_cmd() -> None:
    """Queue the SMS of the servicing notices not yet sent (maturity, limit increase)."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.lending.servicing import eod

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        queued = eod.notify_pending(session, rt.clock, rt.cipher)
    console.print(f"已排队短信 queued {queued} message(s)")


calendar_app = typer.Typer(
    help="工作日历 The Chinese working-day calendar (holidays, 调休, the bank's overrides).",
    no_args_is_help=True,
)


@calendar_app.command("working-days")
def working_days_cmd(
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="calendar year")],
) -> None:
    """The year's working days (public holidays off, adjusted working weekends on, the bank's
    overrides applied); the last line is a JSON list of ISO dates."""
    from puhui.core.runtime import build_runtime
    from puhui.lending.servicing.calendar_store import calendar_for

    rt = build_runtime()
    with rt.session_factory() as session:
        cal = calendar_for(session)
    days = cal.working_days(year)
    if not cal.known_by_package(date(year, 1, 1)):
        console.print(
            f"[yellow]{year}: 法定节假日尚未收录，仅按周末及本行维护的调整 / holidays not in the "
            "package yet: weekends and the bank's overrides only[/yellow]"
        )
    console.print(f"{year}: {len(days)} 个工作日 working days")
    typer.echo(json.dumps([d.isoformat() for d in days]))
