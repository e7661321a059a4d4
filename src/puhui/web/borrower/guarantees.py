"""The guarantor on /m (保证人签署): a guarantor signed in for its enterprise (an enterprise
guarantor's, or the one a person guarantor represents) sees the guarantees waiting for it,
reads the guarantee contract, agrees to the consent of its own data (the bank pulls its
credit report, and an enterprise's registry and judicial record), receives the signing code
on its verified mobile and signs. The rules are `lending.guarantees`; this file renders them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.consents import texts as consent_texts
from puhui.consents.schemas import Channel, Purpose
from puhui.core import auth, otp
from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.datahub.router import get_connectors
from puhui.identity import service as identity_service
from puhui.lending import guarantees
from puhui.web.borrower.pages import (
    _cool_down,
    _dispatch,
    _mrender,
    _resend_in,
    _sandbox_code,
)
from puhui.web.pages import check_csrf, refuse

router = APIRouter(prefix="/m", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)


def _consents(row: guarantees.Guarantee, lang: str) -> list[dict[str, Any]]:
    items = []
    for source in guarantees.sources_of(row):
        text = consent_texts.current_text(source, Purpose.CREDIT_DECISION)
        shown = text.text("zh" if lang == "zh" else "en") if text else ""
        items.append({"source": source.value, "version": text.version if text else "",
                      "text": shown})  # fmt: skip
    return items


@router.get("/guarantees", response_class=HTMLResponse)
def m_guarantees(
    request: Request, db: DB, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    rows = guarantees.guarantees_to_sign(db, principal.enterprise_ids)
    return _mrender(request, "m_guarantees.html", principal, rows=rows)


@router.get("/guarantees/{guarantee_id}", response_class=HTMLResponse)
def m_guarantee(
    request: Request, guarantee_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:  # fmt: skip
    row = guarantees.get_guarantee_for(db, principal, guarantee_id)
    key = f"guarantee_msg:{guarantee_id}"
    message_id = request.session.get(key)
    sandbox_code = None
    if message_id and row.status == guarantees.GuaranteeStatus.SENT_FOR_SIGNATURE:
        _dispatch(request, rt, message_id)
        verified = identity_service.require_verified_rep(db, rt.clock.now(), row.signer_person_id)
        mobile = identity_service.verified_mobile(rt.cipher, verified)
        sandbox_code = _sandbox_code(request, rt, mobile, guarantees.SMS_TOPIC)
    return _mrender(
        request, "m_guarantee.html", principal, g=row,
        paragraphs=[line for line in row.document_text.splitlines() if line.strip()],
        consents=_consents(row, request_lang(request)), sent=bool(message_id),
        sandbox_code=sandbox_code,
        resend_in=_resend_in(request, rt, f"guarantee_resend_after:{guarantee_id}"),
    )  # fmt: skip


@router.post("/guarantees/{guarantee_id}/send", dependencies=[Depends(check_csrf)])
def m_guarantee_send(
    request: Request, guarantee_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    agree: Annotated[list[str] | None, Form()] = None,
    version: Annotated[list[str] | None, Form()] = None,
) -> Response:  # fmt: skip
    """The consent (when not yet given: the texts shown, each ticked; ``version`` holds
    "source:version" of each text shown) and the pull, then the signing code."""
    shown = dict(v.split(":", 1) for v in version or [] if ":" in v)
    back = f"/m/guarantees/{guarantee_id}"
    cool = f"guarantee_resend_after:{guarantee_id}"
    try:
        row = guarantees.get_guarantee_for(db, principal, guarantee_id)
        if row.status == guarantees.GuaranteeStatus.PROPOSED:
            versions = {}
            for source in guarantees.sources_of(row):
                if source.value not in (agree or []):
                    raise InvalidInput(field="consent")
                versions[source] = shown.get(source.value, "")
            guarantees.check(
                db, rt.clock, get_connectors(request), rt.cipher, principal, row.id,
                channel=Channel.H5, text_lang=request_lang(request), text_versions=versions,
            )  # fmt: skip
        sent = guarantees.send_code(db, rt.clock, rt.cipher, principal, row.id)
    except DomainError as exc:
        if isinstance(exc, otp.OtpTooSoon):
            _cool_down(request, rt, cool, exc)
        raise refuse(request, exc, back) from exc
    _cool_down(request, rt, cool)
    request.session[f"guarantee_msg:{guarantee_id}"] = str(sent.message_id)
    return RedirectResponse(back, status_code=303)


@router.post("/guarantees/{guarantee_id}/sign", dependencies=[Depends(check_csrf)])
def m_guarantee_sign(
    request: Request, guarantee_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)], code: Annotated[str, Form()],
) -> Response:  # fmt: skip
    back = f"/m/guarantees/{guarantee_id}"
    try:
        guarantees.sign(db, rt.clock, rt.cipher, principal, guarantee_id, code.strip(),
                        ip=auth.client_ip(request),
                        user_agent=request.headers.get("user-agent"))  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    request.session.pop(f"guarantee_msg:{guarantee_id}", None)
    return RedirectResponse(back, status_code=303)
