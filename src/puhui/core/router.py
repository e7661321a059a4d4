"""Kernel endpoints: login and tokens, the current user, users, the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from puhui.core import audit, auth, mfa
from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, public, require
from puhui.core.models import STAFF_ROLES, AuditEvent, Role, User, UserSession
from puhui.core.types import SafeText
from puhui.core.web import (
    DB,
    CursorQ,
    LimitQ,
    RuntimeDep,
    UnitOfWorkRoute,
    cursor_page,
    decode_cursor,
)

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    # staff: the authenticator's 6-digit code, or a recovery code
    code: str | None = Field(default=None, min_length=1, max_length=20)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str


class MeOut(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    enterprise_ids: list[uuid.UUID]


@router.post(
    "/auth/token", response_model=TokenOut, tags=["auth"], dependencies=[Depends(public())]
)
def login(body: TokenRequest, request: Request, db: DB, rt: RuntimeDep) -> TokenOut:
    """A bearer token. Staff send their second factor (`code`) with the password; a staff
    member who has not enrolled one in the console gets none."""
    login = auth.authenticate(
        db,
        rt.clock,
        username=body.username,
        password=body.password,
        ip=auth.client_ip(request),
        max_failures=rt.settings.login_max_failures,
        window_minutes=rt.settings.login_window_minutes,
        cipher=rt.cipher,
        code=body.code,
    )
    user = login.user
    if Role(user.role) in STAFF_ROLES and not login.second_factor_passed:
        if not mfa.is_enrolled(user):
            raise mfa.EnrolmentRequired()
        raise mfa.SecondFactorRequired(field="code")
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, auth.client_ip(request)))
    token, expires = auth.issue_token(db, rt.clock, user, rt.settings.token_ttl_minutes)
    return TokenOut(access_token=token, expires_at=expires, role=user.role)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        auth.revoke_token(db, rt.clock, header[7:].strip())
    audit.record(db, "auth.logout", "user", principal.user_id)


@router.get("/me", response_model=MeOut, tags=["auth"])
def me(principal: Annotated[Principal, Depends(require(*EVERYONE))]) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role.value,
        enterprise_ids=sorted(principal.enterprise_ids),
    )


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=1, max_length=200)
    role: Role
    display_name: SafeText | None = Field(default=None, max_length=100)
    branch: SafeText | None = Field(default=None, max_length=64)
    enterprise_ids: list[uuid.UUID] = []


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    branch: str | None
    is_active: bool


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def create_user(
    body: UserCreate,
    db: DB,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> User:
    return auth.create_user(
        db,
        rt.clock,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        branch=body.branch,
        enterprise_ids=body.enterprise_ids,
    )


@router.get("/users", response_model=list[UserOut], tags=["users"])
def list_users(db: DB, _: Annotated[Principal, Depends(require(Role.ADMIN))]) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    seq: int
    occurred_at: datetime
    actor_name: str
    actor_role: str | None
    source_ip: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    row_hash: str


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None


@router.get("/audit/events", response_model=AuditPage, tags=["audit"])
def audit_events(
    db: DB,
    _: Annotated[Principal, Depends(require(Role.AUDITOR, Role.ADMIN))],
    cursor: CursorQ = None,
    limit: LimitQ = 50,
    entity_id: str | None = None,
    action: str | None = None,
) -> AuditPage:
    query = select(AuditEvent).order_by(AuditEvent.id).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(AuditEvent.id > after)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action:
        query = query.where(AuditEvent.action == action)
    rows = list(db.scalars(query))
    rows, next_cursor = cursor_page(rows, limit)
    return AuditPage(items=[AuditEventOut.model_validate(r) for r in rows], next_cursor=next_cursor)


class AuditVerifyOut(BaseModel):
    ok: bool
    rows_checked: int
    bad_id: str | None
    bad_seq: int | None
    reason: str | None


@router.get("/audit/verify", response_model=AuditVerifyOut, tags=["audit"])
def audit_verify(db: DB, _: Annotated[Principal, Depends(require(Role.AUDITOR))]) -> AuditVerifyOut:
    result = audit.verify(db)
    return AuditVerifyOut(**result.__dict__)


@router.get("/staff", response_model=list[UserOut], tags=["users"])
def list_staff(db: DB, _: Annotated[Principal, Depends(require(*ALL_STAFF))]) -> list[User]:
    """Colleagues (names and roles only), e.g. to pick a second approver."""
    return list(
        db.scalars(select(User).where(User.role != Role.BORROWER.value).order_by(User.username))
    )


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    method: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str
    user_agent: str


@router.get("/me/sessions", response_model=list[SessionOut], tags=["auth"])
def my_sessions(
    db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(require(*EVERYONE))]
) -> list[UserSession]:
    """One's live console sessions (where and since when), newest first."""
    return auth.list_sessions(db, rt.clock, principal.user_id)


@router.delete("/me/sessions/{session_id}", status_code=204, tags=["auth"])
def revoke_my_session(
    session_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> None:
    auth.revoke_session(db, rt.clock, principal, session_id)


class RevokedOut(BaseModel):
    revoked: int


@router.post("/users/{user_id}/sessions/revoke", response_model=RevokedOut, tags=["users"])
def revoke_user_sessions(
    user_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> RevokedOut:
    """End every console session and API token of a user at once."""
    if db.get(User, user_id) is None:
        raise auth.UserNotFound()
    return RevokedOut(revoked=auth.revoke_user_sessions(db, rt.clock, user_id))
