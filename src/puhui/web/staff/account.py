"""The staff member's own account in the console: the second factor at login (TOTP code or
recovery code), enrolment of an authenticator app (QR code, recovery codes shown once), and the
security page (live sessions with revocation, new recovery codes; an administrator ends all of a
user's sessions).

The second-factor pages are public routes on purpose: they serve only a session whose password
step passed and whose second factor is still owed (`auth.pending_session`), for a few minutes.
"""

from __future__ import annotations

import io
import uuid
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from puhui.core import auth, mfa, passkeys
from puhui.core.auth import ALL_STAFF, Principal, public, require_page
from puhui.core.errors import DomainError
from puhui.core.hardening import same_site_path
from puhui.core.models import Role, User, UserSession
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

NEXT_KEY = "after_login"


def safe_target(next_url: str) -> str:
    return same_site_path(next_url, "/console/")  # never off-site (core.hardening)


def pending_login(request: Request, db: DB, rt: Runtime) -> tuple[UserSession, User] | None:
    """The session whose second factor is owed, and its user (else None: back to login)."""
    secret = request.session.get(auth.SESSION_KEY)
    if not isinstance(secret, str):
        return None
    row = auth.pending_session(db, rt.clock, secret)
    if row is None or row.mfa_at is not None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def _to_login() -> Response:
    return RedirectResponse("/console/login", status_code=303)


def _done(request: Request) -> Response:
    target = request.session.pop(NEXT_KEY, None)
    return RedirectResponse(safe_target(str(target or "/console/")), status_code=303)


@router.get("/login/second-factor", response_class=HTMLResponse, dependencies=[Depends(public())])
def second_factor_page(request: Request, db: DB, rt: RuntimeDep) -> Response:
    found = pending_login(request, db, rt)
    if found is None:
        return _to_login()
    return render(request, "login_code.html", keys=passkeys.has_keys(db, found[1]))


@router.post("/login/second-factor", dependencies=[Depends(public()), Depends(check_csrf)])
def second_factor_submit(
    request: Request, db: DB, rt: RuntimeDep, code: Annotated[str, Form(max_length=20)]
) -> Response:
    found = pending_login(request, db, rt)
    if found is None:
        return _to_login()
    row, user = found
    ip = auth.client_ip(request)
    try:
        auth.check_throttle(
            db,
            rt.clock,
            username=user.username,
            ip=ip,
            window_minutes=rt.settings.login_window_minutes,
            policy=auth.throttle_policy(rt.settings.login_max_failures),
        )
        if not mfa.check_second_factor(db, rt.clock, rt.cipher, user, code):
            auth.record_failure(db, rt.clock, user.username, ip)
            raise mfa.InvalidSecondFactor(field="code")
    except DomainError as exc:
        keys = passkeys.has_keys(db, user)
        raise page_error(
            request, exc, lambda error: render(request, "login_code.html", error=error, keys=keys)
        ) from exc
    auth.complete_session(db, rt.clock, row, rt.settings.token_ttl_minutes)
    return _done(request)


@router.get("/login/enrol", response_class=HTMLResponse, dependencies=[Depends(public())])
def enrol_page(request: Request, db: DB, rt: RuntimeDep) -> Response:
    found = pending_login(request, db, rt)
    if found is None:
        return _to_login()
    _, user = found
    if mfa.is_enrolled(user):
        return RedirectResponse("/console/login/second-factor", status_code=303)
    secret = mfa.pending_secret(rt.cipher, user) or mfa.begin_enrolment(db, rt.cipher, user)
    return render(request, "login_enrol.html", secret=secret, account=user.username)


@router.get("/login/enrol/qr.svg", dependencies=[Depends(public())])
def enrol_qr(request: Request, db: DB, rt: RuntimeDep) -> Response:
    """The pending secret as an otpauth:// QR code for the authenticator app."""
    found = pending_login(request, db, rt)
    secret = mfa.pending_secret(rt.cipher, found[1]) if found else None
    if found is None or secret is None:
        return Response(status_code=404)
    buffer = io.BytesIO()
    uri = mfa.provisioning_uri(secret, found[1].username)
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, title="TOTP")
    return Response(
        buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@router.post("/login/enrol", dependencies=[Depends(public()), Depends(check_csrf)])
def enrol_submit(
    request: Request, db: DB, rt: RuntimeDep, code: Annotated[str, Form(max_length=20)]
) -> Response:
    found = pending_login(request, db, rt)
    if found is None:
        return _to_login()
    row, user = found
    ip = auth.client_ip(request)
    secret = mfa.pending_secret(rt.cipher, user) or ""
    try:
        auth.check_throttle(
            db,
            rt.clock,
            username=user.username,
            ip=ip,
            window_minutes=rt.settings.login_window_minutes,
            policy=auth.throttle_policy(rt.settings.login_max_failures),
        )
        try:
            codes = mfa.confirm_enrolment(db, rt.clock, rt.cipher, user, code)
        except mfa.InvalidSecondFactor:
            auth.record_failure(db, rt.clock, user.username, ip)
            raise
    except DomainError as exc:
        raise page_error(
            request,
            exc,
            lambda error: render(
                request, "login_enrol.html", secret=secret, account=user.username, error=error
            ),
        ) from exc
    auth.complete_session(db, rt.clock, row, rt.settings.token_ttl_minutes)
    target = safe_target(str(request.session.pop(NEXT_KEY, None) or "/console/"))
    return render(request, "recovery_codes.html", codes=codes, next=target)


# ------------------------------------------------------------------ the security page


def _security(
    request: Request, db: DB, rt: Runtime, principal: Principal, **ctx: object
) -> Response:
    user = db.get(User, principal.user_id)
    assert user is not None
    return render(
        request,
        "security.html",
        principal,
        sessions=auth.list_sessions(db, rt.clock, principal.user_id),
        current=getattr(request.state, "session_id", None),
        recovery_left=mfa.unused_recovery_codes(db, user),
        keys=passkeys.list_keys(db, user),
        enrolled_at=user.totp_enrolled_at,
        **ctx,
    )


@router.get("/security", response_class=HTMLResponse)
def security_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    return _security(request, db, rt, principal)


@router.post("/security/sessions/{session_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke_session(
    session_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    auth.revoke_session(db, rt.clock, principal, session_id)
    return RedirectResponse("/console/security", status_code=303)


@router.post("/security/recovery-codes", dependencies=[Depends(check_csrf)])
def new_recovery_codes(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    user = db.get(User, principal.user_id)
    assert user is not None
    codes = mfa.replace_recovery_codes(db, rt.clock, user)
    return render(request, "recovery_codes.html", principal, codes=codes, next="/console/security")


@router.post("/security/user-sessions/revoke", dependencies=[Depends(check_csrf)])
def revoke_user_sessions(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(Role.ADMIN))],
    username: Annotated[str, Form(max_length=64)],
) -> Response:
    user_id = db.scalar(select(User.id).where(User.username == username.strip()))
    try:
        if user_id is None:
            raise auth.UserNotFound(field="username")
        ended = auth.revoke_user_sessions(db, rt.clock, user_id)
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _security(request, db, rt, principal, admin_error=error)
        ) from exc
    return _security(request, db, rt, principal, admin_done=ended, admin_user=username)
