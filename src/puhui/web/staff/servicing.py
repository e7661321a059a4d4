"""Servicing in the console (/console/servicing): the relief-request queue and a request's page
(the loan, the enterprise's current data, the fresh credit decision of a renewal, the
history), where a credit officer decides and a second officer confirms above the threshold.
The rules are `lending.servicing` and `flows.relief`; this file only renders them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.decisioning import service as decisioning_service
from puhui.flows import relief as relief_flow
from puhui.lending import service as lending_service
from puhui.lending.servicing import service as servicing
from puhui.parties import service as parties_service
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
