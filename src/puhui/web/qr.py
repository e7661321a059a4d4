"""QR codes (segno): a customer manager's personal code and team codes (团办二维码).

Scanning opens `/m/start?ref=<ref>`. A personal ref is `M` + the manager's user id (hex); a team
ref is `T` + a short random code. Team codes are kept as audit events of action
`console.team_qr.create` (code, name, member manager ids): no table of their own, and every
creation is in the audit trail.
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal, require_page
from puhui.core.errors import InvalidInput
from puhui.core.models import AuditEvent, Role, User
from puhui.core.web import DB, UnitOfWorkRoute
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/console/qr", route_class=UnitOfWorkRoute, include_in_schema=False)

TEAM_ACTION = "console.team_qr.create"
MANAGERS = (Role.CUSTOMER_MANAGER,)
TEAM_READERS = (Role.CUSTOMER_MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Attribution:
    """What a QR ref stands for: the manager (and team) an application is credited to."""

    ref: str
    manager_user_id: uuid.UUID | None
    manager_name: str | None
    team_code: str | None
    team_name: str | None


@dataclass(frozen=True)
class TeamCode:
    code: str
    name: str
    member_ids: list[uuid.UUID]
    created_by: str


def personal_ref(user_id: uuid.UUID) -> str:
    return f"M{user_id.hex}"


def start_url(request: Request, ref: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/m/start?ref={ref}"


def teams(session: Session) -> list[TeamCode]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.action == TEAM_ACTION).order_by(AuditEvent.seq.desc())
    )
    out = []
    for row in rows:
        after = row.after or {}
        out.append(
            TeamCode(
                code=str(row.entity_id),
                name=str(after.get("name", "")),
                member_ids=[uuid.UUID(m) for m in after.get("member_ids", [])],
                created_by=row.actor_name,
            )
        )
    return out


def find_team(session: Session, code: str) -> TeamCode | None:
    return next((t for t in teams(session) if t.code == code), None)


def _active_manager(session: Session, user_id: uuid.UUID) -> User | None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role != Role.CUSTOMER_MANAGER.value:
        return None
    return user


def resolve_ref(session: Session, ref: str | None) -> Attribution | None:
    """The attribution of a scanned ref; None when the ref is unknown (the journey goes on)."""
    if not ref:
        return None
    if ref.startswith("M"):
        try:
            user_id = uuid.UUID(hex=ref[1:])
        except ValueError:
            return None
        user = _active_manager(session, user_id)
        if user is None:
            return None
        return Attribution(ref, user.id, user.display_name, None, None)
    if ref.startswith("T"):
        team = find_team(session, ref)
        if team is None:
            return None
        lead = next((u for m in team.member_ids if (u := _active_manager(session, m))), None)
        return Attribution(
            ref,
            lead.id if lead else None,
            lead.display_name if lead else None,
            team.code,
            team.name,
        )
    return None


def qr_response(data: str, fmt: str) -> Response:
    qr = segno.make(data, error="m")
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=6, border=2, title="Puhui QR")
        return Response(buffer.getvalue(), media_type="image/svg+xml")
    qr.save(buffer, kind="png", scale=8, border=2)
    return Response(buffer.getvalue(), media_type="image/png")


@router.get("/me.png")
def my_qr_png(
    request: Request, principal: Annotated[Principal, Depends(require_page(*MANAGERS))]
) -> Response:
    return qr_response(start_url(request, personal_ref(principal.user_id)), "png")


@router.get("/me.svg")
def my_qr_svg(
    request: Request, principal: Annotated[Principal, Depends(require_page(*MANAGERS))]
) -> Response:
    return qr_response(start_url(request, personal_ref(principal.user_id)), "svg")


@router.get("/team/{code}.png")
def team_qr_png(
    request: Request,
    code: str,
    db: DB,
    _: Annotated[Principal, Depends(require_page(*TEAM_READERS))],
) -> Response:
    team = find_team(db, code)
    if team is None:
        return Response(status_code=404)
    return qr_response(start_url(request, team.code), "png")


@router.get("/team/{code}.svg")
def team_qr_svg(
    request: Request,
    code: str,
    db: DB,
    _: Annotated[Principal, Depends(require_page(*TEAM_READERS))],
) -> Response:
    team = find_team(db, code)
    if team is None:
        return Response(status_code=404)
    return qr_response(start_url(request, team.code), "svg")


@router.get("", response_class=HTMLResponse)
def qr_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*TEAM_READERS))],
) -> Response:
    return _qr_page(request, db, principal)


def _qr_page(request: Request, db: Session, principal: Principal, **ctx: Any) -> Response:
    managers = list(
        db.scalars(
            select(User)
            .where(User.role == Role.CUSTOMER_MANAGER.value, User.is_active.is_(True))
            .order_by(User.username)
        )
    )
    names = {u.id: u.display_name for u in managers}
    ref = personal_ref(principal.user_id) if principal.role == Role.CUSTOMER_MANAGER else None
    return render(
        request,
        "qr.html",
        principal,
        my_url=start_url(request, ref) if ref else None,
        teams=teams(db),
        managers=managers,
        names=names,
        start_base=start_url(request, ""),
        **ctx,
    )


def _members(db: Session, creator: uuid.UUID, members: list[str]) -> set[uuid.UUID]:
    """The team: its creator and the active customer managers chosen in the form."""
    member_ids = {creator}
    for raw in members:
        try:
            user_id = uuid.UUID(raw)
        except ValueError as exc:
            raise InvalidInput(field="members") from exc
        if _active_manager(db, user_id) is None:
            raise InvalidInput(field="members")
        member_ids.add(user_id)
    return member_ids


@router.post("/teams", dependencies=[Depends(check_csrf)])
def create_team(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*MANAGERS))],
    name: Annotated[str, Form(min_length=2, max_length=60)],
    members: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        member_ids = _members(db, principal.user_id, members or [])
    except InvalidInput as exc:
        raise page_error(
            request,
            exc,
            lambda error: _qr_page(request, db, principal, error=error, team_name=name),
        ) from exc
    code = "T" + secrets.token_hex(5).upper()
    audit.record(
        db,
        TEAM_ACTION,
        "team_qr",
        code,
        after={"name": name.strip(), "member_ids": sorted(str(m) for m in member_ids)},
    )
    return RedirectResponse("/console/qr", status_code=303)
