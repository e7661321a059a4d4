"""Applicant pages of the identity domain (/m/identity/…): the face check (a short selfie video
recorded in the browser with getUserMedia + MediaRecorder and scored by the provider), the
legal representative's authorisations of agents (经办人), and the business-licence photo that
prefills the application (OCR, cross-checked against the registry).

Sandbox providers are labelled 沙箱 / Sandbox on every page they answer for.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.datahub.payloads import RegistryPayload, SourceName
from puhui.datahub.router import get_connectors
from puhui.identity import service as identity_service
from puhui.identity.adapters import SANDBOX_LABEL, IdentityProviders
from puhui.identity.errors import AgentNotAuthorised, LicenceMismatch, LicenceUnreadable
from puhui.identity.licence import LicenceFields
from puhui.identity.rules import AgentScope, parse_scopes
from puhui.parties import service as parties_service
from puhui.web.borrower.pages import BORROWER, _mobile_of, _mrender
from puhui.web.pages import check_csrf, page_error, refuse

router = APIRouter(prefix="/m/identity", route_class=UnitOfWorkRoute, include_in_schema=False)

DEVICE_COOKIE = "puhui_device"
PREFILL_KEY = "licence_prefill"


def providers(request: Request) -> IdentityProviders:
    found: IdentityProviders = request.app.state.identity
    return found


def device_hash(request: Request, cipher: FieldCipher) -> str:
    """The keyed hash of this browser's device cookie (a browser without one is a new device)."""
    cookie = request.cookies.get(DEVICE_COOKIE) or f"new:{secrets.token_hex(8)}"
    return cipher.lookup_hash(cookie, "device")


def _rep_of(db: Session, principal: Principal, enterprise_id: uuid.UUID) -> uuid.UUID:
    if enterprise_id not in principal.enterprise_ids:
        raise InvalidInput(field="enterprise_id")
    reps = parties_service.legal_representatives_of(db, enterprise_id)
    if not reps:
        raise InvalidInput(field="enterprise_id")
    return reps[0]


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/m/") and not value.startswith("//") else "/m/home"


# ------------------------------------------------------------------------------ face check


def _face_page(
    request: Request, db: Session, principal: Principal, next_url: str, **ctx: Any
) -> Response:
    enterprises = [parties_service.get_enterprise(db, e) for e in principal.enterprise_ids]
    return _mrender(
        request,
        "m_identity_face.html",
        principal,
        enterprises=enterprises,
        next_url=next_url,
        sandbox=providers(request).face.is_sandbox,
        sandbox_label=SANDBOX_LABEL,
        **ctx,
    )


@router.get("/face", response_class=HTMLResponse)
def m_face_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(BORROWER)],
    next: str | None = None,
) -> Response:
    return _face_page(request, db, principal, _safe_next(next))


@router.post("/face", dependencies=[Depends(check_csrf)])
async def m_face_submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    enterprise_id: Annotated[uuid.UUID, Form()],
    video: Annotated[UploadFile, File()],
    next_url: Annotated[str, Form()] = "/m/home",
) -> Response:
    content = await video.read(identity_service.MAX_CAPTURE_BYTES + 1)
    target = _safe_next(next_url)
    cookie = request.cookies.get(DEVICE_COOKIE) or secrets.token_urlsafe(16)
    try:
        person_id = _rep_of(db, principal, enterprise_id)
        if not identity_service.is_verified_rep_mobile(
            db, rt.cipher, rt.clock.now(), person_id, _mobile_of(request, principal)
        ):
            identity_service.require_verified_rep(db, rt.clock.now(), person_id)
            raise InvalidInput(field="enterprise_id")  # an agent: the face must be the rep's
        identity_service.verify_face(
            db,
            rt.clock,
            rt.cipher,
            providers(request).face,
            person_id=person_id,
            video=content,
            content_type=video.content_type or "video/webm",
            retention=timedelta(days=providers(request).settings.capture_retention_days),
            user_id=principal.user_id,
            device_hash=rt.cipher.lookup_hash(cookie, "device"),
        )
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _face_page(request, db, principal, target, error=error)
        ) from exc
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        DEVICE_COOKIE,
        cookie,
        max_age=400 * 86400,
        httponly=True,
        secure=rt.settings.cookie_secure,
        samesite="lax",
    )
    return response


# ---------------------------------------------------------------------------------- agents


