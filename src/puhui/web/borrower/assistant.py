"""The service assistant on /m (智能客服): a chat that answers, asks which of two or three
questions was meant, or hands off to a service rep who replies from the console desk.

Open to visitors (general answers) and to signed-in borrowers (answers with their own figures).
The conversation's id lives in the browser session: a visitor sees only the conversation it
started, a borrower only its own. The form works without script (Post/Redirect/Get); with htmx
the chat fragment is swapped in place and, while a rep is on the line, the messages are polled.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.assistant import service as assistant_service
from puhui.assistant.errors import ConversationNotFound
from puhui.assistant.router import AccessDep
from puhui.core.auth import LoginRequired, Principal, public, require_page
from puhui.core.errors import DomainError, Forbidden
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/m/assistant", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)
CONV_KEY = "assistant_conv"
LAST_KEY = "assistant_last"
POLLING = ("waiting", "with_agent")


def _borrower(request: Request) -> Principal | None:
    """The signed-in borrower, or None for a visitor (or a member of staff)."""
    try:
        return BORROWER(request)
    except (LoginRequired, Forbidden):
        return None


def _current(request: Request, db: Session, principal: Principal | None) -> Any:
    raw = request.session.get(CONV_KEY)
    if not isinstance(raw, str):
        return None
    try:
        return assistant_service.get_for(db, principal, uuid.UUID(raw), anonymous_ok=True)
    except (ConversationNotFound, ValueError):
        return None


def _remember(request: Request, conv: Any, reply: assistant_service.Reply) -> None:
    request.session[CONV_KEY] = str(conv.id)
    request.session[LAST_KEY] = {
        "conv": str(conv.id),
        "options": list(reply.options),
        "links": [[k.href, k.zh, k.en] for k in reply.links],
        "lock": reply.offer_lock,
    }


def _context(request: Request, db: Session, principal: Principal | None) -> dict[str, Any]:
    conv = _current(request, db, principal)
    last = request.session.get(LAST_KEY)
    if not isinstance(last, dict) or conv is None or last.get("conv") != str(conv.id):
        last = {"options": [], "links": [], "lock": False}
    lang = request_lang(request)
    return {
        "conv": conv,
        "messages": assistant_service.messages_after(db, conv) if conv else [],
        "last": last,
        "polling": conv is not None and conv.status in POLLING,
        "intent_words": lambda i: assistant_service.intent_words(i, lang),
        "L": lambda zh, en: zh if lang == "zh" else en,
        "large": bool(request.session.get("large")),
        "locked": request.query_params.get("locked") == "1",
    }


def _chat(request: Request, db: Session, principal: Principal | None) -> Response:
    """The whole page, or only the chat fragment for htmx."""
    name = "_m_chat.html" if request.headers.get("hx-request") else "m_assistant.html"
    return render(request, name, principal, **_context(request, db, principal))


def _conversation(request: Request, db: DB, rt: RuntimeDep) -> Any:
    principal = _borrower(request)
    conv = _current(request, db, principal)
    if conv is None or conv.status == "closed":
        conv = assistant_service.start(db, rt.clock, principal, request_lang(request))
        request.session[CONV_KEY] = str(conv.id)
    return conv


def _after(request: Request, db: Session) -> Response:
    if request.headers.get("hx-request"):
        return _chat(request, db, _borrower(request))
    return RedirectResponse("/m/assistant#end", status_code=303)


@router.get("", response_class=HTMLResponse, dependencies=[Depends(public())])
def m_assistant(request: Request, db: DB) -> Response:
    return _chat(request, db, _borrower(request))


@router.get("/messages", response_class=HTMLResponse, dependencies=[Depends(public())])
def m_assistant_messages(request: Request, db: DB) -> Response:
    """The polled part: the messages (and whether to keep polling)."""
    principal = _borrower(request)
    return render(request, "_m_chat_messages.html", principal, **_context(request, db, principal))


@router.post("/say", dependencies=[Depends(public()), Depends(check_csrf)])
def m_assistant_say(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    access: AccessDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    conv = _conversation(request, db, rt)
    try:
        reply = assistant_service.say(db, rt.clock, conv, _borrower(request), text, access)
    except DomainError as exc:
        raise refuse(request, exc, "/m/assistant") from exc
    _remember(request, conv, reply)
    return _after(request, db)


@router.post("/choose", dependencies=[Depends(public()), Depends(check_csrf)])
def m_assistant_choose(
    request: Request, db: DB, rt: RuntimeDep, intent: Annotated[str, Form()] = ""
) -> Response:
    conv = _conversation(request, db, rt)
    try:
        reply = assistant_service.choose(db, rt.clock, conv, _borrower(request), intent)
    except DomainError as exc:
        raise refuse(request, exc, "/m/assistant") from exc
    _remember(request, conv, reply)
    return _after(request, db)


@router.post("/person", dependencies=[Depends(public()), Depends(check_csrf)])
def m_assistant_person(request: Request, db: DB, rt: RuntimeDep) -> Response:
    conv = _conversation(request, db, rt)
    reply = assistant_service.ask_for_person(db, rt.clock, conv)
    _remember(request, conv, reply)
    return _after(request, db)


@router.post("/rate", dependencies=[Depends(public()), Depends(check_csrf)])
def m_assistant_rate(
    request: Request, db: DB, rt: RuntimeDep, stars: Annotated[int, Form()] = 0
) -> Response:
    conv = _current(request, db, _borrower(request))
    if conv is None:
        return RedirectResponse("/m/assistant", status_code=303)
    try:
        assistant_service.rate(db, rt.clock, conv, stars)
    except DomainError as exc:
        raise refuse(request, exc, "/m/assistant") from exc
    request.session.pop(LAST_KEY, None)
    return RedirectResponse("/m/assistant?rated=1", status_code=303)


@router.post("/new", dependencies=[Depends(public()), Depends(check_csrf)])
def m_assistant_new(request: Request) -> Response:
    request.session.pop(CONV_KEY, None)
    request.session.pop(LAST_KEY, None)
    return RedirectResponse("/m/assistant", status_code=303)


@router.post("/lock", dependencies=[Depends(check_csrf)])
def m_assistant_lock(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    """The fraud script's offer: lock sign-in now (every session ends, this one too)."""
    assistant_service.lock_sign_in(db, rt.clock, principal)
    keep = {k: request.session.get(k) for k in ("lang", "large", "csrf")}
    request.session.clear()
    request.session.update({k: v for k, v in keep.items() if v is not None})
    return RedirectResponse("/m/assistant?locked=1", status_code=303)
