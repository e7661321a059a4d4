"""Staff console (/console): server-rendered pages with Jinja2 + htmx, calling the same services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core import audit, auth, mfa, sso
from puhui.core.auth import ALL_STAFF, Principal, public, require_page
from puhui.core.errors import DomainError
from puhui.core.hardening import same_site_path
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.reporting import home as home_report
from puhui.reporting import lists
from puhui.web.pages import check_csrf, page_error, render
from puhui.web.paging import pager
from puhui.web.staff.account import NEXT_KEY

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_page(request: Request, rt: RuntimeDep, next: str = "/console/") -> Response:
    if next.startswith("/m/") or next == "/m":
        return RedirectResponse("/m/start", status_code=303)  # applicants sign in by SMS code
    return render(
        request,
        "login.html",
        next=same_site_path(next, "/console/"),
        sso=sso.configured(rt.settings),
    )


@router.post("/login", dependencies=[Depends(public()), Depends(check_csrf)])
def login_submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/console/",
    code: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """The password step. Staff then give their second factor (or enrol one) on the next page,
    unless the account is challenged (many failures elsewhere): then both come in this form."""
    try:
        login = auth.authenticate(
            db,
            rt.clock,
            username=username,
            password=password,
            ip=auth.client_ip(request),
            max_failures=rt.settings.login_max_failures,
            window_minutes=rt.settings.login_window_minutes,
            cipher=rt.cipher,
            code=code or None,
        )
    except DomainError as exc:
        challenge = isinstance(exc, mfa.SecondFactorRequired) or bool(code)
        raise page_error(
            request,
            exc,
            lambda error: render(
                request,
                "login.html",
                next=next,
                error=error,
                username=username,
                challenge=challenge,
                sso=sso.configured(rt.settings),
            ),
        ) from exc
    user = login.user
    staff = Role(user.role) != Role.BORROWER
    complete = not staff or login.second_factor_passed
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, auth.client_ip(request)))
    secret = auth.start_session(
        db,
        rt.clock,
        user,
        ip=auth.client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        method="password",
        ttl_minutes=rt.settings.token_ttl_minutes,
        complete=complete,
    )
    lang = request.session.get("lang")
    request.session.clear()  # a new CSRF token too
    if lang:
        request.session["lang"] = lang
    request.session[auth.SESSION_KEY] = secret
    target = same_site_path(next, "/console/")
    if not staff and target.startswith("/console"):
        target = "/m/"
    if not complete:
        request.session[NEXT_KEY] = target
        step = "second-factor" if mfa.is_enrolled(user) else "enrol"
        return RedirectResponse(f"/console/login/{step}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require_page(*Role))],
) -> Response:
    secret = request.session.get(auth.SESSION_KEY)
    if isinstance(secret, str):
        auth.end_session(db, rt.clock, secret)
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)


@router.get("/lang/{code}", dependencies=[Depends(public())])
def switch_language(request: Request, code: str, back: str = "/console/") -> Response:
    if code in ("zh", "en"):
        request.session["lang"] = code
    return RedirectResponse(same_site_path(back, "/console/"), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    """Today's work for the principal's role (`puhui.reporting.home`'s cards)."""
    cards = home_report.cards_for(db, rt.clock, principal)
    return render(request, "home.html", principal, cards=cards, now=rt.clock.now())


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
