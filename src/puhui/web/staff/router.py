"""Staff console (/console): server-rendered pages with Jinja2 + htmx, calling the same services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core import audit, auth
from puhui.core.auth import ALL_STAFF, Principal, public, require_page
from puhui.core.errors import DomainError
from puhui.core.hardening import same_site_path
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.reporting import lists
from puhui.web.pages import check_csrf, page_error, render
from puhui.web.paging import pager

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/console/") -> Response:
    if next.startswith("/m/") or next == "/m":
        return RedirectResponse("/m/start", status_code=303)  # applicants sign in by SMS code
    return render(request, "login.html", next=same_site_path(next, "/console/"))


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
        raise page_error(
            request,
            exc,
            lambda error: render(request, "login.html", next=next, error=error, username=username),
        ) from exc
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, auth.client_ip(request)))
    session_id = auth.issue_session(db, rt.clock, user, rt.settings.token_ttl_minutes)
    request.session.clear()
    request.session["sid"] = session_id
    target = same_site_path(next, "/console/")
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
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        auth.revoke_session(db, rt.clock, session_id)
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)


@router.get("/lang/{code}", dependencies=[Depends(public())])
def switch_language(request: Request, code: str, back: str = "/console/") -> Response:
    if code in ("zh", "en"):
        request.session["lang"] = code
    return RedirectResponse(same_site_path(back, "/console/"), status_code=303)


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
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    found = lists.enterprises(db, q=q, page=page)
    return render(
        request, "enterprises.html", principal, rows=found.rows, pager=pager(request, found), q=q
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.AUDITOR, Role.ADMIN))],
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    found = lists.audit_events(db, q=q, page=page)
    result = audit.verify(db) if principal.role == Role.AUDITOR else None
    return render(
        request,
        "audit.html",
        principal,
        rows=found.rows,
        pager=pager(request, found),
        q=q,
        chain=result,
    )
