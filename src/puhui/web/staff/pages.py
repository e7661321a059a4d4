"""Staff console pages: a manager's leads and portfolio, the review queue (maker-checker),
enterprises with their data snapshots and decisions, loans with schedule and ledger entries,
policy versions with diff and second approval. Every page calls the domain services."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.auth import ALL_STAFF, Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.datahub import service as datahub_service
from puhui.decisioning import review as review_service
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.models import Application, Decision, Review
from puhui.decisioning.schemas import ReviewConfirm, ReviewDecide
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

MANAGERS = (Role.CUSTOMER_MANAGER, Role.ADMIN)
REVIEWERS = (Role.CREDIT_OFFICER,)
QUEUE_READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER)
POLICY_EDITORS = (Role.RISK_OFFICER,)
POLICY_READERS = (Role.RISK_OFFICER, Role.CREDIT_OFFICER, Role.AUDITOR, Role.ADMIN)


# ------------------------------------------------------------------------------ portfolio


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*MANAGERS))],
) -> Response:
    query = select(Application).order_by(Application.created_at.desc()).limit(300)
    if principal.role == Role.CUSTOMER_MANAGER:
        query = query.where(Application.manager_user_id == principal.user_id)
    apps = list(db.scalars(query))
    names = {
        e.id: e.name for e in (parties_service.get_enterprise(db, a.enterprise_id) for a in apps)
    }
    line_ids = [a.credit_line_id for a in apps if a.credit_line_id]
    lines = [lending_service.get_line(db, lid) for lid in line_ids]
    loans = [loan for lid in line_ids for loan in lending_service.list_loans(db, line_id=lid)]
    return render(
        request,
        "portfolio.html",
        principal,
        apps=apps,
        names=names,
        lines=lines,
        loans=loans,
        outstanding_fen=sum(loan.principal_outstanding_fen for loan in loans),
    )


# --------------------------------------------------------------------------- review queue


@router.get("/reviews", response_class=HTMLResponse)
def reviews(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*QUEUE_READERS))],
) -> Response:
    rows = [review_service.review_out(rt.clock, r, a, d) for r, a, d in review_service.queue(db)]
    return render(request, "reviews.html", principal, rows=rows)


def _review_page(
    request: Request, db: Session, rt: Any, principal: Principal, review_id: uuid.UUID, **ctx: Any
) -> Response:
    out = review_service.review_detail(db, rt.clock, review_id)
    app = decisioning_service.get_application(db, out.application_id)
    enterprise = parties_service.get_enterprise(db, app.enterprise_id)
    row = db.get(Review, review_id)
    decision = db.get(Decision, row.decision_id) if row else None
    return render(
        request,
        "review.html",
        principal,
        r=out,
        enterprise=enterprise,
        decision=decisioning_service.decision_out(decision) if decision else None,
        **ctx,
    )


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def review_page(
    request: Request,
    review_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*QUEUE_READERS))],
) -> Response:
    return _review_page(request, db, rt, principal, review_id)


@router.post("/reviews/{review_id}/decide", dependencies=[Depends(check_csrf)])
def review_decide(
    request: Request,
    review_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*REVIEWERS))],
    outcome: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        if len(reason.strip()) < 2 or outcome not in ("approve", "decline"):
            raise InvalidInput(field="reason" if outcome in ("approve", "decline") else "outcome")
        body = ReviewDecide.model_validate({"outcome": outcome, "reason": reason.strip()})
        review_service.decide_review(db, rt.clock, principal, review_id, body)
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda error: _review_page(request, db, rt, principal, review_id, error=error),
        ) from exc
    return RedirectResponse(f"/console/reviews/{review_id}", status_code=303)


@router.post("/reviews/{review_id}/confirm", dependencies=[Depends(check_csrf)])
def review_confirm(
    request: Request,
    review_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*REVIEWERS))],
    agree: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        if len(reason.strip()) < 2:
            raise InvalidInput(field="reason")
        body = ReviewConfirm(agree=agree == "yes", reason=reason.strip())
        review_service.confirm_review(db, rt.clock, principal, review_id, body)
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda error: _review_page(request, db, rt, principal, review_id, error=error),
        ) from exc
    return RedirectResponse(f"/console/reviews/{review_id}", status_code=303)


# ---------------------------------------------------------------------------- enterprises


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    request: Request,
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    enterprise = parties_service.get_enterprise(db, enterprise_id)
    apps = list(
        db.scalars(
            select(Application)
            .where(Application.enterprise_id == enterprise_id)
            .order_by(Application.created_at.desc())
        )
    )
    decisions: list[tuple[Application, Any]] = []
    for app in apps:
        rows = db.scalars(
            select(Decision)
            .where(Decision.application_id == app.id)
            .order_by(Decision.decided_at.desc())
        )
        decisions.extend((app, decisioning_service.decision_out(d)) for d in rows)
    pulls = datahub_service.pulls_for_enterprise(db, enterprise_id, limit=50)
    lines = lending_service.list_lines(db, principal, enterprise_id=enterprise_id)
    loans = lending_service.list_loans(db, enterprise_id=enterprise_id)
    return render(
        request,
        "enterprise.html",
        principal,
        e=enterprise,
        decisions=decisions,
        pulls=pulls,
        lines=lines,
        loans=loans,
    )


@router.get("/loans/{loan_id}", response_class=HTMLResponse)
def loan_page(
    request: Request,
    loan_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    loan = lending_service.get_loan_for(db, principal, loan_id)
    detail = lending_service.loan_detail(db, loan)
    return render(
        request,
        "loan.html",
        principal,
        loan=detail,
        repayments=lending_service.repayments_of(db, loan_id),
        enterprise=parties_service.get_enterprise(db, loan.enterprise_id),
    )


# -------------------------------------------------------------------------------- policies


@router.get("/policies", response_class=HTMLResponse)
def policies(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*POLICY_READERS))],
) -> Response:
    return _policies_page(request, db, rt, principal)


def _policies_page(
    request: Request, db: Session, rt: Any, principal: Principal, **ctx: Any
) -> Response:
    rows = [decisioning_service.policy_out(db, r) for r in decisioning_service.list_policies(db)]
    ref, _ = decisioning_service.active_policy(db, rt.clock)
    active = decisioning_service.get_policy(db, ref.id)
    draft = ctx.pop("draft", None) or json.dumps(active.document, ensure_ascii=False, indent=1)
    return render(request, "policies.html", principal, rows=rows, draft=draft, **ctx)


@router.post("/policies", dependencies=[Depends(check_csrf)])
def policy_submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*POLICY_EDITORS))],
    document: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            parsed = json.loads(document)
        except json.JSONDecodeError as exc:
            raise InvalidInput(field="document") from exc
        if len(note.strip()) < 2:
            raise InvalidInput(field="note")
        decisioning_service.submit_policy(db, rt.clock, principal, parsed, note.strip())
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda error: _policies_page(request, db, rt, principal, error=error, draft=document),
        ) from exc
    return RedirectResponse("/console/policies", status_code=303)


@router.post("/policies/{version_id}/{action}", dependencies=[Depends(check_csrf)])
def policy_decide(
    request: Request,
    version_id: uuid.UUID,
    action: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*POLICY_EDITORS))],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        if len(note.strip()) < 2 or action not in ("approve", "reject"):
            raise InvalidInput(field="note")
        if action == "approve":
            decisioning_service.approve_policy(db, rt.clock, principal, version_id, note.strip())
        else:
            decisioning_service.reject_policy(db, rt.clock, principal, version_id, note.strip())
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _policies_page(request, db, rt, principal, error=error)
        ) from exc
    return RedirectResponse("/console/policies", status_code=303)
