"""The applicant's pre-approved invitations on /m (预授信邀请): what a batch pre-screening
offered the enterprise — an indicative limit and rate, never a credit line — and the way to
apply from one: the application form, prefilled; the full decision runs on the applicant's
consent, and the invitation is marked as used (the hook in ``pages.m_apply_submit``)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.models import Role, User
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang, runtime_of
from puhui.decisioning import service as decisioning_service
from puhui.engagement import campaigns as campaign_service
from puhui.engagement import service as engagement_service
from puhui.engagement.errors import OfferNotFound, OfferNotOpen
from puhui.engagement.green import catalogue
from puhui.web.pages import FLASH, check_csrf, render

router = APIRouter(prefix="/m", route_class=UnitOfWorkRoute, include_in_schema=False)
Borrower = Annotated[Principal, Depends(require_page(Role.BORROWER))]
OFFER_KEY = "engagement_offer"
TOUCH_KEY = "engagement_touch"  # the campaign touch whose landing link brought the applicant
_FLASH_FIELD = "web.flash"


def _L(lang: str) -> Any:
    return lambda zh, en: zh if lang == "zh" else en


def mobile_hash_of(request: Request, principal: Principal) -> str | None:
    """The keyed hash of the signed-in applicant's mobile (invitations addressed to it)."""
    user = request.state.db.get(User, principal.user_id)
    if user is None or user.mobile_enc is None:
        return None
    cipher = runtime_of(request).cipher
    return cipher.lookup_hash(cipher.decrypt(user.mobile_enc, "core_user.mobile"), "mobile")


@router.get("/offers", response_class=HTMLResponse)
def m_offers(request: Request, db: DB, rt: RuntimeDep, principal: Borrower) -> Response:
    lang = request_lang(request)
    offers = engagement_service.open_offers_for(
        db,
        None,
        business_date(rt.clock),
        enterprise_ids=list(principal.enterprise_ids),
        contact_mobile_hash=mobile_hash_of(request, principal),
    )
    green = catalogue()
    opted_out = engagement_service.marketing_opted_out(
        db, list(principal.enterprise_ids), mobile_hash_of(request, principal)
    )
    return render(
        request,
        "m_offers.html",
        principal,
        offers=offers,
        opted_out=opted_out,
        green_label=lambda c: green.category_label(c, lang),
        L=_L(lang),
    )


@router.post("/offers/opt-out", dependencies=[Depends(check_csrf)])
def m_offers_opt_out(request: Request, db: DB, rt: RuntimeDep, principal: Borrower) -> Response:
    """No more marketing (invitations, campaigns); notices about the enterprise's own loans
    are not marketing and still come."""
    engagement_service.opt_out_of_marketing(
        db, rt.clock, list(principal.enterprise_ids), mobile_hash_of(request, principal), "m"
    )
    return RedirectResponse("/m/offers", status_code=303)


@router.get("/offers/{offer_id}/apply")
def m_offer_apply(
    request: Request, offer_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Borrower
) -> Response:
    """Apply from an invitation: the form, prefilled with the enterprise and the amount."""
    offer = engagement_service.get_open_offer(
        db,
        offer_id,
        business_date(rt.clock),
        enterprise_ids=list(principal.enterprise_ids),
        contact_mobile_hash=mobile_hash_of(request, principal),
    )
    typed = {"uscc": offer.enterprise_key, "amount_yuan": str(offer.indicative_limit_fen // 100)}
    sealed = rt.cipher.encrypt(json.dumps(typed, ensure_ascii=False), _FLASH_FIELD)
    request.session[FLASH] = {"path": "/m/apply", "typed": base64.b64encode(sealed).decode()}
    request.session[OFFER_KEY] = str(offer.id)
    return RedirectResponse("/m/apply", status_code=303)


def applied_from_offer(
    request: Request, rt: Runtime, principal: Principal, application_id: uuid.UUID
) -> None:
    """After an application: the invitation it came from (if any, and if it is for the same
    enterprise) is used. Counted once: a used invitation is no longer open."""
    _applied_from_campaign(request, rt, application_id)
    raw = request.session.pop(OFFER_KEY, None)
    if not isinstance(raw, str):
        return
    db = request.state.db
    day = business_date(rt.clock)
    try:
        offer = engagement_service.get_open_offer(
            db,
            uuid.UUID(raw),
            day,
            enterprise_ids=list(principal.enterprise_ids),
            contact_mobile_hash=mobile_hash_of(request, principal),
        )
    except (ValueError, OfferNotFound, OfferNotOpen):
        return
    app = decisioning_service.get_application(db, application_id)
    if offer.enterprise_id not in (None, app.enterprise_id):
        return
    engagement_service.mark_offer_applied(db, rt.clock, offer, application_id, app.enterprise_id)


def _applied_from_campaign(request: Request, rt: Runtime, application_id: uuid.UUID) -> None:
    """The campaign's funnel: an application after its landing link (counted once)."""
    raw = request.session.pop(TOUCH_KEY, None)
    if not isinstance(raw, str):
        return
    db = request.state.db
    app = decisioning_service.get_application(db, application_id)
    try:
        touch_id = uuid.UUID(raw)
    except ValueError:
        return
    campaign_service.record_application(db, rt.clock, touch_id, app.enterprise_id, application_id)


# --------------------------------------------------------------------------- inbox, landing


@router.get("/inbox", response_class=HTMLResponse)
def m_inbox(request: Request, db: DB, principal: Borrower) -> Response:
    """Messages to the enterprise: servicing notices always; campaigns unless opted out."""
    lang = request_lang(request)
    messages = campaign_service.inbox(
        db, list(principal.enterprise_ids), mobile_hash_of(request, principal)
    )
    return render(request, "m_inbox.html", principal, messages=messages, L=_L(lang))


@router.get("/c/{token}")
def m_campaign_landing(
    request: Request, token: str, db: DB, rt: RuntimeDep, principal: Borrower
) -> Response:
    """A campaign's landing link (SMS or in-app): the visit is counted once, then the
    pre-approved invitations (or the application form when there is none)."""
    touch = campaign_service.record_visit(
        db, rt.clock, token, list(principal.enterprise_ids), mobile_hash_of(request, principal)
    )
    if touch is not None:
        request.session[TOUCH_KEY] = str(touch.id)
    offers = engagement_service.open_offers_for(
        db,
        None,
        business_date(rt.clock),
        enterprise_ids=list(principal.enterprise_ids),
        contact_mobile_hash=mobile_hash_of(request, principal),
    )
    return RedirectResponse("/m/offers" if offers else "/m/apply", status_code=303)