def _agents_page(
    request: Request, db: Session, rt: Runtime, principal: Principal, **ctx: Any
) -> Response:
    mobile = _mobile_of(request, principal)
    now = rt.clock.now()
    own = []
    for enterprise_id in sorted(principal.enterprise_ids):
        enterprise = parties_service.get_enterprise(db, enterprise_id)
        reps = parties_service.legal_representatives_of(db, enterprise_id)
        is_rep = any(
            identity_service.is_verified_rep_mobile(db, rt.cipher, now, p, mobile) for p in reps
        )
        grants = identity_service.authorisations_of(db, enterprise_id) if is_rep else []
        own.append({"enterprise": enterprise, "is_rep": is_rep, "grants": grants})
    received = identity_service.authorisations_for_agent(db, rt.cipher, mobile)
    names = {a.enterprise_id: parties_service.get_enterprise(db, a.enterprise_id) for a in received}
    return _mrender(
        request,
        "m_identity_agents.html",
        principal,
        own=own,
        received=received,
        names=names,
        now=now,
        scopes=list(AgentScope),
        linked=principal.enterprise_ids,
        **ctx,
    )


@router.get("/agents", response_class=HTMLResponse)
def m_agents(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _agents_page(request, db, rt, principal)


@router.post("/agents", dependencies=[Depends(check_csrf)])
async def m_agents_grant(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    enterprise_id: Annotated[uuid.UUID, Form()],
    agent_name: Annotated[str, Form()],
    agent_mobile: Annotated[str, Form()],
    days: Annotated[str, Form()] = "30",
) -> Response:
    form = await request.form()
    try:
        scopes = parse_scopes([str(v) for v in form.getlist("scope")])
        if not days.isdigit():
            raise InvalidInput(field="days")
        identity_service.grant_authorisation(
            db,
            rt.clock,
            rt.cipher,
            enterprise_id=enterprise_id,
            rep_person_id=_rep_of(db, principal, enterprise_id),
            grantor_mobile=_mobile_of(request, principal),
            grantor_user_id=principal.user_id,
            agent_name=agent_name,
            agent_mobile=agent_mobile,
            scopes=scopes,
            days=int(days),
        )
    except ValueError as exc:
        bad = InvalidInput(field="scope")
        raise page_error(
            request, bad, lambda error: _agents_page(request, db, rt, principal, error=error)
        ) from exc
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _agents_page(request, db, rt, principal, error=error)
        ) from exc
    return RedirectResponse("/m/identity/agents?granted=1", status_code=303)


