"""The borrower's data rights on /m (PIPL art. 44–47): what Puhui holds about them and their
enterprises (personal values masked), revoking a data authorization, and asking for deletion —
done where the law allows, refused with the legal reason where a retention duty applies.
The rules are `flows.data_rights`; this file only renders them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, public, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.flows import data_rights
from puhui.web import labels
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/m/rights", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)


def _page(request: Request, name: str, principal: Principal | None, **ctx: Any) -> Response:
    lang = request_lang(request)
    return render(
        request,
        name,
        principal,
        large=bool(request.session.get("large")),
        L=lambda zh, en: zh if lang == "zh" else en,
        src_label=lambda s: labels.label("source", s, lang),
        purpose_label=lambda p: labels.label("purpose", p, lang),
        status_label=lambda s: labels.label("consent_status", s, lang),
        **ctx,
    )


def _rights_page(
    request: Request, db: DB, rt: RuntimeDep, principal: Principal, error: Any = None
) -> Response:
    held = data_rights.holdings(db, rt.clock, principal)
    refusal = None if held.deletable else data_rights.DeletionRefused()
    lang = request_lang(request)
    return _page(
        request,
        "m_rights.html",
        principal,
        held=held,
        refusal=refusal.message(lang) if refusal else None,
        revoked=request.query_params.get("revoked") == "1",
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def m_rights(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _rights_page(request, db, rt, principal)


@router.post("/consents/{consent_id}/revoke", dependencies=[Depends(check_csrf)])
def m_revoke_consent(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    consent_id: uuid.UUID,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        data_rights.revoke_consent(db, rt.clock, principal, consent_id)
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _rights_page(request, db, rt, principal, error)
        ) from exc
    return RedirectResponse("/m/rights?revoked=1", status_code=303)


@router.post("/delete", dependencies=[Depends(check_csrf)])
def m_request_deletion(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    confirm: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        if confirm != "yes":
            raise InvalidInput(field="confirm")
        data_rights.request_deletion(db, rt.clock, principal)
    except DomainError as exc:
        raise page_error(
            request, exc, lambda error: _rights_page(request, db, rt, principal, error)
        ) from exc
    keep = {k: request.session.get(k) for k in ("lang", "large", "csrf")}
    request.session.clear()
    request.session.update({k: v for k, v in keep.items() if v is not None})
    return RedirectResponse("/m/rights/deleted", status_code=303)


@router.get("/deleted", response_class=HTMLResponse, dependencies=[Depends(public())])
def m_deleted(request: Request) -> Response:
    return _page(request, "m_rights_deleted.html", None)
