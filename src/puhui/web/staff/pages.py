"""Staff console pages: a manager's leads and portfolio, the review queue (maker-checker),
enterprises with their data snapshots and decisions, loans with schedule and ledger entries,
policy versions with diff and second approval. Pages change state through the domain services;
lists and joined reads come from `puhui.reporting` (paged SQL, one query per list)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import ALL_STAFF, Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.datahub import service as datahub_service
from puhui.decisioning import review as review_service
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.schemas import ReviewConfirm, ReviewDecide
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.reporting import lists
from puhui.web import decisions as decision_views
from puhui.web.pages import check_csrf, page_error, refuse, render
from puhui.web.paging import pager
from puhui.web.staff.interviews import review_panel

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
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    loans_page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """A customer manager's leads, applications and loans (an admin's: everyone's), each list
    paged; the search narrows both (enterprise name, USCC, application or loan reference)."""
    mine = principal.user_id if principal.role == Role.CUSTOMER_MANAGER else None
    apps = lists.applications(db, manager_id=mine, q=q, page=page)
    loans = lists.loans(db, manager_id=mine, q=q, page=loans_page)
    names = decision_views.display_names(
        db, [a.channel_key.partition(":")[2] for a in apps.rows if a.channel_key]
    )
    return render(
        request,
        "portfolio.html",
        principal,
        names=names,
        totals=lists.portfolio_totals(db, mine),
        apps=apps.rows,
        apps_pager=pager(request, apps, "page", anchor="applications"),
        loans=loans.rows,
        loans_pager=pager(request, loans, "loans_page", anchor="loans"),
        q=q,
    )


# --------------------------------------------------------------------------- review queue


@router.get("/reviews", response_class=HTMLResponse)
def reviews(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*QUEUE_READERS))],
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    found = lists.review_queue(db, rt.clock, q=q, page=page)
    return render(
        request, "reviews.html", principal, rows=found.rows, pager=pager(request, found), q=q
    )


def _review_page(
    request: Request, db: Session, rt: Any, principal: Principal, review_id: uuid.UUID
) -> Response:
    """The review: the system's proposal as a table (terms, score and PD, the limit calculation
    step by step, rule hits by stage), the reasons in sentences, the SLA in words, people by
    name."""
    lang = request_lang(request)
    out = review_service.review_detail(db, rt.clock, review_id)
    app = decisioning_service.get_application(db, out.application_id)
    enterprise = parties_service.get_enterprise(db, app.enterprise_id)
    decision = lists.review_decision(db, review_id)
    stored = [r.model_dump() for r in out.reasons]
    return render(
        request,
        "review.html",
        principal,
        r=out,
        enterprise=enterprise,
        decision=decision,
        proposal=decision_views.proposal_rows(out.proposal, lang),
        limit_steps=decision_views.limit_steps(out.proposal.get("limit_calc"), lang),
        hits=decision_views.hits_by_stage(
            out.proposal.get("hits") or [], lang, _reason_texts(db, decision)
        ),
        reasons=decision_views.reason_lines(decision.inputs if decision else None, stored, lang),
        sla=decision_views.sla_text(out.minutes_left, out.closed_at is not None, lang),
        names=decision_views.display_names(db, [out.maker_name, out.checker_name]),
        interviews=review_panel(db, review_id, lang),
    )


def _reason_texts(db: Session, decision: Any) -> dict[str, Any]:
    """The reason texts of the policy a decision was made under, by code."""
    if decision is None or decision.policy_version_id is None:
        return {}
    document = decisioning_service.get_policy(db, decision.policy_version_id).document or {}
    texts = document.get("reasons") if isinstance(document, dict) else None
    return texts if isinstance(texts, dict) else {}


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
        back = f"/console/reviews/{review_id}"
        raise refuse(request, exc, back, typed={"outcome": outcome, "reason": reason}) from exc
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
        back = f"/console/reviews/{review_id}"
        raise refuse(request, exc, back, typed={"agree": agree, "reason": reason}) from exc
    return RedirectResponse(f"/console/reviews/{review_id}", status_code=303)


# ---------------------------------------------------------------------------- enterprises


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    request: Request,
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    lang = request_lang(request)
    enterprise = parties_service.get_enterprise(db, enterprise_id)
    decisions = [
        (ref, d, decision_views.reason_lines(d.inputs, [r.model_dump() for r in d.reasons], lang))
        for ref, d in lists.enterprise_decisions(db, enterprise_id)
    ]
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
    settled = detail.status == "paid_off"
    prepaid = lending_service.prepaid_instalments(db, loan_id) if settled else []
    return render(
        request,
        "loan.html",
        principal,
        loan=detail,
        schedule=decision_views.schedule_rows(detail.schedule, prepaid, settled),
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
