"""Staff console (/console): server-rendered pages with Jinja2 + htmx, calling the same services."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from puhui.console.i18n import translate
from puhui.core import audit, auth
from puhui.core.auth import ALL_STAFF, Principal, public, require_page
from puhui.core.errors import CsrfFailed, DomainError
from puhui.core.models import ROLE_LABELS_ZH, AuditEvent, Role
from puhui.core.money import format_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.parties import service as parties_service

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["format_fen"] = format_fen

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Unsafe console requests must echo the session's CSRF token (form field or header).

    A request authenticated by a bearer header carries no ambient cookie authority, so it needs
    no token.
    """
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise CsrfFailed()


def render(request: Request, name: str, principal: Principal | None = None, **ctx: Any) -> Response:
    lang = request_lang(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": lambda key, **p: translate(lang, key, **p),
            "principal": principal,
            "role_label": (
                ROLE_LABELS_ZH.get(principal.role, principal.role.value)
                if principal and lang == "zh"
                else principal.role.value
                if principal
                else ""
            ),
            "csrf": csrf_token(request),
            **ctx,
        },
    )


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/console/") -> Response:
    if next.startswith("/m/") or next == "/m":
        return RedirectResponse("/m/start", status_code=303)  # applicants sign in by SMS code
    return render(request, "login.html", next=next if next.startswith("/") else "/console/")


@router.post("/login", dependencies=[Depends(public()), Depends(check_csrf)])
def login_submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console/",
) -> Response:
    try:
        user = auth.authenticate(
            db,
            rt.clock,
            username=username,
            password=password,
            ip=auth.client_ip(request),
            max_failures=rt.settings.login_max_failures,
            window_minutes=rt.settings.login_window_minutes,
        )
    except DomainError as exc:
        response = render(
            request,
            "login.html",
            next=next,
            error=exc.message(request_lang(request)),
            username=username,
        )
        response.status_code = exc.status
        return response
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, auth.client_ip(request)))
    token, _ = auth.issue_token(db, rt.clock, user, rt.settings.token_ttl_minutes)
    request.session.clear()
    request.session["token"] = token
    target = next if next.startswith("/") and not next.startswith("//") else "/console/"
    if user.role == Role.BORROWER.value and target.startswith("/console"):
        target = "/m/"
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require_page(*Role))],
) -> Response:
    token = request.session.get("token")
    if isinstance(token, str):
        auth.revoke_token(db, rt.clock, token)
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)


@router.get("/lang/{code}", dependencies=[Depends(public())])
def switch_language(request: Request, code: str, back: str = "/console/") -> Response:
    if code in ("zh", "en"):
        request.session["lang"] = code
    return RedirectResponse(back if back.startswith("/") else "/console/", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))]
) -> Response:
    return render(request, "home.html", principal)


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    rows = parties_service.list_enterprises(db, limit=200)
    return render(request, "enterprises.html", principal, rows=rows)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.AUDITOR, Role.ADMIN))],
) -> Response:
    rows = list(db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(200)))
    result = audit.verify(db) if principal.role == Role.AUDITOR else None
    return render(request, "audit.html", principal, rows=rows, chain=result)
