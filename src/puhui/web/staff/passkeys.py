"""Security keys (WebAuthn) in the console: registration on the security page, and the
assertion at login as the alternative to the authenticator code. The browser side is
`static/webauthn.js`; each ceremony's challenge rides in the signed session cookie, used once."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from puhui.core import auth, passkeys
from puhui.core.auth import ALL_STAFF, Principal, public, require_page
from puhui.core.models import User
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.web.pages import check_csrf
from puhui.web.staff.account import NEXT_KEY, pending_login, safe_target

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

_CHALLENGE = "webauthn_challenge"


def relying_party(request: Request, rt: Runtime) -> passkeys.RelyingParty:
    """The RP ID and origin: from settings when set (behind a proxy), else from the request."""
    origin = rt.settings.webauthn_origin or str(request.base_url).rstrip("/")
    rp_id = rt.settings.webauthn_rp_id or (request.url.hostname or "localhost")
    return passkeys.RelyingParty(rp_id=rp_id, origin=origin)


def _remember(request: Request, challenge: bytes) -> None:
    request.session[_CHALLENGE] = base64.urlsafe_b64encode(challenge).decode()


def _take_challenge(request: Request) -> bytes:
    value = request.session.pop(_CHALLENGE, None)
    return base64.urlsafe_b64decode(value) if isinstance(value, str) else b""


def _options(json_text: str) -> Response:
    return Response(json_text, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.post("/security/webauthn/options", dependencies=[Depends(check_csrf)])
def register_options(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    user = db.get(User, principal.user_id)
    assert user is not None
    options, challenge = passkeys.registration_options(db, relying_party(request, rt), user)
    _remember(request, challenge)
    return _options(options)


@router.post("/security/webauthn/register", dependencies=[Depends(check_csrf)])
def register(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
    credential: Annotated[dict[str, Any], Body()],
    label: Annotated[str, Body(max_length=64)] = "",
) -> Response:
    user = db.get(User, principal.user_id)
    assert user is not None
    passkeys.register(
        db,
        rt.clock,
        relying_party(request, rt),
        user,
        credential=credential,
        challenge=_take_challenge(request),
        label=label,
    )
    return JSONResponse({"ok": True}, status_code=201)


@router.post("/security/webauthn/{key_id}/remove", dependencies=[Depends(check_csrf)])
def remove(
    key_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*ALL_STAFF))],
) -> Response:
    user = db.get(User, principal.user_id)
    assert user is not None
    passkeys.remove_key(db, user, key_id)
    return RedirectResponse("/console/security", status_code=303)


@router.post("/login/webauthn/options", dependencies=[Depends(public()), Depends(check_csrf)])
def login_options(request: Request, db: DB, rt: RuntimeDep) -> Response:
    found = pending_login(request, db, rt)
    if found is None or not passkeys.has_keys(db, found[1]):
        return JSONResponse({"error": "no pending login"}, status_code=409)
    options, challenge = passkeys.authentication_options(db, relying_party(request, rt), found[1])
    _remember(request, challenge)
    return _options(options)


@router.post("/login/webauthn", dependencies=[Depends(public()), Depends(check_csrf)])
def login_assertion(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    credential: Annotated[dict[str, Any], Body(embed=True)],
) -> Response:
    """The security key's answer completes the pending login (a failure counts in the
    throttle like a wrong code)."""
    found = pending_login(request, db, rt)
    if found is None:
        return JSONResponse({"error": "no pending login"}, status_code=409)
    row, user = found
    ip = auth.client_ip(request)
    auth.check_throttle(
        db,
        rt.clock,
        username=user.username,
        ip=ip,
        window_minutes=rt.settings.login_window_minutes,
        policy=auth.throttle_policy(rt.settings.login_max_failures),
    )
    rp = relying_party(request, rt)
    challenge = _take_challenge(request)
    if not passkeys.verify_assertion(
        db, rt.clock, rp, user, credential=credential, challenge=challenge
    ):
        auth.record_failure(db, rt.clock, user.username, ip)
        raise passkeys.KeyRefused()
    auth.complete_session(db, rt.clock, row, rt.settings.token_ttl_minutes)
    target = safe_target(str(request.session.pop(NEXT_KEY, None) or "/console/"))
    return JSONResponse({"next": target})
