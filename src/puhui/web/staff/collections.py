"""Console pages of collections (催收) and write-offs (核销), calling the same services:

* ``/console/collections`` — the queue by days-past-due bucket (M1 … M3+), worst first, with
  counts per bucket, and the write-off proposals awaiting a second person;
* ``/console/collections/{case_id}`` — one case: the loan, the contact log (and a form to log a
  contact), promises to pay (and a form to record one), escalation, and for a risk officer the
  write-off proposal of a non-performing loan;
* ``POST /console/collections/write-offs/{id}/approve|reject`` — the checker's decision.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import MoneyFormatError, yuan_to_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.lending import service as lending_service
from puhui.risk import collections
from puhui.risk.collection_rules import BUCKET_ORDER
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)
BASE = "/console/collections"

READERS = (
    Role.CUSTOMER_MANAGER,
    Role.SERVICE_REP,
    Role.RISK_OFFICER,
    Role.AUDITOR,
    Role.ADMIN,
)
WORKERS = (Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.RISK_OFFICER, Role.ADMIN)
WRITE_OFF = (Role.RISK_OFFICER, Role.ADMIN)  # maker and checker: two different people


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise collections.CaseNotFound() from None


@router.get(BASE, response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    bucket: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    return _queue(request, db, principal, bucket)


def _queue(
    request: Request, db: Session, principal: Principal, bucket: str | None, **ctx: Any
) -> Response:
    bucket = bucket if bucket in {b.value for b in BUCKET_ORDER} else None
    every = collections.queue(db, limit=1000)
    counts = {b.value: sum(1 for c in every if c.bucket == b.value) for b in BUCKET_ORDER}
    pending = [w for w in lending_service.write_offs(db) if w.status == "proposed"]
    refs = lending_service.loan_states(db, [w.loan_id for w in pending])
    return render(
        request,
        "collections.html",
        principal,
        cases=[c for c in every if bucket is None or c.bucket == bucket][:200],
        counts=counts,
        buckets=[b.value for b in BUCKET_ORDER],
        bucket=bucket,
        write_offs=pending,
        loan_refs={k: v.reference for k, v in refs.items()},
        can_check=principal.role in WRITE_OFF,
        **ctx,
    )


def _case_page(
    request: Request, db: Session, principal: Principal, case_id: str, **ctx: Any
) -> Response:
    case = collections.get_case(db, _uuid(case_id))
    loan = lending_service.loan_states(db, [case.loan_id]).get(case.loan_id)
    proposals = [w for w in lending_service.write_offs(db) if w.loan_id == case.loan_id]
    return render(
        request,
        "collection_case.html",
        principal,
        case=case,
        loan=loan,
        contacts=collections.contacts_of(db, case.id),
        promises=collections.promises_of(db, case.id),
        proposals=proposals,
        channels=collections.CONTACT_CHANNELS,
        outcomes=collections.CONTACT_OUTCOMES,
        can_work=principal.role in WORKERS and case.status != "closed",
        can_write_off=principal.role in WRITE_OFF and case.status != "closed",
        can_recover=principal.role in WRITE_OFF,
        recovery_key=str(uuid.uuid4()),  # one per form shown: a resubmission is a replay
        **ctx,
    )


@router.get(BASE + "/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    return _case_page(request, db, principal, case_id)


def _redirect(case_id: str) -> Response:
    return RedirectResponse(f"{BASE}/{case_id}", status_code=303)


@router.post(BASE + "/{case_id}/contacts", dependencies=[Depends(check_csrf)])
def log_contact(
    request: Request,
    case_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
    channel: Annotated[str, Form(max_length=16)] = "",
    outcome: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        collections.log_contact(
            db,
            rt.clock,
            _uuid(case_id),
            channel=channel,
            outcome=outcome,
            note=note,
            actor=principal.display_name,
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda e: _case_page(request, db, principal, case_id, contact_error=e)
        ) from exc
    return _redirect(case_id)


@router.post(BASE + "/{case_id}/promises", dependencies=[Depends(check_csrf)])
def promise(
    request: Request,
    case_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
    amount_yuan: Annotated[str, Form(max_length=32)] = "",
    promised_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        try:
            amount = yuan_to_fen(amount_yuan)
        except MoneyFormatError as exc:
            raise InvalidInput(field="amount_yuan") from exc
        try:
            when = date.fromisoformat(promised_date)
        except ValueError as exc:
            raise InvalidInput(field="promised_date") from exc
        collections.promise_to_pay(
            db,
            rt.clock,
            _uuid(case_id),
            amount_fen=amount,
            promised_date=when,
            actor=principal.display_name,
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda e: _case_page(request, db, principal, case_id, promise_error=e)
        ) from exc
    return _redirect(case_id)


@router.post(BASE + "/{case_id}/escalate", dependencies=[Depends(check_csrf)])
def escalate(
    case_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
) -> Response:
    collections.escalate(db, rt.clock, _uuid(case_id), principal.display_name)
    return _redirect(case_id)


@router.post(BASE + "/{case_id}/take", dependencies=[Depends(check_csrf)])
def take(
    case_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
) -> Response:
    """The case becomes the signed-in person's task."""
    collections.assign(db, rt.clock, _uuid(case_id), principal.user_id)
    return _redirect(case_id)


@router.post(BASE + "/{case_id}/write-off", dependencies=[Depends(check_csrf)])
def propose_write_off(
    request: Request,
    case_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WRITE_OFF))],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        case = collections.get_case(db, _uuid(case_id))
        lending_service.propose_write_off(
            db,
            rt.clock,
            case.loan_id,
            reason,
            maker=principal.display_name,
            maker_user_id=principal.user_id,
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda e: _case_page(request, db, principal, case_id, write_off_error=e)
        ) from exc
    return _redirect(case_id)


@router.post(BASE + "/write-offs/{write_off_id}/recover", dependencies=[Depends(check_csrf)])
def recover(
    request: Request,
    write_off_id: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WRITE_OFF))],
    case_id: Annotated[str, Form(max_length=36)] = "",
    amount_yuan: Annotated[str, Form(max_length=32)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Money recovered on a written-off loan, from the borrower's settlement account."""
    try:
        try:
            wid = uuid.UUID(write_off_id)
            amount = yuan_to_fen(amount_yuan)
        except (ValueError, MoneyFormatError) as exc:
            raise InvalidInput(field="amount_yuan") from exc
        lending_service.recover_written_off(
            db,
            rt.clock,
            wid,
            amount,
            idempotency_key=idempotency_key,
            actor=principal.display_name,
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda e: _case_page(request, db, principal, case_id, recovery_error=e)
        ) from exc
    return _redirect(case_id)


@router.post(BASE + "/write-offs/{write_off_id}/{action}", dependencies=[Depends(check_csrf)])
def decide_write_off(
    request: Request,
    write_off_id: str,
    action: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WRITE_OFF))],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        try:
            wid = uuid.UUID(write_off_id)
        except ValueError as exc:
            raise InvalidInput(field="write_off_id") from exc
        if action not in ("approve", "reject"):
            raise InvalidInput(field="action")
        decide = (
            lending_service.approve_write_off
            if action == "approve"
            else lending_service.reject_write_off
        )
        decide(
            db,
            rt.clock,
            wid,
            note,
            checker=principal.display_name,
            checker_user_id=principal.user_id,
        )
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda e: _queue(request, db, principal, None, write_off_error=e),
        ) from exc
    return RedirectResponse(BASE, status_code=303)