@router.post("/agents/{authorisation_id}/revoke", dependencies=[Depends(check_csrf)])
def m_agents_revoke(
    request: Request,
    authorisation_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        identity_service.revoke_authorisation(
            db,
            rt.clock,
            rt.cipher,
            authorisation_id=authorisation_id,
            enterprise_ids=principal.enterprise_ids,
            grantor_mobile=_mobile_of(request, principal),
        )
    except DomainError as exc:
        raise refuse(request, exc, "/m/identity/agents") from exc
    return RedirectResponse("/m/identity/agents", status_code=303)


@router.post("/agents/{authorisation_id}/accept", dependencies=[Depends(check_csrf)])
def m_agents_accept(
    request: Request,
    authorisation_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    """The agent (signed in with the authorised mobile) starts acting for the enterprise."""
    from puhui.core import auth
    from puhui.core.models import User

    mobile = _mobile_of(request, principal)
    held = {a.id: a for a in identity_service.authorisations_for_agent(db, rt.cipher, mobile)}
    grant = held.get(authorisation_id)
    user = db.get(User, principal.user_id)
    if grant is None or not grant.is_live(rt.clock.now()) or user is None:
        refused = AgentNotAuthorised(scope_zh="—", scope_en="—")
        raise page_error(
            request, refused, lambda error: _agents_page(request, db, rt, principal, error=error)
        )
    if grant.enterprise_id not in principal.enterprise_ids:
        auth.link_enterprise(db, user, grant.enterprise_id)
    return RedirectResponse("/m/home", status_code=303)


# --------------------------------------------------------------------------------- licence


def cross_check(fields: LicenceFields, registry: RegistryPayload) -> None:
    """The licence's name and legal representative are the registry's (else LicenceMismatch)."""
    if fields.name and fields.name != registry.name:
        raise LicenceMismatch(
            what_zh="企业名称", what_en="name", read=fields.name, registered=registry.name
        )
    if fields.legal_representative and fields.legal_representative != (
        registry.legal_representative
    ):
        raise LicenceMismatch(
            what_zh="法定代表人",
            what_en="legal representative",
            read=fields.legal_representative,
            registered=registry.legal_representative,
        )


def _registry(request: Request, uscc: str) -> RegistryPayload | None:
    from puhui.datahub.errors import SubjectUnknown

    connector = get_connectors(request).for_source(SourceName.REGISTRY)
    try:
        raw = connector.fetch(SourceName.REGISTRY, uscc, request_id=str(uuid.uuid4()))
    except SubjectUnknown:
        return None
    return raw if isinstance(raw, RegistryPayload) else None


@router.post("/licence", dependencies=[Depends(check_csrf)])
async def m_licence(
    request: Request,
    principal: Annotated[Principal, Depends(BORROWER)],
    photo: Annotated[UploadFile, File()],
) -> Response:
    from starlette.concurrency import run_in_threadpool

    from puhui.identity.ocr import MAX_IMAGE_BYTES, read_licence

    image = await photo.read(MAX_IMAGE_BYTES + 1)
    try:
        if not image or len(image) > MAX_IMAGE_BYTES:
            raise LicenceUnreadable(field="photo")
        fields, _ = await run_in_threadpool(read_licence, image)
        if fields.uscc is None:
            raise LicenceUnreadable(field="photo")
        registry = _registry(request, fields.uscc)
        if registry is not None:
            cross_check(fields, registry)
    except DomainError as exc:
        request.session[PREFILL_KEY] = {
            "error_zh": exc.message("zh"),
            "error_en": exc.message("en"),
        }
        return RedirectResponse("/m/apply?licence=error", status_code=303)
    request.session[PREFILL_KEY] = {
        "uscc": fields.uscc,
        "rep_name": fields.legal_representative or "",
        "name": fields.name or "",
        "registered": registry is not None,
    }
    return RedirectResponse("/m/apply?licence=read", status_code=303)


def licence_prefill(request: Request) -> dict[str, Any] | None:
    """What the licence photo prefilled (once), for the application form."""
    value = request.session.pop(PREFILL_KEY, None)
    return value if isinstance(value, dict) else None


# ------------------------------------------------------------------ hooks of the apply flow


def check_applicant(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    *,
    uscc: str,
    rep_name: str,
    rep_resident_id: str,
) -> None:
    """Before an application: the signed-in person is the legal representative (carrier
    three-factor with the signed-in mobile, asked once and then remembered), or an agent with a
    live authorisation to apply for a known enterprise."""
    mobile = _mobile_of(request, principal)
    enterprise = parties_service.find_enterprise(db, uscc.strip().upper()) if uscc else None
    if enterprise is not None and enterprise.id in principal.enterprise_ids:
        try:
            identity_service.require_authority(
                db,
                rt.cipher,
                rt.clock.now(),
                enterprise_id=enterprise.id,
                mobile=mobile,
                scope=AgentScope.APPLY,
            )
        except AgentNotAuthorised:
            # a representative who applied before verification existed: checked now, once
            if not _verify_known_rep(request, db, rt, principal, enterprise.id, mobile):
                raise
        return
    if rep_name.strip() or rep_resident_id.strip():
        identity_service.ensure_three_factor(
            db,
            rt.clock,
            rt.cipher,
            providers(request).three_factor,
            name=rep_name,
            resident_id=rep_resident_id,
            mobile=mobile,
            user_id=principal.user_id,
        )


def _verify_known_rep(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    enterprise_id: uuid.UUID,
    mobile: str,
) -> bool:
    """Carrier three-factor of the enterprise's recorded legal representative with the
    signed-in mobile; True when it passes."""
    from puhui.identity.errors import VerificationFailed

    for person_id in parties_service.legal_representatives_of(db, enterprise_id):
        person = parties_service.get_person(db, person_id)
        try:
            identity_service.ensure_three_factor(
                db,
                rt.clock,
                rt.cipher,
                providers(request).three_factor,
                name=person.name,
                resident_id=rt.cipher.decrypt(person.resident_id_enc, "resident_id"),
                mobile=mobile,
                user_id=principal.user_id,
            )
        except VerificationFailed:
            continue
        return True
    return False
