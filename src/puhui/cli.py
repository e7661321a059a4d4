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


# Commands that only read or change an existing database: on a SQLite file that is not there
# they stop with a hint instead of creating an empty file (SQLite creates one on connect).
# (`receivables` and `decisions` check per command: `receivables verify` reads an export
# folder, `decisions policy diff` may compare two files.)
NEEDS_DATABASE = frozenset({"audit", "users", "outbox", "eod", "ledger", "contracts"})
FILE_ONLY = {"receivables": {"verify"}, "decisions": {"policy"}}


@app.callback()
def main(ctx: typer.Context) -> None:
    """普惠 Puhui — contactless digital finance for small and micro enterprises."""
    _use_demo_database()
    if ctx.invoked_subcommand in NEEDS_DATABASE:
        _require_database()


def _use_demo_database() -> None:
    """With PUHUI_DATABASE_URL unset (and no TOML file), and no database at the default path,
    the commands use the one `puhui demo` built (var/demo.db), saying so on stderr."""
    from puhui.core.config import Settings, get_settings

    if "PUHUI_DATABASE_URL" in os.environ or os.environ.get("PUHUI_CONFIG_FILE"):
        return
    default = Settings.model_fields["database_url"].default
    if _sqlite_path(default).exists() or not _demo_db_path().exists():
        return
    os.environ["PUHUI_DATABASE_URL"] = f"sqlite:///{_demo_db_path()}"
    get_settings.cache_clear()
    note = f"使用演示数据库 using the demo database {_demo_db_path()}"
    Console(stderr=True).print(f"[dim]{note}[/dim]")


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///").split("?")[0])


def _require_database() -> None:
    from puhui.core.config import get_settings

    url = get_settings().database_url
    if url.startswith("sqlite:///") and not _sqlite_path(url).exists():
        Console(stderr=True).print(
            f"[red]没有数据库 no database at {_sqlite_path(url)}[/red]: run `make demo` "
            "(or `uv run puhui db upgrade`) first, or set PUHUI_DATABASE_URL"
        )
        raise typer.Exit(1)


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


@users_app.command("totp-code")
def users_totp_code(username: str) -> None:
    """Print a staff member's current authenticator code (demo and development only: it reads
    the enrolled key with the data key, which a real deployment never lets anyone do)."""
    from sqlalchemy import select

    from puhui.core import mfa
    from puhui.core.models import User

    rt = _runtime()
    if rt.settings.environment == "production":
        console.print("[red]生产环境不可用 refused in production[/red]")
        raise typer.Exit(2)
    with rt.session_factory() as session:
        user = session.scalar(select(User).where(User.username == username))
        secret = mfa.enrolled_secret(rt.cipher, user) if user else None
    if secret is None:
        console.print(f"[red]{username}: 未绑定 not enrolled[/red]")
        raise typer.Exit(1)
    print(mfa.current_code(secret, rt.clock.now()))


