"""`puhui eod ...`: run the end of day for a business date, and show the recorded runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

eod_app = typer.Typer(
    help="日终批处理 End of day: accrual, billing, penalty, dpd, classification, auto-debit.",
    no_args_is_help=True,
)
console = Console()


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {value}[/red]")
        raise typer.Exit(2) from None


# Steps of higher layers that `puhui eod run` runs after lending's own and before the
# reconciliation gate -- risk's post-loan monitoring (registered by puhui/cli.py; lending may not
# import risk): factory(runtime, day) -> a `jobs.runner` step.
EXTRA_STEPS: list[Callable[[Any, date], Any]] = []
# Recorded jobs of domains above lending that run after the end of day closed the date (or found
# it closed), each idempotent per date -- engagement's segments, conversions and tasks
# (registered by puhui/cli.py): job(runtime, day).
AFTER_JOBS: list[Callable[[Any, date], Any]] = []


def run_steps(rt: Any, day: date, *, batch_size: int = 20_000, workers: int = 1) -> list[Any]:
    """The steps of `puhui eod run` for business date `day`: lending's end of day with the
    registered ``EXTRA_STEPS`` placed just before the reconciliation gate (which stays last)."""
    from puhui.lending import eod
    from puhui.lending.payouts import ReconciliationGateStep

    steps = eod.eod_steps(rt.clock, day, batch_size=batch_size, workers=workers,
                          **eod.policy_from_settings(rt.settings))  # fmt: skip
    extra = [factory(rt, day) for factory in EXTRA_STEPS]
    gate = [s for s in steps if isinstance(s, ReconciliationGateStep)]
    return [*(s for s in steps if not isinstance(s, ReconciliationGateStep)), *extra, *gate]


@eod_app.command("run")
def run_cmd(
    day_text: Annotated[
        str, typer.Option("--date", help="营业日期 business date (Asia/Shanghai) YYYY-MM-DD")
    ],
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="loans per batch (one commit each)")
    ] = 20_000,
    pause_ms: Annotated[
        int, typer.Option("--pause-ms", min=0, help="sleep between batches (yield to traffic)")
    ] = 0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=8,
            help="PostgreSQL connections sharing each accrual batch (SQLite: always 1)",
        ),
    ] = 2,
) -> None:
    """Run (or resume) the end of day for --date. A completed date is not run again; a date
    earlier than the last completed run is refused (exit 1)."""
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.jobs.runner import run_job
    from puhui.lending import eod

    day = _parse_date(day_text)
    rt = build_runtime()
    steps = run_steps(rt, day, batch_size=batch_size, workers=min(workers, batch_size))
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: str, items: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total or None)
            elif total is not None:
                bar.update(tasks[step], total=total)
            if items:
                bar.advance(tasks[step], items)
            if pause_ms and items:
                time.sleep(pause_ms / 1000)

        started = time.perf_counter()
        try:
            result = run_job(rt.session_factory, rt.clock, eod.JOB_NAME, day, steps, progress)
        except DomainError as refused:
            console.print(f"[red]{refused.message('zh')}[/red]\n[red]{refused.message('en')}[/red]")
            raise typer.Exit(1) from None
        for task_id in tasks.values():
            task = bar.tasks[task_id]
            bar.update(task_id, total=task.completed or 1, completed=task.completed or 1)
    elapsed = time.perf_counter() - started
    _queue_notices(rt)  # servicing's notices of the day: the borrowers' SMS (issue 17)
    for job in AFTER_JOBS:
        try:
            job(rt, day)
        except DomainError as refused:  # e.g. a later date already done: the close stands
            console.print(f"[yellow]{refused.message('zh')}\n{refused.message('en')}[/yellow]")
    if result.already_completed:
        console.print(f"{day} 已完成，未重复运行 / already completed: nothing changed")
        return
    console.print(
        f"日终完成 EOD {day} in {elapsed:.1f}s (attempt {result.attempts}): "
        f"interest {result.total('interest_fen')} fen, penalty {result.total('penalty_fen')} fen, "
        f"compound {result.total('compound_fen')} fen, "
        f"billed {result.total('instalments_billed')}, auto-debits {result.total('auto_debits')}, "
        f"lines expired {result.total('lines_expired')}, "
        f"offers lapsed {result.total('offers_expired')}, "
        f"contracts expired {result.total('contracts_expired')}, "
        f"non-accrual entered {result.total('non_accrual_entered')}, "
        f"cured {result.total('non_accrual_cured')}, "
        f"provision {result.total('provision_fen')} fen, "
        f"released {result.total('provision_released_fen')} fen"
    )


def _queue_notices(rt: Any) -> None:
    from puhui.core.db import unit_of_work
    from puhui.lending.servicing.eod import notify_pending

    with unit_of_work(rt.session_factory) as session:
        notify_pending(session, rt.clock, rt.cipher)


@eod_app.command("status")
def status_cmd(
    limit: Annotated[int, typer.Option(help="most recent runs to show")] = 10,
) -> None:
    """The recorded end-of-day runs, newest first, with their steps and checkpoints."""
    from puhui.core.runtime import build_runtime
    from puhui.jobs.runner import runs, steps_of
    from puhui.lending import eod

    rt = build_runtime()
    table = Table(title="日终运行 End-of-day runs")
    for col in ("date", "status", "attempts", "step", "step status", "batches", "items", "cursor"):
        table.add_column(col)
    with rt.session_factory() as session:
        for run in runs(session, eod.JOB_NAME, limit):
            first = True
            for s in steps_of(session, run.id):
                table.add_row(
                    str(run.business_date) if first else "",
                    run.status if first else "",
                    str(run.attempts) if first else "",
                    s.step,
                    s.status,
                    str(s.batches),
                    str(s.items),
                    (s.cursor or "")[:13],
                )
                first = False
    console.print(table)
