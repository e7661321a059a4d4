"""The applicant's side of a video interview on /m: the invitations of the enterprises the
borrower acts for, the consent to the recording (joining), and the call itself (the same
script as the officer's room, static/interview.js)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.interviews import service as interviews_service
from puhui.interviews.router import issue_ticket
from puhui.interviews.states import InterviewStatus, Party
from puhui.interviews.texts import RECORDING_CONSENT
from puhui.web.pages import check_csrf, page_error, render
from puhui.web.staff.interviews import ice_servers

router = APIRouter(prefix="/m", route_class=UnitOfWorkRoute, include_in_schema=False)
Borrower = Annotated[Principal, Depends(require_page(Role.BORROWER))]


def _L(lang: str) -> Any:
    return lambda zh, en: zh if lang == "zh" else en


@router.get("/interviews", response_class=HTMLResponse)
def m_interviews(request: Request, db: DB, principal: Borrower) -> Response:
    lang = request_lang(request)
    rows = interviews_service.invitations_for(db, principal)
    views = [interviews_service.view(db, r, lang) for r in rows]
    return render(request, "m_interviews.html", principal, views=views, L=_L(lang))


def _room(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    interview_id: uuid.UUID,
    **ctx: Any,
) -> Response:
    lang = request_lang(request)
    row = interviews_service.get_for_applicant(db, principal, interview_id)
    return render(
        request,
        "m_interview.html",
        principal,
        iv=interviews_service.view(db, row, lang),
        consent_text=RECORDING_CONSENT.text(lang),
        ice=ice_servers(rt.settings.interview_ice_servers),
        open=not InterviewStatus(row.status).closed,
        status_labels=json.dumps(interviews_service.status_labels(lang), ensure_ascii=False),
        L=_L(lang),
        **ctx,
    )


@router.get("/interviews/{interview_id}", response_class=HTMLResponse)
def m_interview(
    request: Request, interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Borrower
) -> Response:
    return _room(request, db, rt, principal, interview_id)


@router.get("/interviews/{interview_id}/ticket")
def m_interview_ticket(
    interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Borrower
) -> dict[str, str]:
    """A one-minute ticket for the signalling socket (a borrower of the interview's enterprise)."""
    row = interviews_service.get_for_applicant(db, principal, interview_id)
    return {"ticket": issue_ticket(rt, row.id, principal.user_id, Party.APPLICANT)}


@router.post("/interviews/{interview_id}/consent", dependencies=[Depends(check_csrf)])
def m_interview_consent(
    request: Request,
    interview_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Borrower,
    agree: Annotated[str, Form()] = "",
) -> Response:
    try:
        row = interviews_service.get_for_applicant(db, principal, interview_id)
        if agree != "yes":
            raise InvalidInput(field="agree")
        lang = request_lang(request)
        interviews_service.record_consent(db, rt.clock, principal, row, Party.APPLICANT, lang)
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda error: _room(request, db, rt, principal, interview_id, error=error),
        ) from exc
    return RedirectResponse(f"/m/interviews/{interview_id}", status_code=303)
