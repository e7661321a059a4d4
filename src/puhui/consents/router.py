"""HTTP endpoints of the consents domain.

The enterprise's own borrower grants, lists and revokes its consents; a customer manager may
record a consent given on site (channel `console`) and staff may revoke one at the customer's
request. A borrower reaching for another enterprise's consents gets 404, as if they did not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from puhui.consents import service
from puhui.consents.errors import ConsentNotFound
from puhui.consents.models import Purpose
from puhui.consents.schemas import (
    ConsentGrantRequest,
    ConsentOut,
    ConsentRevokeRequest,
    ConsentTextOut,
)
from puhui.consents.sources import SourceName
from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, ClockDep, LangDep, UnitOfWorkRoute
from puhui.parties import service as parties_service

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["consents"])

GRANTORS = (Role.BORROWER, Role.CUSTOMER_MANAGER)
REVOKERS = (Role.BORROWER, Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.ADMIN)


@router.get("/consent-texts", response_model=list[ConsentTextOut])
def consent_texts(
    lang: LangDep,
    _: Annotated[Principal, Depends(require(*EVERYONE))],
    purpose: Annotated[Purpose, Query()],
    sources: Annotated[list[SourceName] | None, Query()] = None,
) -> list[ConsentTextOut]:
    """The current texts to show on the consent screen (all sources when none is named)."""
    return [service.text_for(s, purpose, lang) for s in (sources or list(SourceName))]


@router.get("/enterprises/{enterprise_id}/consents", response_model=list[ConsentOut])
def list_consents(
    enterprise_id: uuid.UUID,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> list[ConsentOut]:
    parties_service.get_enterprise_for(db, principal, enterprise_id)
    now = clock.now()
    return [service.consent_out(c, now) for c in service.list_for_enterprise(db, enterprise_id)]


@router.post(
    "/enterprises/{enterprise_id}/consents", response_model=list[ConsentOut], status_code=201
)
def grant_consents(
    enterprise_id: uuid.UUID,
    body: ConsentGrantRequest,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*GRANTORS))],
) -> list[ConsentOut]:
    parties_service.get_enterprise_for(db, principal, enterprise_id)
    granted = service.grant_bundle(
        db,
        clock,
        enterprise_id,
        body.sources,
        body.purpose,
        scope=body.scope,
        person_id=body.person_id,
        channel=body.channel,
        granted_by=principal.user_id,
        text_lang=body.text_lang,
        text_versions=body.text_versions,
        text_sha256=body.text_sha256,
        valid_days=body.valid_days,
    )
    now = clock.now()
    return [service.consent_out(c, now) for c in granted]


@router.post("/enterprises/{enterprise_id}/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke_consent(
    enterprise_id: uuid.UUID,
    consent_id: uuid.UUID,
    body: ConsentRevokeRequest,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*REVOKERS))],
) -> ConsentOut:
    parties_service.get_enterprise_for(db, principal, enterprise_id)
    consent = service.get_consent_for(db, principal, consent_id)
    if consent.enterprise_id != enterprise_id:
        raise ConsentNotFound()
    revoked = service.revoke(
        db, clock, consent.id, revoked_by=principal.user_id, reason=body.reason
    )
    return service.consent_out(revoked, clock.now())


@router.get("/me/consents", response_model=list[ConsentOut])
def my_consents(
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(Role.BORROWER))],
) -> list[ConsentOut]:
    """Every consent of the enterprises the user acts for, including personal ones (PIPL)."""
    now = clock.now()
    rows = service.list_for_enterprises(db, sorted(principal.enterprise_ids))
    return [service.consent_out(c, now) for c in rows]


@router.post("/me/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke_my_consent(
    consent_id: uuid.UUID,
    body: ConsentRevokeRequest,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(Role.BORROWER))],
) -> ConsentOut:
    consent = service.get_consent_for(db, principal, consent_id)
    revoked = service.revoke(
        db, clock, consent.id, revoked_by=principal.user_id, reason=body.reason
    )
    return service.consent_out(revoked, clock.now())


@router.get("/people/{person_id}/consents", response_model=list[ConsentOut])
def person_consents(
    person_id: uuid.UUID,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*ALL_STAFF))],
) -> list[ConsentOut]:
    """A person's own consents, for staff answering a PIPL request."""
    parties_service.get_person(db, person_id)
    now = clock.now()
    return [service.consent_out(c, now) for c in service.list_for_person(db, person_id)]
