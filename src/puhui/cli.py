"""The `puhui` command line (Typer)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from puhui.wiring import wire

app = typer.Typer(
    help="普惠 Puhui — contactless digital finance for small and micro enterprises.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
users_app = typer.Typer(help="Staff and borrower accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="Outgoing messages (SMS): send what is due, retry, show the queue.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(outbox_app, name="outbox")

console = Console()


def _runtime():  # type: ignore[no-untyped-def]
    from puhui.core.runtime import build_runtime

    return build_runtime()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head) on PUHUI_DATABASE_URL."""
    from puhui.core.config import get_settings
    from puhui.core.migrate import upgrade

    url = get_settings().database_url
    upgrade(url, revision)
    console.print(f"[green]schema at {revision}[/green] ({url.split('@')[-1]})")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[
        str,
        typer.Option(
            help="admin, customer_manager, credit_officer, "
            "risk_officer, service_rep, auditor, borrower"
        ),
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: str | None = None,
    branch: str | None = None,
) -> None:
    """Create a user with a role."""
    from puhui.core import auth
    from puhui.core.db import unit_of_work
    from puhui.core.errors import DomainError
    from puhui.core.models import Role

    rt = _runtime()
    try:
        role_value = Role(role)
    except ValueError:
        console.print(f"[red]未知角色 unknown role: {role}[/red]")
        raise typer.Exit(2) from None
    try:
        with unit_of_work(rt.session_factory) as session:
            auth.create_user(
                session,
                rt.clock,
                username=username,
                password=password,
                role=role_value,
                display_name=display_name,
                branch=branch,
            )
    except DomainError as exc:
        console.print(f"[red]{exc.message('zh')} / {exc.message('en')}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]created {username} ({role_value.value})[/green]")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; name the first edited or deleted row. Exit 1 if broken."""
    from puhui.core import audit

    rt = _runtime()
    with rt.session_factory() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"[green]audit chain intact[/green]: {result.rows_checked} rows")
        return
    console.print(
        f"[red]audit chain broken[/red] at row id={result.bad_id} seq={result.bad_seq}: "
        f"{result.reason}"
    )
    raise typer.Exit(1)


@outbox_app.command("dispatch")
def outbox_dispatch(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="messages per run")] = 500,
) -> None:
    """Send the pending messages that are due (run it every minute from a scheduler): retries
    after a gateway's temporary error, gives up after the last attempt, never sends an expired
    one-time code. Sends through the configured channel (PUHUI_SMS_CHANNEL: the HTTP gateway, or
    the sandbox in development/demo/test, where no real SMS leaves this command)."""
    from puhui.core import outbox, sms

    rt = _runtime()
    channels = sms.build_channels(rt.settings, rt.cipher, rt.clock)
    report = outbox.dispatch_pending(
        rt.session_factory, channels, cipher=rt.cipher, clock=rt.clock, limit=limit
    )
    console.print(
        f"已发送 sent {report.sent} · 待重试 retry {report.retry} · 失败 failed {report.failed}"
        f" · 已过期 expired {report.expired}"
        + (f"  [dim]({outbox.SANDBOX_NOTE})[/dim]" if sms.is_sandbox(channels[outbox.SMS]) else "")
    )


@outbox_app.command("status")
def outbox_status() -> None:
    """Messages by status, and how many pending ones are due now."""
    from sqlalchemy import func, select

    from puhui.core import outbox
    from puhui.core.models import OutboxMessage

    rt = _runtime()
    now = rt.clock.now()
    with rt.session_factory() as session:
        counts = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        due = session.scalar(select(func.count()).where(outbox.due(now)))
    table = Table("状态 status", "条数 messages")
    for status in (outbox.PENDING, outbox.SENT, outbox.FAILED):
        table.add_row(status, str(counts.get(status, 0)))
    console.print(table)
    console.print(f"现在可发送 due now: {due or 0}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
) -> None:
    """Run the web server (API under /api/v1, console under /console, mobile under /m)."""
    from puhui.core.serving import serve as run_server

    run_server(
        "puhui.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    enterprises: int = 300,
    seed: int = 20261123,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="build the demo, do not serve")
    ] = False,
) -> None:
    """Build a fresh demo database (SQLite) with demo staff and data, then serve it."""
    from puhui.demo.world import build_demo

    var = Path(os.environ.get("PUHUI_VAR_DIR", "./var"))
    db_path = var / "demo.db"
    os.environ["PUHUI_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("PUHUI_COOKIE_SECURE", "false")
    from puhui.core.config import get_settings

    get_settings.cache_clear()
    logins = build_demo(db_path, enterprises=enterprises, seed=seed)
    table = Table(title="演示账号 Demo logins (password for all: see below)")
    table.add_column("角色 role")
    table.add_column("用户名 username")
    table.add_column("密码 password")
    for role, username, password in logins:
        table.add_row(role, username, password)
    console.print(table)
    base = f"http://{host}:{port}"
    console.print(f"[bold]Open[/bold] {base}/console/  (staff console)")
    console.print(f"[bold]API docs[/bold] {base}/docs")
    certificates, cores = _demo_certificates()
    if certificates:
        console.print(
            f"[bold]应收款链 Supply-chain receivables[/bold] {certificates} certificates of "
            f"{cores} core enterprises: {base}/console/receivables (log in as risk) · "
            f"{base}/m/receivables (log in as borrower)"
        )
    manager_ref = _demo_manager_ref()
    if manager_ref:
        console.print(
            f"[bold]申请入口 Applicant journey (客户经理二维码 manager's QR)[/bold] "
            f"{base}/m/start?ref={manager_ref}  — QR image: {base}/console/qr (log in as manager)"
        )
    if no_serve:
        return
    serve(host=host, port=port, workers=1)


def _demo_manager_ref() -> str | None:
    """The attribution code of the demo customer manager's personal QR code."""
    from sqlalchemy import select

    from puhui.core.models import User
    from puhui.web.qr import personal_ref

    rt = _runtime()
    with rt.session_factory() as session:
        user_id = session.scalar(select(User.id).where(User.username == "manager"))
    rt.engine.dispose()
    return personal_ref(user_id) if user_id else None


def _demo_certificates() -> tuple[int, int]:
    """How many supply-chain certificates the demo made, and of how many core enterprises."""
    from puhui.demo.receivables import CORES, certificate_count

    rt = _runtime()
    with rt.session_factory() as session:
        count = certificate_count(session)
    rt.engine.dispose()
    return count, len(CORES)


def _mount_optional() -> None:
    """Domain sub-commands, added as their domains land."""
    from puhui.ledger.cli import ledger_app

    app.add_typer(ledger_app, name="ledger")
    from puhui.lending.contracts.cli import contracts_app

    app.add_typer(contracts_app, name="contracts")
    from puhui.datahub.world.cli import world_app

    app.add_typer(world_app, name="world")
    from puhui.decisioning.cli import decisions_app

    app.add_typer(decisions_app, name="decisions")
    from puhui.decisioning.world_training import train_on_world
    from puhui.scorecards.cli import model_app, use_world_trainer

    use_world_trainer(train_on_world)  # `model train --world-enterprises`: decisioning's features
    app.add_typer(model_app, name="model")
    from puhui.receivables.cli import receivables_app

    app.add_typer(receivables_app, name="receivables")
    from puhui.lending.cli import eod_app

    app.add_typer(eod_app, name="eod")


_mount_optional()
wire()  # every command runs with the domain events' handlers subscribed (puhui.wiring)
if __name__ == "__main__":
    app()
