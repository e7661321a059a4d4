"""`puhui receivables ...`: export the log, verify an export, publish a checkpoint, check the
stored tree, run the maturity job or the recorded day job, name the log."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

receivables_app = typer.Typer(
    help="应收款链 The supply-chain receivables log: export, independent verification, "
    "checkpoints.",
    no_args_is_help=True,
)
console = Console()


def _fail(exc: Exception) -> typer.Exit:
    message = getattr(exc, "message", None)
    if callable(message):
        console.print(f"[red]{message('zh')} / {message('en')}[/red]")
    else:
        console.print(f"[red]{exc}[/red]")
    return typer.Exit(1)


def _parse_day(day: str | None) -> date | None:
    """--date as a date (None when not given); exit 2 with a message when it is not one."""
    try:
        return date.fromisoformat(day) if day else None
    except ValueError:
        console.print(f"[red]日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {day}[/red]")
        raise typer.Exit(2) from None


@receivables_app.command("export")
def export_cmd(
    directory: Annotated[Path, typer.Argument(help="directory to write (created if missing)")],
    checkpoint: Annotated[
        bool,
        typer.Option(
            "--checkpoint/--no-checkpoint",
            help="publish a checkpoint of the current tree first, so the export is fully signed",
        ),
    ] = True,
) -> None:
    """Write the log as an export directory (log.json, keys.json, statements.jsonl,
    checkpoints.jsonl) that `puhui receivables verify` or an auditor's copy of the verifier checks
    on its own."""
    from puhui.core.db import unit_of_work
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.receivables import service

    rt = build_runtime()
    try:
        if checkpoint:
            with unit_of_work(rt.session_factory) as session:
                service.publish_checkpoint(session, rt.clock, rt.cipher)
        with rt.session_factory() as session:
            out = service.export_log(session, directory)
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(
        f"[green]exported[/green] {out.entries} entries, {out.checkpoints} checkpoints, "
        f"{out.keys} keys → {out.directory}\nroot {out.root}"
    )


@receivables_app.command("verify")
def verify_cmd(
    directory: Annotated[Path, typer.Argument(help="an export directory")],
    trusted: Annotated[
        list[Path] | None,
        typer.Option("--trusted", help="a signed checkpoint you kept earlier (repeatable)"),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="signature-checking processes")] = None,
    lang: Annotated[str | None, typer.Option(help="zh or en (default: both)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Verify an export with the independent verifier (no database): signatures, Merkle tree,
    signed checkpoints, consistency, business rules. Exit 0 if it verifies, 1 otherwise."""
    from puhui.receivables.verifier import verify

    if lang not in (None, "zh", "en"):
        console.print("[red]--lang must be zh or en[/red]")
        raise typer.Exit(2)
    report = verify(directory, workers=workers, trusted=[str(t) for t in trusted or []])
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.render(lang))  # type: ignore[arg-type]
    raise typer.Exit(0 if report.ok else 1)


