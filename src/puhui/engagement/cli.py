"""`puhui engagement ...`: the daily segments of a business date, and a pre-screening of a CSV
list on the configured batch engine (embedded, or Spark at PUHUI_SPARK_MASTER)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

engagement_app = typer.Typer(
    help="主动服务 Proactive service: segments and batch pre-screening.", no_args_is_help=True
)
console = Console()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {text}[/red]")
        raise typer.Exit(2) from None


@engagement_app.command("segments")
def segments_cmd(
    on: Annotated[str, typer.Option("--date", help="business date YYYY-MM-DD")],
) -> None:
    """Segment every enterprise on a business date (once per date; re-running changes nothing)."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.engagement import service

    day = _day(on)
    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        run = service.run_segments(session, rt.clock, day)
        counts = dict(run.counts)
    for name, c in counts.items():
        console.print(f"{name}: {c['members']} (+{c['entered']} / -{c['left']})")


@engagement_app.command("prescreen")
def prescreen_cmd(
    csv: Annotated[Path, typer.Option("--csv", help="the list (CSV), see docs/engagement.md")],
    kind: Annotated[str, typer.Option(help="own_customers | registry_region | dealer_list")],
    name: Annotated[str, typer.Option(help="the list's name")] = "",
    core_uscc: Annotated[str, typer.Option(help="a dealer list's core enterprise")] = "",
    agreement: Annotated[str, typer.Option(help="its data agreement reference")] = "",
    engine: Annotated[str, typer.Option(help="embedded | spark (default: setting)")] = "",
) -> None:
    """Pre-screen a list with the active scorecard and policy; offers are invitations only."""
    import polars as pl

    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning.scoring import store_for
    from puhui.engagement import service
    from puhui.engagement.engines import Engine
    from puhui.engagement.prescreen import ListKind
    from puhui.parties import service as parties_service

    rt = build_runtime()
    text = dict.fromkeys(("enterprise_key", "industry_code", "contact_mobile"), pl.Utf8)
    frame = pl.read_csv(csv, schema_overrides=text)
    with unit_of_work(rt.session_factory) as session:
        core = parties_service.find_enterprise(session, core_uscc) if core_uscc else None
        run = service.run_prescreen(
            session,
            rt.clock,
            store_for(rt.settings.resolved_var_dir() / "models"),
            service.PrescreenRequest(
                kind=ListKind(kind),
                list_name=name or csv.name,
                frame=frame,
                engine=Engine(engine or rt.settings.batch_engine),
                core_enterprise_id=core.id if core else None,
                agreement_ref=agreement or None,
                spark_master=rt.settings.spark_master,
            ),
            mobile_hash=lambda m: rt.cipher.lookup_hash(str(m), "mobile"),
        )
        summary = (run.rows_total, run.offers_count, run.green_count, run.engine)
    console.print(
        f"{summary[0]} rows, {summary[1]} offers, {summary[2]} green ({summary[3]} engine)"
    )


@engagement_app.command("eod")
def eod_cmd(
    on: Annotated[str, typer.Option("--date", help="business date YYYY-MM-DD")],
) -> None:
    """Engagement's end of day (segments, campaign conversions, call tasks) as a recorded run;
    run it after `puhui eod run`. A completed date is not run again."""
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.engagement import eod

    rt = build_runtime()
    try:
        result = eod.run_eod(rt.session_factory, rt.clock, _day(on), rt.cipher)
    except DomainError as refused:
        console.print(f"[red]{refused.message('zh')}[/red]\n[red]{refused.message('en')}[/red]")
        raise typer.Exit(1) from None
    if result.already_completed:
        console.print(f"{on} 已完成，未重复运行 / already completed: nothing changed")
        return
    for step in result.steps:
        console.print(f"{step.name}: {step.items}")


@engagement_app.command("campaigns")
def campaigns_cmd() -> None:
    """Send the approved campaigns that are due and the SMS the quiet hours held back (run it
    from a scheduler every few minutes, like `puhui outbox dispatch`)."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.engagement import campaigns

    rt = build_runtime()
    cap = rt.settings.campaign_cap_per_30_days
    with rt.session_factory() as session:
        due = campaigns.due_campaigns(session, rt.clock)
    for campaign_id in due:
        result = campaigns.run_send(rt.session_factory, rt.clock, rt.cipher, campaign_id, cap)
        console.print(f"{campaign_id}: {dict(result.steps[0].totals) if result.steps else {}}")
    with unit_of_work(rt.session_factory) as session:
        released = campaigns.release_deferred(session, rt.clock, rt.cipher, cap)
    console.print(f"deferred SMS sent: {released}")
