"""`puhui risk monitor --date D`: the post-loan monitoring run of a business date (mounted on
R1a's `risk_app` by the root CLI). A recorded job: a completed date is not run again; a run
stopped half-way resumes from its last committed batch."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()


def monitor(
    day_text: Annotated[
        str, typer.Option("--date", help="营业日期 business date (Asia/Shanghai) YYYY-MM-DD")
    ],
) -> None:
    """Pull every enterprise with exposure that is due (monthly on its stagger day, weekly on
    the watch list) under its post-loan monitoring consent, evaluate the warning signals and
    rules, open alerts and take the rules' automatic actions. Enterprises without a live
    consent are recorded as unmonitored and never pulled."""
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.datahub.connectors import build_connectors
    from puhui.risk.monitoring import MonitorEnv, run_monitor

    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {day_text}[/red]")
        raise typer.Exit(2) from None
    rt = build_runtime()
    try:
        result = run_monitor(rt.session_factory, rt.clock, MonitorEnv(build_connectors(),
                                                                      rt.cipher), day)  # fmt: skip
    except DomainError as exc:
        console.print(f"[red]{exc.message('zh')} / {exc.message('en')}[/red]")
        raise typer.Exit(1) from None
    if result.already_completed:
        console.print(f"{day} 已完成，未重复执行 / already completed, nothing done")
    for step in result.steps:
        figures = ", ".join(f"{k}={v}" for k, v in sorted(step.totals.items()))
        console.print(f"{step.name}: {step.items} enterprises · {figures}")


def eod_monitor_step(rt: Any, day: date) -> Any:
    """Monitoring as a step of `puhui eod run` (``lending.cli.EXTRA_STEPS``): the same staggered
    pulls as `puhui risk monitor`, inside the end of day's recorded job. Idempotent per
    enterprise and date, so running both on one date changes nothing the second time."""
    from puhui.datahub.connectors import build_connectors
    from puhui.risk.monitoring import MonitorEnv, MonitorStep

    return MonitorStep(rt.clock, MonitorEnv(build_connectors(), rt.cipher), day)