@receivables_app.command("checkpoint")
def checkpoint_cmd() -> None:
    """Sign the current tree head with the log key (no-op if the log has not grown)."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.receivables import service

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        out = service.publish_checkpoint(session, rt.clock, rt.cipher)
    typer.echo(out.note, nl=False)


@receivables_app.command("check")
def check_cmd() -> None:
    """Recompute the tree from the stored entries; compare leaf hashes, nodes, the head root and
    checkpoint roots. Exit 1 on any difference."""
    from puhui.core.runtime import build_runtime
    from puhui.receivables import service

    rt = build_runtime()
    with rt.session_factory() as session:
        out = service.check_log(session)
    if out.ok:
        console.print(f"[green]log consistent[/green]: {out.size} entries, root {out.stored_root}")
        return
    console.print(f"[red]log inconsistent[/red] ({out.size} entries)")
    for p in out.problems[:50]:
        console.print(f"  - {p}")
    raise typer.Exit(1)


@receivables_app.command("maturity")
def maturity_cmd(
    day: Annotated[
        str | None, typer.Option("--date", help="business date (default: today)")
    ] = None,
) -> None:
    """Maturity and amortization now, in one transaction, not recorded as a run: auto-debit
    certificates due, mark the unpaid ones overdue (with an early-warning signal), bring
    penalties and discount amortization up to date. The scheduled day job is `eod`."""
    from puhui.core.db import unit_of_work
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.receivables import service

    when = _parse_day(day)
    rt = build_runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            out = service.run_maturity(session, rt.clock, rt.cipher, when)
            recognized = service.amortize_discounts(session, rt.clock, out.business_date)
    except DomainError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(out.model_dump(mode="json") | {"amortized_fen": recognized}))


@receivables_app.command("eod")
def eod_cmd(
    day: Annotated[
        str | None,
        typer.Option("--date", help="营业日期 business date (Asia/Shanghai), default today"),
    ] = None,
) -> None:
    """The recorded day job 应收款链日终 for --date: maturity (auto-debit, overdue, penalties) →
    discount amortization → a signed checkpoint. A completed date is not run again; a date
    earlier than the last completed run, or after today, is refused (exit 1)."""
    from puhui.core.clock import business_date
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.receivables import eod

    when = _parse_day(day)
    rt = build_runtime()
    when = when or business_date(rt.clock)
    try:
        result = eod.run_eod(rt.session_factory, rt.clock, rt.cipher, when)
    except DomainError as exc:
        raise _fail(exc) from None
    if result.already_completed:
        console.print(f"{when} 已完成，未重复运行 / already completed: nothing changed")
        return
    console.print(
        f"应收款链日终完成 receivables EOD {when} (attempt {result.attempts}): "
        f"paid {result.total('paid')}, overdue {result.total('overdue')}, "
        f"penalties {result.total('penalty_fen')} fen, "
        f"amortized {result.total('amortized_fen')} fen, "
        f"checkpoint size {result.total('checkpoint_size')}"
    )


@receivables_app.command("eod-status")
def eod_status_cmd(
    limit: Annotated[int, typer.Option(help="most recent runs to show")] = 10,
) -> None:
    """The recorded runs of the receivables day job, newest first, with their steps."""
    from rich.table import Table

    from puhui.core.runtime import build_runtime
    from puhui.jobs.runner import runs, steps_of
    from puhui.receivables import eod

    rt = build_runtime()
    table = Table(title="应收款链日终 Receivables day job runs")
    for col in ("date", "status", "attempts", "step", "step status", "totals"):
        table.add_column(col)
    with rt.session_factory() as session:
        for run in runs(session, eod.JOB_NAME, limit):
            for i, s in enumerate(steps_of(session, run.id)):
                table.add_row(
                    str(run.business_date) if i == 0 else "",
                    run.status if i == 0 else "",
                    str(run.attempts) if i == 0 else "",
                    s.step,
                    s.status,
                    json.dumps(s.totals or {}, sort_keys=True),
                )
    console.print(table)


@receivables_app.command("configure")
def configure_cmd(
    origin: Annotated[str, typer.Option(help="the log's name, e.g. bank.example/receivables/v1")],
    platform: Annotated[str, typer.Option(help="the platform's party code")] = "PLATFORM",
    financier: Annotated[list[str] | None, typer.Option(help="financier party codes")] = None,
    min_part_fen: Annotated[int, typer.Option(help="smallest part of a split, fen")] = 10_000,
    max_split_parts: int = 100,
    max_term_days: int = 366,
) -> None:
    """Name the log and set its rules, while it is still empty."""
    from puhui.core.db import unit_of_work
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.receivables import service
    from puhui.receivables.state import Rules

    rules = Rules(
        platform=platform,
        financiers=frozenset(financier or ["BANK"]),
        min_part_fen=min_part_fen,
        max_split_parts=max_split_parts,
        max_term_days=max_term_days,
    )
    rt = build_runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            service.configure_log(session, rt.clock, origin=origin, rules=rules)
    except (DomainError, ValueError) as exc:
        raise _fail(exc) from None
    console.print(f"[green]log {origin} configured[/green]: {json.dumps(rules.to_json())}")
