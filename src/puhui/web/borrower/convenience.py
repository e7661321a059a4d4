"""便民服务 on /m: the signed-in legal representative's own housing-fund and social-security
contribution records (`assistant.convenience`). Without the person's own consent the page shows
the two authorization texts and asks for it; the consent is then listed (and revocable) on
/m/rights like any other. Sandbox data is labelled as such."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.assistant import convenience
from puhui.assistant.errors import NotLegalRepresentative
from puhui.assistant.router import AccessDep
from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.datahub.payloads import SourceName
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix=convenience.PAGE, route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)


@router.get("", response_class=HTMLResponse)
def m_convenience(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    access: AccessDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    lang = request_lang(request)
    rep = convenience.representative_of(db, access.cipher, principal)
    ctx: dict[str, Any] = {"rep": rep, "records": None, "texts": [], "failure": None}
    if rep is not None and not convenience.has_consent(db, rt.clock, rep):
        ctx["texts"] = convenience.consent_texts(lang)
    elif rep is not None:
        try:
            ctx["records"] = convenience.read_records(db, rt.clock, access, rep)
        except DomainError as exc:
            ctx["failure"] = exc.message(lang)
    return render(
        request,
        "m_convenience.html",
        principal,
        L=lambda zh, en: zh if lang == "zh" else en,
        large=bool(request.session.get("large")),
        **ctx,
    )


@router.post("/consent", dependencies=[Depends(check_csrf)])
def m_convenience_consent(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    access: AccessDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    sha_housing_fund: Annotated[str | None, Form()] = None,
    sha_social_security: Annotated[str | None, Form()] = None,
) -> Response:
    lang = request_lang(request)
    rep = convenience.representative_of(db, access.cipher, principal)
    shown = {
        source: sha
        for source, sha in (
            (SourceName.HOUSING_FUND, sha_housing_fund),
            (SourceName.SOCIAL_SECURITY, sha_social_security),
        )
        if sha
    }
    try:
        if rep is None:
            raise NotLegalRepresentative()
        convenience.give_consent(db, rt.clock, principal, rep, lang, shown)
    except DomainError as exc:
        raise refuse(request, exc, convenience.PAGE) from exc
    return RedirectResponse(convenience.PAGE, status_code=303)
