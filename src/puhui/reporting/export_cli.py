"""`puhui lending export`: the loan-level export by command (mounted on the lending app by
`puhui.cli`: the read model sits above lending)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="file to write (.csv or .xlsx)")],
    role: Annotated[
        str, typer.Option("--role", help="mask as for this role (risk_officer: unmasked)")
    ] = "customer_manager",
) -> None:
    """贷款明细导出: every loan with balances, dpd, class, rate, pricing, manager; Chinese
    headers; CSV (UTF-8 with BOM) or XLSX by the file's suffix."""
    from puhui.core.models import Role
    from puhui.core.runtime import build_runtime
    from puhui.reporting import loan_export

    rt = build_runtime()
    with rt.session_factory() as session:
        frame = loan_export.portfolio_frame(session, Role(role))
    if out.suffix.lower() == ".xlsx":
        loan_export.write_xlsx(frame, out)
    else:
        loan_export.write_csv(frame, out)
    console.print(f"已导出 exported {frame.height} loans → {out}")
