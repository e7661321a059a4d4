"""Console pages of payments (staff):

* ``/console/payments`` — payments with their status, rail (沙箱 labelled), submissions; a
  button to run the rails now (send what waits, fetch what the bank sent);
* ``/console/payments/{id}`` — one payment: its history and every ISO 20022 message sent and
  received for it (the XML shown as sent, folded);
* ``/console/reconciliation`` — the daily reconciliation runs; reconcile a business date;
* ``/console/reconciliation/{id}`` — a run's breaks: propose a manual match (maker), confirm it
  (checker, another person), or — a risk officer — let the day close with a reason.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.payments import reconciliation
from puhui.payments import service as payments_service
from puhui.payments.rails import get_rail
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)
PAYMENTS = "/console/payments"
RECON = "/console/reconciliation"
READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.AUDITOR, Role.ADMIN)
OPERATORS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.ADMIN)


@router.get(PAYMENTS, response_class=HTMLResponse)
def payments_page(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require_page(*READERS))]
) -> Response:
    return render(
        request,
        "payments.html",
        principal,
        payments=payments_service.recent_payments(db),
        sandbox=get_rail().sandbox,
        ran=request.query_params.get("ran"),
    )


@router.post(f"{PAYMENTS}/run", dependencies=[Depends(check_csrf)])
def run_rails_now(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
) -> Response:
    result = payments_service.cycle(db, rt.clock, rt.cipher)
    return RedirectResponse(f"{PAYMENTS}?ran={result.sent}", status_code=303)


@router.get(PAYMENTS + "/{payment_id}", response_class=HTMLResponse)
def payment_page(
    request: Request,
    payment_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    payment = payments_service.get_payment(db, payment_id)
    return render(
        request,
        "payment.html",
        principal,
        payment=payment,
        history=payments_service.history(db, payment_id),
        messages=payments_service.messages_for(db, payment_id),
        sandbox=get_rail().sandbox,
    )


@router.get(RECON, response_class=HTMLResponse)
def recon_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    return render(
        request,
        "reconciliation.html",
        principal,
        runs=reconciliation.runs(db),
        today=business_date(rt.clock),
        sandbox=get_rail().sandbox,
    )


@router.post(RECON, dependencies=[Depends(check_csrf)])
def reconcile(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
    day: Annotated[str, Form()],
) -> Response:
    try:
        try:
            business_day = date.fromisoformat(day)
        except ValueError as exc:
            raise InvalidInput(field="day") from exc
        run = reconciliation.reconcile_day(db, rt.clock, business_day)
    except DomainError as exc:
        raise refuse(request, exc, RECON) from exc
    return RedirectResponse(f"{RECON}/{run.id}", status_code=303)


@router.get(RECON + "/{run_id}", response_class=HTMLResponse)
def recon_run_page(
    request: Request,
    run_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    run = reconciliation.get_run(db, run_id)
    return render(
        request,
        "reconciliation_run.html",
        principal,
        run=run,
        breaks=reconciliation.breaks_of(db, run_id),
        can_override=principal.role in reconciliation.OVERRIDERS,
    )


@router.post(RECON + "/breaks/{break_id}/propose", dependencies=[Depends(check_csrf)])
def propose(
    request: Request,
    break_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
    run_id: Annotated[uuid.UUID, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    back = f"{RECON}/{run_id}"
    try:
        reconciliation.propose_match(db, rt.clock, principal, break_id, note)
    except DomainError as exc:
        raise refuse(request, exc, back, typed={"note": note}) from exc
    return RedirectResponse(back, status_code=303)


@router.post(RECON + "/breaks/{break_id}/confirm", dependencies=[Depends(check_csrf)])
def confirm(
    request: Request,
    break_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OPERATORS))],
    run_id: Annotated[uuid.UUID, Form()],
) -> Response:
    back = f"{RECON}/{run_id}"
    try:
        reconciliation.confirm_match(db, rt.clock, principal, break_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post(RECON + "/{run_id}/override", dependencies=[Depends(check_csrf)])
def override(
    request: Request,
    run_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(Role.RISK_OFFICER))],
    reason: Annotated[str, Form()] = "",
) -> Response:
    back = f"{RECON}/{run_id}"
    try:
        reconciliation.override(db, rt.clock, principal, run_id, reason)
    except DomainError as exc:
        raise refuse(request, exc, back, typed={"reason": reason}) from exc
    return RedirectResponse(back, status_code=303)
