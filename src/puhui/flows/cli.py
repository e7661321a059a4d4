"""`puhui keys` (envelope encryption: rotate, re-encrypt, list) and `puhui retention run`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

keys_app = typer.Typer(
    help="Data keys of the envelope encryption: rotate, re-encrypt, list.", no_args_is_help=True
)
retention_app = typer.Typer(
    help="Retention: destroy personal data past its period (audited).", no_args_is_help=True
)
console = Console()


@keys_app.command("rotate")
def keys_rotate(
    suite: Annotated[
        str | None, typer.Option(help="aes or sm (国密 SM4); default PUHUI_CRYPTO_SUITE")
    ] = None,
    reencrypt: Annotated[
        bool, typer.Option(help="re-encrypt every encrypted column now and retire old keys")
    ] = True,
) -> None:
    """Add a data key and seal new values with it; then (by default) re-encrypt every encrypted
    column under it and retire the keys no ciphertext uses any more."""
    from puhui.core import audit, keys
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime

    rt = build_runtime()
    chosen = suite or rt.settings.crypto_suite
    if chosen not in ("aes", "sm"):
        console.print("[red]suite must be aes or sm[/red]")
        raise typer.Exit(2)
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        kid = keys.rotate(session, rt.clock, rt.cipher, chosen)
    console.print(f"[green]new active data key[/green] {kid} ({chosen})")
    if reencrypt:
        _reencrypt(rt)


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt every encrypted column under the active data key; retire unused keys."""
    from puhui.core.runtime import build_runtime

    _reencrypt(build_runtime())


def _reencrypt(rt) -> None:  # type: ignore[no-untyped-def]
    from puhui.core import audit, keys
    from puhui.core.db import unit_of_work

    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        report = keys.reencrypt(session, rt.clock, rt.cipher)
    table = Table(title=f"re-encrypted under {report.active_kid}")
    table.add_column("column")
    table.add_column("values", justify="right")
    table.add_column("re-encrypted", justify="right")
    for name, count in report.reencrypted.items():
        table.add_row(name, str(report.scanned[name]), str(count))
    console.print(table)
    console.print(f"retired: {', '.join(report.retired) or '—'}")


@keys_app.command("list")
def keys_list() -> None:
    """The data keys: id, suite, status, created, retired."""
    from puhui.core import keys
    from puhui.core.runtime import build_runtime

    rt = build_runtime()
    table = Table(title="data keys")
    for column in ("kid", "suite", "status", "created", "retired"):
        table.add_column(column)
    with rt.session_factory() as session:
        for row in keys.key_list(session):
            retired = row.retired_at.isoformat() if row.retired_at else ""
            table.add_row(row.kid, row.suite, row.status, row.created_at.isoformat(), retired)
    console.print(table)


@retention_app.command("run")
def retention_run() -> None:
    """Destroy the personal data past its retention period, class by class (PUHUI_RETENTION_*
    days); each destruction leaves an audit record. The audit trail itself is kept."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.flows import retention

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        done = retention.run(session, rt.clock, rt.settings)
    table = Table(title="保存期限到期销毁 Retention run")
    table.add_column("数据类别 data class")
    table.add_column("截止 cut-off")
    table.add_column("销毁 destroyed", justify="right")
    for item in done:
        table.add_row(
            f"{item.label_zh} {item.label_en}", item.cutoff.date().isoformat(), str(item.count)
        )
    console.print(table)
