"""`puhui model monitor | alerts | retrain | candidates | approve-candidate | reject-candidate |
promote-candidate`: model monitoring and retraining from the bank's own outcomes (issue 22,
items 6-7), mounted on the `model` group by the root CLI (`register(model_app)`)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def _registry(rt: Any) -> Path:
    return Path(rt.settings.resolved_var_dir()) / "models"


def monitor(
    month: Annotated[str, typer.Option(help="Calendar month YYYY-MM (Asia/Shanghai).")],
) -> None:
    """Monitor every model that decided in MONTH: score PSI, CSI, approval/override rates,
    calibration; alerts for the risk officers. Re-running a month replaces its figures."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning import model_ops

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        runs = model_ops.run_monitoring(session, rt.clock, _registry(rt), month)
        summary = [
            {"model_id": r.model_id, "version": r.model_version, "decisions": r.decisions,
             "score_psi": r.score_psi, "alerts": r.alert_count}
            for r in runs
        ]  # fmt: skip
    table = Table("模型 model", "版本 version", "决策 decisions", "PSI", "预警 alerts")
    for s in summary:
        table.add_row(*(str(s[k]) for k in ("model_id", "version", "decisions", "score_psi",
                                             "alerts")))  # fmt: skip
    console.print(table)
    print(json.dumps({"month": month, "runs": summary}, ensure_ascii=False))


def alerts() -> None:
    """Open model alerts."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning import model_ops

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        table = Table("月份 month", "模型 model", "指标 metric", "对象 subject", "值 value", "级别")
        for a in model_ops.list_alerts(session):
            table.add_row(a.month, f"{a.model_id} {a.model_version}", a.metric, a.subject,
                          f"{a.value:.3f}", a.severity)  # fmt: skip
    console.print(table)


def _principal(session: Any, username: str) -> Any:
    from puhui.decisioning.cli import _principal as risk_officer

    return risk_officer(session, username)


def retrain(
    username: Annotated[str, typer.Option(help="The risk officer who submits it (maker).")],
    as_of: Annotated[str, typer.Option(help="Performance as-of date YYYY-MM-DD.")],
    window_months: Annotated[int, typer.Option(help="Performance window.")] = 12,
    reject_inference: Annotated[str, typer.Option(help="none or hard_cutoff.")] = "none",
    outcomes: Annotated[
        str, typer.Option(help="book (the loans' performance) or sandbox (demo/test only).")
    ] = "book",
    version: Annotated[
        str | None, typer.Option(help="Version name (default: a timestamp).")
    ] = None,
) -> None:
    """Retrain the scorecard on the bank's own decisions and outcomes; the new version is
    registered with its validation report and waits for a second officer's approval."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning import retraining
    from puhui.decisioning.cli import _fail

    rt = build_runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            principal = _principal(session, username)
            sandbox = None
            if outcomes == "sandbox":
                sandbox = retraining.sandbox_outcomes(session, rt.settings.environment)
            rows = retraining.book_rows(session, sandbox_outcome=sandbox)
            done = retraining.retrain(
                session, rt.clock, principal, _registry(rt), rows, as_of=date.fromisoformat(as_of),
                window_months=window_months, reject_inference=reject_inference,  # type: ignore[arg-type]
                outcomes=outcomes, version=version,  # type: ignore[arg-type]
            )  # fmt: skip
            result = {"candidate_id": str(done.candidate.id), "model_id": done.candidate.model_id,
                      "version": done.candidate.version, **done.counts,
                      "cv_auc": round(done.cv_auc, 4)}  # fmt: skip
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
        return
    console.print("[green]已登记，待第二位风险经理审批 registered, pending approval[/green]")
    print(json.dumps(result, ensure_ascii=False))


def candidates() -> None:
    """Retrained models and where they stand."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning import model_ops

    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        table = Table("ID", "模型 model", "版本 version", "状态 status", "CV AUC", "影子期至 until")
        for c in model_ops.list_candidates(session):
            table.add_row(str(c.id), c.model_id, c.version, c.status,
                          str(c.training.get("cv_auc")), str(c.shadow_until or "-"))  # fmt: skip
    console.print(table)


def _act(action: str, candidate_id: str, username: str, note: str = "") -> None:
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.decisioning import model_ops
    from puhui.decisioning.cli import _fail

    rt = build_runtime()
    cid = uuid.UUID(candidate_id)
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            principal = _principal(session, username)
            if action == "approve":
                c = model_ops.approve_candidate(session, rt.clock, principal, _registry(rt), cid,
                                                note=note)  # fmt: skip
            elif action == "reject":
                c = model_ops.reject_candidate(session, rt.clock, principal, cid, note)
            else:
                c = model_ops.promote_candidate(session, rt.clock, principal, _registry(rt), cid)
            status = c.status
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
        return
    console.print(f"[green]{c.model_id} {c.version}: {status}[/green]")


def approve_candidate(
    candidate_id: str,
    username: Annotated[str, typer.Option(help="The approving risk officer (not the maker).")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Approve a retrained model: it runs in shadow (scored, deciding nothing) for 30 days."""
    _act("approve", candidate_id, username, note)


def reject_candidate(
    candidate_id: str,
    username: Annotated[str, typer.Option(help="The risk officer (not the maker).")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Reject a retrained model."""
    _act("reject", candidate_id, username, note)


def promote_candidate(
    candidate_id: str,
    username: Annotated[str, typer.Option(help="The risk officer.")],
) -> None:
    """After its shadow period, make the model the champion: it decides."""
    _act("promote", candidate_id, username)


def register(model_app: typer.Typer) -> None:
    model_app.command("monitor")(monitor)
    model_app.command("alerts")(alerts)
    model_app.command("retrain")(retrain)
    model_app.command("candidates")(candidates)
    model_app.command("approve-candidate")(approve_candidate)
    model_app.command("reject-candidate")(reject_candidate)
    model_app.command("promote-candidate")(promote_candidate)
