"""The service desk in the console (/console/desk): the queue of handed-off conversations, the
conversation with its transcript (the rep replies; the customer's messages are polled by htmx),
the customer view masked by role with where a journey stopped, callback tasks, and the
knowledge base's answers edited with maker-checker and tried live."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.assistant import desk, kb, service
from puhui.assistant.intents import Intent, shipped_classifier
from puhui.core.auth import Principal, require_page
from puhui.core.clock import shanghai_midnight_utc
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/console/desk", route_class=UnitOfWorkRoute, include_in_schema=False)
DESK_ROLES = (Role.SERVICE_REP, Role.ADMIN)
Rep = Annotated[Principal, Depends(require_page(*DESK_ROLES))]


def _page(request: Request, name: str, principal: Principal, **ctx: Any) -> Response:
    lang = request_lang(request)
    return render(
        request,
        name,
        principal,
        L=lambda zh, en: zh if lang == "zh" else en,
        intent_words=lambda i: service.intent_words(i, lang),
        **ctx,
    )


@router.get("", response_class=HTMLResponse)
def desk_home(request: Request, db: DB, rt: RuntimeDep, principal: Rep) -> Response:
    closed = request.query_params.get("closed") == "1"
    return _page(
        request,
        "desk.html",
        principal,
        queue=desk.queue(db, rt.clock, include_closed=closed),
        callbacks=desk.open_callbacks(db),
        show_closed=closed,
        now=rt.clock.now(),
    )


def _conversation_page(
    request: Request,
    db: Session,
    rt: Any,
    principal: Principal,
    conversation_id: uuid.UUID,
    name: str = "desk_conversation.html",
) -> Response:
    conv = service.get_for(db, principal, conversation_id)
    customer = None
    if conv.enterprise_id is not None:
        customer = desk.customer_view(db, principal, conv.enterprise_id)
    return _page(
        request,
        name,
        principal,
        conv=conv,
        messages=service.messages_after(db, conv),
        customer=customer,
        locked=service.sign_in_locked(db, conv),
        polling=conv.status in ("waiting", "with_agent"),
    )


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
def desk_conversation(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, conversation_id: uuid.UUID
) -> Response:
    return _conversation_page(request, db, rt, principal, conversation_id)


@router.get("/conversations/{conversation_id}/messages", response_class=HTMLResponse)
def desk_messages(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, conversation_id: uuid.UUID
) -> Response:
    return _conversation_page(request, db, rt, principal, conversation_id, "_desk_messages.html")


@router.post("/conversations/{conversation_id}/reply", dependencies=[Depends(check_csrf)])
def desk_reply(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Rep,
    conversation_id: uuid.UUID,
    text: Annotated[str, Form()] = "",
) -> Response:
    back = f"/console/desk/conversations/{conversation_id}"
    try:
        conv = service.get_for(db, principal, conversation_id)
        service.desk_reply(db, rt.clock, conv, principal, text)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    if request.headers.get("hx-request"):
        return _conversation_page(
            request, db, rt, principal, conversation_id, "_desk_messages.html"
        )
    return RedirectResponse(back, status_code=303)


@router.post("/conversations/{conversation_id}/close", dependencies=[Depends(check_csrf)])
def desk_close(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, conversation_id: uuid.UUID
) -> Response:
    back = f"/console/desk/conversations/{conversation_id}"
    try:
        service.close(db, rt.clock, service.get_for(db, principal, conversation_id), by="agent")
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/conversations/{conversation_id}/unlock", dependencies=[Depends(check_csrf)])
def desk_unlock(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, conversation_id: uuid.UUID
) -> Response:
    """After checking the person's identity (by call-back to the registered mobile)."""
    back = f"/console/desk/conversations/{conversation_id}"
    conv = service.get_for(db, principal, conversation_id)
    if conv.user_id is not None:
        service.unlock_sign_in(db, rt.clock, conv.user_id)
    return RedirectResponse(back, status_code=303)


