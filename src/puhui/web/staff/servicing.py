"""Servicing in the console (/console/servicing): the relief-request queue and a request's page
(the loan, the enterprise's current data, the fresh credit decision of a renewal, the
history), where a credit officer decides and a second officer confirms above the threshold.
The rules are `lending.servicing` and `flows.relief`; this file only renders them."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import format_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.decisioning import service as decisioning_service
from puhui.flows import relief as relief_flow
from puhui.lending import service as lending_service
from puhui.lending.servicing import eod as servicing_eod
from puhui.lending.servicing import limit_rules, pricing
from puhui.lending.servicing import service as servicing
from puhui.parties import service as parties_service
from puhui.reporting import loan_export
from puhui.web import decisions as decision_views
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(
    prefix="/console/servicing", route_class=UnitOfWorkRoute, include_in_schema=False
)

READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, Role.ADMIN)
DECIDERS = (Role.CREDIT_OFFICER,)


@router.get("/relief", response_class=HTMLResponse)
def relief_queue(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    all: bool = False,
) -> Response:
    rows = servicing.queue(db, open_only=not all)
    loans = {r.loan_id: lending_service.get_loan_for(db, principal, r.loan_id) for r in rows}
    names = {
        r.enterprise_id: parties_service.get_enterprise(db, r.enterprise_id).name for r in rows
    }
    return render(
        request, "servicing_relief.html", principal, rows=rows, loans=loans, names=names, all=all
    )


@router.get("/relief/{request_id}", response_class=HTMLResponse)
def relief_request_page(
    request: Request,
    request_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    req = servicing.get(db, request_id)
    relief_flow.refresh_decision(db, req)
    loan = lending_service.get_loan_for(db, principal, req.loan_id)
    detail = lending_service.loan_detail(db, loan)
    enterprise = parties_service.get_enterprise(db, req.enterprise_id)
    decision = None
    reasons: list[str] = []
    if req.decision_id is not None:
        decision = decisioning_service.get_decision(db, req.decision_id)
        reasons = decision_views.reason_lines(
            decision.inputs, decision.reasons, request_lang(request)
        )
    return render(
        request,
        "servicing_relief_request.html",
        principal,
        req=req,
        loan=detail,
        enterprise=enterprise,
        decision=decision,
        reasons=reasons,
        history=servicing.history(db, req.id),
        can_decide=principal.role in DECIDERS,
    )


@router.post("/relief/{request_id}/decide", dependencies=[Depends(check_csrf)])
def relief_decide(
    request: Request,
    request_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*DECIDERS))],
    action: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
    green_channel: Annotated[str | None, Form()] = None,
) -> Response:
    back = f"/console/servicing/relief/{request_id}"
    settings = rt.settings
    try:
        req = servicing.get(db, request_id)
        relief_flow.refresh_decision(db, req)
        approve = action in ("approve", "confirm")
        if req.status == servicing.ReliefRequestStatus.AWAITING_CHECK:
            servicing.confirm(
                db, rt.clock, principal, request_id, approve=approve, note=note,
                decision_valid_days=settings.renewal_decision_valid_days,
            )  # fmt: skip
        else:
            servicing.decide(
                db, rt.clock, principal, request_id, approve=approve, note=note,
                checker_above_fen=settings.relief_checker_above_fen,
                green_channel=green_channel == "yes",
                decision_valid_days=settings.renewal_decision_valid_days,
            )  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back, typed={"note": note}) from exc
    return RedirectResponse(back, status_code=303)


# ----------------------------------------------------------------- operations overview


OPERATORS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER)
RULE_LABELS = {
    "name": ("规则名称", "Rule set"),
    "clean_months": ("近 N 个月无逾期", "No overdue in the last N months"),
    "min_utilisation_bp": ("额度使用率下限（基点）", "Minimum utilisation (bp)"),
    "increase_bp": ("提额幅度（基点）", "Increase (bp)"),
    "min_months_since_last_change": ("距上次调额至少（月）", "Months since the last change"),
    "min_line_age_months": ("额度生效至少（月）", "Line age at least (months)"),
    "ceiling_fen": ("额度上限", "Ceiling"),
    "round_to_fen": ("取整单位", "Rounded to"),
}


def _overview(request: Request, db: Session, rt: Any, principal: Principal) -> Response:
    lang = request_lang(request)
    rules = limit_rules.active_rules(db)
    rows = []
    for key, (zh, en) in RULE_LABELS.items():
        value = getattr(rules, key)
        shown = format_fen(value) if key.endswith("_fen") else str(value)
        rows.append((zh if lang == "zh" else en, shown))
    day = business_date(rt.clock)
    return render(
        request,
        "servicing.html",
        principal,
        rules=rows,
        rule_versions=limit_rules.versions(db)[:5],
        planned=servicing_eod.plan_limit_increase(db, day, rules),
        recent=servicing_eod.recent_notices(db, limit=50),
        lprs=pricing.publications(db),
        ageing=loan_export.ageing(db),
        today=day,
        can_operate=principal.role in OPERATORS,
    )


@router.get("", response_class=HTMLResponse)
def servicing_overview(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    return _overview(request, db, rt, principal)


@router.post("/lpr", dependencies=[Depends(check_csrf)])
def lpr_enter(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
    published_date: Annotated[str, Form()],
    tenor: Annotated[str, Form()],
    rate_percent: Annotated[str, Form()],
) -> Response:
    typed = {"published_date": published_date, "rate_percent": rate_percent}
    try:
        try:
            day = date.fromisoformat(published_date)
        except ValueError:
            raise InvalidInput(field="published_date") from None
        try:
            rate_bp = int((Decimal(rate_percent.strip()) * 100).to_integral_value())
        except InvalidOperation:
            raise InvalidInput(field="rate_percent") from None
        pricing.enter_lpr(db, rt.clock, principal, published_date=day, tenor=tenor, rate_bp=rate_bp)
    except DomainError as exc:
        raise refuse(request, exc, "/console/servicing", typed=typed) from exc
    return RedirectResponse("/console/servicing#lpr", status_code=303)


@router.post("/lpr/{lpr_id}/decide", dependencies=[Depends(check_csrf)])
def lpr_decide(
    request: Request,
    lpr_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
    action: Annotated[str, Form()],
) -> Response:
    try:
        pricing.decide_lpr(db, rt.clock, principal, lpr_id, approve=action == "approve")
    except DomainError as exc:
        raise refuse(request, exc, "/console/servicing") from exc
    return RedirectResponse("/console/servicing#lpr", status_code=303)


@router.post("/notices/{notice_id}/done", dependencies=[Depends(check_csrf)])
def notice_done(
    request: Request,
    notice_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    servicing_eod.mark_task_done(db, rt.clock, principal, notice_id)
    return RedirectResponse("/console/servicing#tasks", status_code=303)


# ----------------------------------------------------------------- export and ageing

EXPORTERS = (Role.RISK_OFFICER, Role.CREDIT_OFFICER, Role.CUSTOMER_MANAGER, Role.ADMIN)


@router.get("/export.{fmt}")
def portfolio_export(
    fmt: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*EXPORTERS))],
) -> Response:
    """The loan-level export, masked by the caller's role (audited)."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(field="format")
    frame = loan_export.portfolio_frame(db, principal.role)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        loan_export.write_xlsx(frame, buffer)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        loan_export.write_csv(frame, buffer)
        media = "text/csv; charset=utf-8"
    audit.record(db, "portfolio.export", "portfolio", None, after={"rows": frame.height,
                                                                   "format": fmt})  # fmt: skip
    return Response(
        buffer.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="loans.{fmt}"'},
    )