@users_app.command("reset-mfa")
def users_reset_mfa(username: str) -> None:
    """Forget a user's second factor and end their sessions (a lost phone and lost recovery
    codes); the next login enrols a new authenticator."""
    from sqlalchemy import select

    from puhui.core import auth, mfa
    from puhui.core.db import unit_of_work
    from puhui.core.models import User

    rt = _runtime()
    with unit_of_work(rt.session_factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            console.print(f"[red]{username}: 用户不存在 no such user[/red]")
            raise typer.Exit(1)
        mfa.reset(session, rt.clock, user)
        auth.revoke_user_sessions(session, rt.clock, user.id)
    console.print(f"[green]{username}: 第二重验证已重置 second factor reset[/green]")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain (keyed) against its signed checkpoints (the table's and the exported
    file's): names the first edited row, a deleted row, removed newest rows or a recomputed
    chain. Exit 1 if broken."""
    from puhui.core import audit

    rt = _runtime()
    with rt.session_factory() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(
            f"[green]audit chain intact[/green]: {result.rows_checked} rows, "
            f"{result.checkpoints_checked} signed checkpoints (latest at row "
            f"{result.latest_checkpoint})"
        )
        return
    console.print(
        f"[red]audit chain broken[/red] at row id={result.bad_id} seq={result.bad_seq}: "
        f"{result.reason}"
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the audit chain's head now (Ed25519) and export it to the anchor file; run it from a
    scheduler (e.g. hourly): rows newer than the last checkpoint are not yet anchored."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work

    rt = _runtime()
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        signed = audit.checkpoint(session)
    if signed is None:
        console.print("nothing new to sign")
        return
    console.print(f"[green]signed[/green] {signed.size} rows, head {signed.head[:16]}…")


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


demo_app = typer.Typer(
    help="The demo world: `puhui demo` builds and serves it; `puhui demo firms` lists the "
    "sandbox enterprises left to apply with.",
    invoke_without_command=True,
)
app.add_typer(demo_app, name="demo")


@demo_app.callback()
def demo(
    ctx: typer.Context,
    host: str = "127.0.0.1",
    port: int = 8000,
    enterprises: int = 300,
    seed: int = 20261123,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="build the demo, do not serve")
    ] = False,
) -> None:
    """Build a fresh demo database (SQLite, var/demo.db) with demo staff and data, then serve it.
    The other commands find it by themselves while PUHUI_DATABASE_URL is unset."""
    if ctx.invoked_subcommand is not None:
        return
    from puhui.demo.world import build_demo

    db_path = _demo_db_path()
    os.environ["PUHUI_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("PUHUI_COOKIE_SECURE", "false")
    from puhui.core.config import get_settings

    get_settings.cache_clear()
    logins = build_demo(db_path, enterprises=enterprises, seed=seed)
    table = Table(title="演示账号 Demo logins (password for all: see below)")
    table.add_column("角色 role")
    table.add_column("用户名 username")
    table.add_column("密码 password")
    for role, username, password, _ in logins:
        table.add_row(role, username, password)
    console.print(table)
    console.print(
        "员工登录需第二重验证 Staff sign in with a second factor: add the key to an "
        "authenticator app, or print the current code with "
        "[bold]uv run puhui users totp-code <username>[/bold] (演示 demo only). "
        "动态码密钥 TOTP keys (演示 demo):"
    )
    for _, username, _, totp_key in logins:
        if totp_key:
            print(f"  {username:<10} {totp_key}")  # plain print: never cut to the terminal
    base = f"http://{host}:{port}"
    console.print(f"[bold]Open[/bold] {base}/console/  (staff console)")
    console.print(f"[bold]API docs[/bold] {base}/docs")
    certificates, cores = _demo_certificates()
    if certificates:
        console.print(
            f"[bold]应收款链 Supply-chain receivables[/bold] {certificates} certificates of "
            f"{cores} core enterprises: {base}/console/receivables (log in as risk) · "
            f"{base}/m/receivables (sign in with the demo borrower's mobile 13800138000)"
        )
    manager_ref = _demo_manager_ref()
    if manager_ref:
        console.print(
            f"[bold]申请入口 Applicant journey (客户经理二维码 manager's QR)[/bold] "
            f"{base}/m/start?ref={manager_ref}  — QR image: {base}/console/qr (log in as manager)"
        )
    console.print(
        "[dim]其他命令自动使用演示数据库 other commands use var/demo.db while "
        "PUHUI_DATABASE_URL is unset: uv run puhui audit verify[/dim]"
    )
    if no_serve:
        return
    from puhui.core.runtime import build_runtime
    from puhui.demo.iot import start_feed

    feed, stop_feed = start_feed(build_runtime())  # the IoT collateral's live feed (issue 20)
    console.print(f"[bold]押品实时监控 Live collateral[/bold] {base}/console/collateral · {feed}")
    try:
        serve(host=host, port=port, workers=1)
    finally:
        stop_feed()


@demo_app.command("firms")
def demo_firms() -> None:
    """The sandbox enterprises nobody has applied for yet (USCC, name, legal representative,
    resident ID): apply with one at /m/start."""
    from puhui.demo.world import unused_journey_firms

    rt = _runtime()
    with rt.session_factory() as session:
        firms = unused_journey_firms(session)
    rt.engine.dispose()
    table = Table(title="沙箱企业（未申请）Sandbox enterprises not yet applied for")
    for column in ("统一社会信用代码 USCC", "企业 enterprise", "法定代表人 legal rep", "身份证 ID"):
        table.add_column(column, overflow="fold")  # whole codes, even in a narrow terminal
    for firm in firms:
        table.add_row(firm.uscc, firm.name, firm.rep_name, firm.resident_id)
    console.print(table)
    if not firms:
        console.print("全部已用完：重新运行 make demo / all used: run make demo again")


def _demo_db_path() -> Path:
    return Path(os.environ.get("PUHUI_VAR_DIR", "./var")) / "demo.db"


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


def _database_check(group: str):  # type: ignore[no-untyped-def]
    def check(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand not in FILE_ONLY[group]:
            _require_database()

    return check


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
    from puhui.decisioning.model_ops_cli import register as register_model_ops

    register_model_ops(model_app)  # monitor, alerts, retrain, candidates (issue 22, 6-7)
    from puhui.receivables.cli import receivables_app

    app.add_typer(receivables_app, name="receivables")
    for group, sub_app in (("receivables", receivables_app), ("decisions", decisions_app)):
        sub_app.callback()(_database_check(group))
    from puhui.lending.cli import eod_app

    app.add_typer(eod_app, name="eod")
    from puhui.lending.servicing.cli import calendar_app, lending_app
    from puhui.reporting.export_cli import export_cmd

    lending_app.command("export")(export_cmd)
    app.add_typer(lending_app, name="lending")
    app.add_typer(calendar_app, name="calendar")
    from puhui.risk.collections_cli import collections_app

    app.add_typer(collections_app, name="collections")
    import puhui.metadata  # noqa: F401 - `keys reencrypt` finds every encrypted column
    from puhui.flows.cli import keys_app, retention_app

    app.add_typer(keys_app, name="keys")
    app.add_typer(retention_app, name="retention")
    from puhui.risk.cli import risk_app
    from puhui.risk.monitor_cli import monitor as risk_monitor

    risk_app.command("monitor")(risk_monitor)
    from puhui.lending.cli import EXTRA_STEPS as eod_extra_steps
    from puhui.risk.monitor_cli import eod_monitor_step

    if eod_monitor_step not in eod_extra_steps:
        eod_extra_steps.append(eod_monitor_step)  # `puhui eod run` monitors too (issue 14)
    from puhui.engagement.eod import run_after_eod
    from puhui.lending.cli import AFTER_JOBS as eod_after_jobs

    if run_after_eod not in eod_after_jobs:
        eod_after_jobs.append(run_after_eod)  # then engagement's daily job (issue 18)
    app.add_typer(risk_app, name="risk")
    from puhui.assistant.cli import assistant_app

    app.add_typer(assistant_app, name="assistant")
    from puhui.engagement.cli import engagement_app

    app.add_typer(engagement_app, name="engagement")
    from puhui.demo.payments_day import payments_app

    app.add_typer(payments_app, name="payments")
    from puhui.iot.cli import iot_app

    app.add_typer(iot_app, name="iot")


_mount_optional()
wire()  # every command runs with the domain events' handlers subscribed (puhui.wiring)
if __name__ == "__main__":
    app()