@router.get("/customers/{enterprise_id}", response_class=HTMLResponse)
def desk_customer(request: Request, db: DB, principal: Rep, enterprise_id: uuid.UUID) -> Response:
    return _page(
        request,
        "desk_customer.html",
        principal,
        customer=desk.customer_view(db, principal, enterprise_id),
    )


@router.post("/callbacks", dependencies=[Depends(check_csrf)])
def desk_add_callback(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Rep,
    note: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    due_time: Annotated[str, Form()] = "10:00",
    conversation_id: Annotated[str, Form()] = "",
    enterprise_id: Annotated[str, Form()] = "",
) -> Response:
    back = f"/console/desk/conversations/{conversation_id}" if conversation_id else "/console/desk"
    try:
        due = _due_at(due_date, due_time, rt.clock.now())
        desk.add_callback(
            db,
            rt.clock,
            principal,
            due_at=due,
            note=note,
            conversation_id=uuid.UUID(conversation_id) if conversation_id else None,
            enterprise_id=uuid.UUID(enterprise_id) if enterprise_id else None,
        )
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


def _due_at(day: str, at: str, now: datetime) -> datetime:
    """A Shanghai date and time of day as UTC; tomorrow 10:00 when no date is given."""
    try:
        d = datetime.strptime(day, "%Y-%m-%d").date() if day else None
        hh, mm = (int(x) for x in (at or "10:00").split(":")[:2])
        offset = timedelta(hours=hh, minutes=mm)
        if not time(0, 0) <= time(hh, mm):
            raise ValueError
    except ValueError:
        d, offset = None, timedelta(hours=10)
    if d is None:
        d = (now + timedelta(hours=8)).date() + timedelta(days=1)
    return shanghai_midnight_utc(d) + offset


@router.post("/callbacks/{task_id}/done", dependencies=[Depends(check_csrf)])
def desk_callback_done(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, task_id: uuid.UUID
) -> Response:
    try:
        desk.complete_callback(db, rt.clock, principal, task_id)
    except DomainError as exc:
        raise refuse(request, exc, "/console/desk") from exc
    return RedirectResponse("/console/desk", status_code=303)


# --- knowledge base -----------------------------------------------------------------------------


@router.get("/kb", response_class=HTMLResponse)
def desk_kb(request: Request, db: DB, principal: Rep, q: str = "") -> Response:
    """Every intent's live answer and pending edit; `q` tries a question against the live
    knowledge base (what the assistant would recognise and answer)."""
    lang = request_lang(request)
    tried = None
    if q.strip():
        prediction = shipped_classifier().rank(q.strip()[:500])
        tried = {
            "intent": prediction.intent,
            "confidence": round(prediction.confidence * 100),
            "confident": prediction.confident,
            "answer": kb.live_answer(db, prediction.intent, lang),
        }
    return _page(
        request,
        "desk_kb.html",
        principal,
        rows=kb.overview(db),
        q=q,
        tried=tried,
        intents=[i.value for i in Intent],
    )


@router.post("/kb/{intent}", dependencies=[Depends(check_csrf)])
def desk_kb_propose(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Rep,
    intent: str,
    answer_zh: Annotated[str, Form()] = "",
    answer_en: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        kb.propose(db, rt.clock, principal, intent, answer_zh, answer_en, note)
    except DomainError as exc:
        raise refuse(request, exc, "/console/desk/kb") from exc
    return RedirectResponse(f"/console/desk/kb#{intent}", status_code=303)


@router.post("/kb/answers/{answer_id}/{action}", dependencies=[Depends(check_csrf)])
def desk_kb_check(
    request: Request, db: DB, rt: RuntimeDep, principal: Rep, answer_id: uuid.UUID, action: str
) -> Response:
    if action not in ("approve", "reject"):
        return RedirectResponse("/console/desk/kb", status_code=303)
    try:
        act = kb.approve if action == "approve" else kb.reject
        row = act(db, rt.clock, principal, answer_id)
    except DomainError as exc:
        raise refuse(request, exc, "/console/desk/kb") from exc
    return RedirectResponse(f"/console/desk/kb#{row.intent}", status_code=303)
