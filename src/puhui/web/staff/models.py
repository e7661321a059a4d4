"""Model operations in the console (issue 22, items 6-7): `/console/models` lists the open
monitoring alerts (a risk officer acknowledges them), the monthly monitoring runs with their
reports, and the retrained candidates (maker-checker approval into a shadow period, then
promotion); `/console/models/runs/{id}` is one model's month: score bands against the training
sample (ECharts), feature CSI, calibration by score band, approval and override rates."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError, InvalidInput, NotFound
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.decisioning import model_ops, retraining
from puhui.decisioning.features import label as feature_label
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

READERS = (Role.RISK_OFFICER, Role.AUDITOR, Role.ADMIN)
Reader = Annotated[Principal, Depends(require_page(*READERS))]
Officer = Annotated[Principal, Depends(require_page(Role.RISK_OFFICER))]

METRICS = {
    "score_psi": ("评分分布偏移（PSI）", "Score shift (PSI)"),
    "csi": ("特征偏移（CSI）", "Feature shift (CSI)"),
    "calibration": ("校准偏差（实际/预测）", "Calibration (observed / predicted)"),
    "override_rate": ("人工推翻率", "Override rate"),
}
SEVERITY = {"alert": ("预警", "Alert"), "watch": ("关注", "Watch")}
CANDIDATE_STATUS = {
    "submitted": ("待审批", "Awaiting approval"),
    "approved": ("已批准", "Approved"),
    "rejected": ("已拒绝", "Rejected"),
    "shadow": ("影子运行中", "In shadow"),
    "promoted": ("已投产", "Deciding"),
}


def _registry(rt: Runtime) -> Path:
    return Path(rt.settings.resolved_var_dir()) / "models"


def _word(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def _subject(metric: str, subject: str, lang: str) -> str:
    return feature_label(subject, lang) if metric == "csi" and subject else subject


def _page(request: Request, db: Session, rt: Runtime, principal: Principal, **ctx: Any) -> Response:
    lang = request_lang(request)
    alerts = [
        {"a": a, "metric": _word(METRICS, a.metric, lang),
         "subject": _subject(a.metric, a.subject, lang),
         "severity": _word(SEVERITY, a.severity, lang)}
        for a in model_ops.list_alerts(db)
    ]  # fmt: skip
    candidates = [
        {"c": c, "status": _word(CANDIDATE_STATUS, c.status, lang)}
        for c in model_ops.list_candidates(db)
    ]
    return render(
        request, "models.html", principal, alerts=alerts, runs=model_ops.list_runs(db),
        candidates=candidates, month=f"{business_date(rt.clock):%Y-%m}",
        today=business_date(rt.clock).isoformat(),
        sandbox=rt.settings.environment in ("development", "demo", "test"), **ctx,
    )  # fmt: skip


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, db: DB, rt: RuntimeDep, principal: Reader) -> Response:
    return _page(request, db, rt, principal)


def _refused(request: Request, db: Session, rt: Runtime, principal: Principal, exc: Any) -> Any:
    return page_error(request, exc, lambda error: _page(request, db, rt, principal, error=error))


@router.post("/models/monitor", dependencies=[Depends(check_csrf)])
def run_monitor(
    request: Request, db: DB, rt: RuntimeDep, principal: Officer, month: Annotated[str, Form()]
) -> Response:
    try:
        if len(month) != 7 or month[4] != "-" or not month.replace("-", "").isdigit():
            raise InvalidInput(field="month")
        model_ops.run_monitoring(db, rt.clock, _registry(rt), month)
    except DomainError as exc:
        raise _refused(request, db, rt, principal, exc) from exc
    return RedirectResponse("/console/models#runs", status_code=303)


@router.post("/models/alerts/{alert_id}/ack", dependencies=[Depends(check_csrf)])
def acknowledge(
    request: Request, alert_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> Response:
    try:
        model_ops.acknowledge_alert(db, rt.clock, principal, alert_id)
    except DomainError as exc:
        raise _refused(request, db, rt, principal, exc) from exc
    return RedirectResponse("/console/models#alerts", status_code=303)


@router.post("/models/retrain", dependencies=[Depends(check_csrf)])
def retrain(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Officer,
    as_of: Annotated[str, Form()],
    outcomes: Annotated[str, Form()] = "book",
    reject_inference: Annotated[str, Form()] = "none",
) -> Response:
    try:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput(field="as_of") from None
        if outcomes not in ("book", "sandbox") or reject_inference not in ("none", "hard_cutoff"):
            raise InvalidInput(field="outcomes")
        sandbox = None
        if outcomes == "sandbox":
            sandbox = retraining.sandbox_outcomes(db, rt.settings.environment)
        rows = retraining.book_rows(db, sandbox_outcome=sandbox)
        retraining.retrain(db, rt.clock, principal, _registry(rt), rows, as_of=day,
                           outcomes=outcomes, reject_inference=reject_inference)  # type: ignore[arg-type]  # fmt: skip
    except DomainError as exc:
        raise _refused(request, db, rt, principal, exc) from exc
    return RedirectResponse("/console/models#candidates", status_code=303)


@router.post("/models/candidates/{candidate_id}/{action}", dependencies=[Depends(check_csrf)])
def candidate_action(
    request: Request,
    candidate_id: uuid.UUID,
    action: str,
    db: DB,
    rt: RuntimeDep,
    principal: Officer,
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        if action == "approve":
            model_ops.approve_candidate(db, rt.clock, principal, _registry(rt), candidate_id,
                                        note=note.strip())  # fmt: skip
        elif action == "reject":
            model_ops.reject_candidate(db, rt.clock, principal, candidate_id, note.strip())
        elif action == "promote":
            model_ops.promote_candidate(db, rt.clock, principal, _registry(rt), candidate_id)
        else:
            raise InvalidInput(field="action")
    except DomainError as exc:
        raise _refused(request, db, rt, principal, exc) from exc
    return RedirectResponse("/console/models#candidates", status_code=303)


@router.get("/models/runs/{run_id}", response_class=HTMLResponse)
def run_report(request: Request, run_id: uuid.UUID, db: DB, principal: Reader) -> Response:
    run = model_ops.get_run(db, run_id)
    if run is None:
        raise NotFound(what="监控报告", what_en="Monitoring report")
    lang = request_lang(request)
    report = run.report
    csi = sorted(report.get("csi", {}).items(), key=lambda kv: -kv[1])
    chart = {
        "bands": [b["band"] for b in report.get("score_bands", [])],
        "expected": [round(b["expected"] * 100, 2) for b in report.get("score_bands", [])],
        "actual": [round(b["actual"] * 100, 2) for b in report.get("score_bands", [])],
        "csi_names": [feature_label(k, lang) for k, _ in csi[:12]],
        "csi_values": [v for _, v in csi[:12]],
    }
    alerts = [
        {**a, "metric_label": _word(METRICS, a["metric"], lang),
         "subject_label": _subject(a["metric"], a["subject"], lang),
         "severity_label": _word(SEVERITY, a["severity"], lang)}
        for a in report.get("alerts", [])
    ]  # fmt: skip
    return render(
        request, "model_monitoring.html", principal, run=run, report=report, alerts=alerts,
        csi=[(feature_label(k, lang), v) for k, v in csi], chart=json.dumps(chart),
    )  # fmt: skip
