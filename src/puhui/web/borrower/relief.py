"""Relief on /m (纾困): the borrower asks for a deferral (延期还本付息) or a renewal (无还本续贷)
of a loan, with a reason and an optional document, and follows the officers' decision. Loans
maturing within 30 days are offered renewal (the banner on /m/home and here).

The rules are `lending.servicing` and `flows.relief` (the renewal's fresh credit decision, the
enterprise's data pulled again under the consent given on this form); this file renders them.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.clock import Clock, business_date
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.decisioning.schemas import ConsentIn
from puhui.flows import relief as relief_flow
from puhui.lending import service as lending_service
from puhui.lending.servicing import service as servicing
from puhui.web.borrower.pages import _consent_items, _decision_env, _mrender
from puhui.web.pages import check_csrf, refuse

router = APIRouter(prefix="/m", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)
MATURING_DAYS = 30
MAX_DOCUMENT_BYTES = 512 * 1024


def maturing(session: Session, clock: Clock, principal: Principal) -> list[Any]:
    """The principal's active loans maturing within 30 days (the renewal offer's banner)."""
    today = business_date(clock)
    soon = today + timedelta(days=MATURING_DAYS)
    return [
        loan
        for e in sorted(principal.enterprise_ids)
        for loan in lending_service.list_loans(session, enterprise_id=e)
        if loan.status == "active" and today <= loan.maturity_date <= soon
    ]


def _active_loans(session: Session, principal: Principal) -> list[Any]:
    return [
        loan
        for e in sorted(principal.enterprise_ids)
        for loan in lending_service.list_loans(session, enterprise_id=e)
        if loan.status == "active"
    ]


@router.get("/relief", response_class=HTMLResponse)
def m_relief(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _mrender(
        request,
        "m_relief.html",
        principal,
        requests=servicing.of_enterprises(db, principal.enterprise_ids),
        loans=_active_loans(db, principal),
        maturing=maturing(db, rt.clock, principal),
    )


@router.get("/loans/{loan_id}/relief", response_class=HTMLResponse)
def m_relief_form(
    request: Request,
    loan_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(BORROWER)],
    kind: str = "deferral",
) -> Response:
    loan = lending_service.get_loan_for(db, principal, loan_id)
    return _mrender(
        request,
        "m_relief_form.html",
        principal,
        loan=loan,
        kind="renewal" if kind == "renewal" else "deferral",
        consents=_consent_items(request_lang(request)),
    )


def _document(upload: UploadFile | None) -> list[servicing.Document]:
    if upload is None or not upload.filename:
        return []
    content = upload.file.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(field="document")
    name = upload.filename.rsplit("/", 1)[-1][:120]
    return [servicing.Document(name, hashlib.sha256(content).hexdigest(), len(content))]


def _consent(kind: servicing.ReliefRequestKind, agree: str | None, lang: str) -> ConsentIn | None:
    """A renewal's fresh decision pulls the enterprise's data again: under this consent."""
    if kind != servicing.ReliefRequestKind.RENEWAL:
        return None
    if agree != "yes":
        raise InvalidInput(field="agree")
    items = _consent_items(lang)
    return ConsentIn(
        agree=True,
        text_lang=lang,
        text_versions={c["source"]: c["version"] for c in items if c["version"]},
        text_sha256={c["source"]: c["sha256"] for c in items if c["sha256"]},
    )


@router.post("/loans/{loan_id}/relief", dependencies=[Depends(check_csrf)])
def m_relief_submit(
    request: Request,
    loan_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    kind: Annotated[str, Form()],
    months: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)],
    agree: Annotated[str | None, Form()] = None,
    document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    back = f"/m/loans/{loan_id}/relief?kind={kind}"
    typed = {"months": months, "reason": reason}
    try:
        if kind not in ("deferral", "renewal"):
            raise InvalidInput(field="kind")
        if not months.strip().isdigit():
            raise InvalidInput(field="months")
        relief_kind = servicing.ReliefRequestKind(kind)
        req = relief_flow.submit_relief_request(
            db, rt.clock, _decision_env(request, rt), principal, loan_id,
            kind=relief_kind, months=int(months), reason=reason,
            consent=_consent(relief_kind, agree, request_lang(request)),
            documents=_document(document),
        )  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back, typed=typed) from exc
    return RedirectResponse(f"/m/relief/{req.id}", status_code=303)


@router.get("/relief/{request_id}", response_class=HTMLResponse)
def m_relief_request(
    request: Request,
    request_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    req = servicing.get_for(db, principal, request_id)
    loan = lending_service.get_loan_for(db, principal, req.loan_id)
    return _mrender(
        request,
        "m_relief_request.html",
        principal,
        req=req,
        loan=loan,
        history=servicing.history(db, req.id),
    )


@router.post("/relief/{request_id}/withdraw", dependencies=[Depends(check_csrf)])
def m_relief_withdraw(
    request: Request,
    request_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    servicing.get_for(db, principal, request_id)
    try:
        servicing.withdraw(db, rt.clock, principal, request_id)
    except DomainError as exc:
        raise refuse(request, exc, f"/m/relief/{request_id}") from exc
    return RedirectResponse(f"/m/relief/{request_id}", status_code=303)
