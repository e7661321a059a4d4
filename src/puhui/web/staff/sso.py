"""Sign in with the bank's directory (OpenID Connect), offered on the login page when
`PUHUI_OIDC_ISSUER` is set. The browser goes to the directory and comes back to the callback;
state, nonce and the PKCE verifier wait in the signed session cookie, used once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from puhui.core import audit, auth, mfa, sso
from puhui.core.auth import public
from puhui.core.errors import DomainError
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.web.pages import page_error, render
from puhui.web.staff.account import NEXT_KEY, safe_target

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

_PENDING = "sso"


def _redirect_uri(request: Request, rt: Runtime) -> str:
    return rt.settings.oidc_redirect_uri or f"{request.base_url}console/login/sso/callback"


@router.get("/login/sso", dependencies=[Depends(public())])
def sso_start(request: Request, rt: RuntimeDep, next: str = "/console/") -> Response:
    if not sso.configured(rt.settings):
        return Response(status_code=404)
    try:
        begun = sso.start(rt.settings, _redirect_uri(request, rt))
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: render(request, "login.html", next=next, error=error)
        ) from exc
    request.session[_PENDING] = {
        "state": begun.state,
        "nonce": begun.nonce,
        "verifier": begun.verifier,
        "next": safe_target(next),
    }
    return RedirectResponse(begun.url, status_code=303)


@router.get("/login/sso/callback", dependencies=[Depends(public())])
def sso_callback(
    request: Request, db: DB, rt: RuntimeDep, code: str = "", state: str = ""
) -> Response:
    pending = request.session.pop(_PENDING, None)
    try:
        if not isinstance(pending, dict) or not code or state != pending.get("state"):
            raise sso.SsoFailed()
        login = sso.finish(
            db,
            rt.clock,
            rt.settings,
            code=code,
            redirect_uri=_redirect_uri(request, rt),
            nonce=str(pending["nonce"]),
            verifier=str(pending["verifier"]),
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: render(request, "login.html", error=error, sso=True)
        ) from exc
    user = login.user
    ip = auth.client_ip(request)
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, ip))
    secret = auth.start_session(
        db,
        rt.clock,
        user,
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
        method="oidc",
        ttl_minutes=rt.settings.token_ttl_minutes,
        complete=login.second_factor_passed,
    )
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    request.session[auth.SESSION_KEY] = secret
    target = safe_target(str(pending["next"]))
    if login.second_factor_passed:
        auth.record_success(db, rt.clock, user.username, ip)
        return RedirectResponse(target, status_code=303)
    request.session[NEXT_KEY] = target
    step = "second-factor" if mfa.is_enrolled(user) else "enrol"
    return RedirectResponse(f"/console/login/{step}", status_code=303)
