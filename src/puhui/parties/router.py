"""HTTP endpoints of the parties domain."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.types import SafeMultiline
from puhui.core.web import (
    DB,
    CipherDep,
    ClockDep,
    CursorQ,
    LimitQ,
    UnitOfWorkRoute,
    cursor_page,
    decode_cursor,
)
from puhui.parties import service
from puhui.parties.models import Enterprise, Relationship
from puhui.parties.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    PersonCreate,
    PersonOut,
    RelationshipCreate,
    RelationshipOut,
)

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["parties"])

WRITERS = (Role.ADMIN, Role.CUSTOMER_MANAGER)
REVEALERS = (Role.ADMIN, Role.CREDIT_OFFICER, Role.RISK_OFFICER)


class EnterprisePage(BaseModel):
    items: list[EnterpriseOut]
    next_cursor: str | None


@router.post("/enterprises", response_model=EnterpriseOut, status_code=201)
def create_enterprise(
    body: EnterpriseCreate,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WRITERS))],
) -> Enterprise:
    return service.create_enterprise(db, clock, body)


@router.get("/enterprises", response_model=EnterprisePage)
def list_enterprises(
    db: DB,
    _: Annotated[Principal, Depends(require(*ALL_STAFF))],
    cursor: CursorQ = None,
    limit: LimitQ = 50,
) -> EnterprisePage:
    rows = service.list_enterprises(db, after=decode_cursor(cursor), limit=limit + 1)
    rows, next_cursor = cursor_page(rows, limit)
    return EnterprisePage(
        items=[EnterpriseOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> Enterprise:
    return service.get_enterprise_for(db, principal, enterprise_id)


@router.post(
    "/enterprises/{enterprise_id}/relationships", response_model=RelationshipOut, status_code=201
)
def add_relationship(
    enterprise_id: uuid.UUID,
    body: RelationshipCreate,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WRITERS))],
) -> Relationship:
    return service.add_relationship(db, clock, enterprise_id, body)


@router.get("/enterprises/{enterprise_id}/relationships", response_model=list[RelationshipOut])
def list_relationships(
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> list[Relationship]:
    service.get_enterprise_for(db, principal, enterprise_id)
    return service.relationships_of(db, enterprise_id)


@router.post("/people", response_model=PersonOut, status_code=201)
def create_person(
    body: PersonCreate,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    _: Annotated[Principal, Depends(require(*WRITERS))],
) -> PersonOut:
    return service.person_masked(service.create_person(db, clock, cipher, body))


@router.get("/people/{person_id}", response_model=PersonOut)
def get_person(
    person_id: uuid.UUID,
    db: DB,
    _: Annotated[Principal, Depends(require(*ALL_STAFF))],
) -> PersonOut:
    return service.person_masked(service.get_person(db, person_id))


class RevealRequest(BaseModel):
    reason: SafeMultiline = Field(
        min_length=2, max_length=200, description="why the clear values are needed"
    )


@router.post("/people/{person_id}/reveal", response_model=PersonOut)
def reveal_person(
    person_id: uuid.UUID,
    body: RevealRequest,
    db: DB,
    cipher: CipherDep,
    principal: Annotated[Principal, Depends(require(*REVEALERS))],
) -> PersonOut:
    return service.reveal_person(db, cipher, principal, person_id, body.reason)
