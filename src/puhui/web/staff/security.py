"""Guarantees and collateral in the console (/console/lines/{id}/security): a line's
guarantors (add, record the guarantor's consent and pull its data, send the signing code,
cancel; sign status; calls) and collateral (add, revalue, release; the LTV position), and the
product's security terms. The rules are `lending.guarantees` and `lending.collateral`; this file
only renders them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import yuan_to_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.datahub.router import get_connectors
from puhui.lending import collateral, guarantees
from puhui.lending import service as lending_service
from puhui.lending.collateral_rules import CollateralKind
from puhui.lending.guarantees_rules import GuarantorKind
from puhui.parties import service as parties_service
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/console/lines", route_class=UnitOfWorkRoute, include_in_schema=False)

READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, Role.ADMIN,
           Role.AUDITOR)  # fmt: skip
OFFICERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.CUSTOMER_MANAGER)
TERMS_SETTERS = (Role.RISK_OFFICER, Role.ADMIN)
CSRF = [Depends(check_csrf)]


def _back(line_id: uuid.UUID) -> str:
    return f"/console/lines/{line_id}/security"


@router.get("/{line_id}/security", response_class=HTMLResponse)
def security_page(
    request: Request,
    line_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    line = lending_service.get_line_for(db, principal, line_id)
    rows = guarantees.guarantees_of_line(db, line.id)
    items = collateral.collateral_of_line(db, line.id)
    calls = guarantees.calls_of_line(db, line.id)
    by_id = {g.id: g for g in rows}
    terms = collateral.product_security(db, line.product_code)
    return render(
        request, "line_security.html", principal, line=line,
        enterprise=parties_service.get_enterprise(db, line.enterprise_id),
        guarantees=rows, signatures={g.id: guarantees.signature_of(db, g.id) for g in rows},
        requirement=guarantees.requirement_of(db, line.id),
        signed_fen=guarantees.signed_fen(db, line.id), items=items,
        valuations={c.id: collateral.valuations(db, c.id) for c in items},
        calls=[(c, by_id[c.guarantee_id]) for c in calls], terms=terms,
        position=collateral.line_position(db, line), percent=collateral.percent_text,
        cover=collateral.cover_fen, can_act=principal.role in OFFICERS,
        can_set_terms=principal.role in TERMS_SETTERS,
        guarantor_kinds=list(GuarantorKind), collateral_kinds=list(CollateralKind),
    )  # fmt: skip


def _percent_bp(text: str, field: str) -> int:
    """A percentage as typed ("30", "30%", "12.5") in basis points."""
    try:
        value = Decimal(text.strip().rstrip("%").strip() or "x")
    except InvalidOperation:
        raise InvalidInput(field=field) from None
    if not Decimal(0) <= value <= Decimal(100) or value * 100 != int(value * 100):
        raise InvalidInput(field=field)
    return int(value * 100)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field=field) from None


@router.post("/{line_id}/guarantees", dependencies=CSRF)
def add_guarantee(
    request: Request, line_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OFFICERS))],
    kind: Annotated[str, Form()], identifier: Annotated[str, Form(max_length=40)],
    amount_yuan: Annotated[str, Form(max_length=30)],
) -> Response:  # fmt: skip
    back = _back(line_id)
    typed = {"identifier": identifier, "amount_yuan": amount_yuan, "kind": kind}
    try:
        lending_service.get_line_for(db, principal, line_id)
        amount = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        who = GuarantorKind(kind) if kind in set(GuarantorKind) else None
        if who is None:
            raise InvalidInput(field="kind")
        if who == GuarantorKind.ENTERPRISE:
            ent = parties_service.find_enterprise(db, identifier.strip().upper())
            if ent is None:
                raise InvalidInput(field="identifier")
            data = guarantees.GuarantorIn(who, amount, enterprise_id=ent.id)
        else:
            person = parties_service.find_person_by_resident_id(db, rt.cipher, identifier)
            if person is None:
                raise InvalidInput(field="identifier")
            data = guarantees.GuarantorIn(who, amount, person_id=person.id)
        guarantees.propose(db, rt.clock, principal, line_id, data)
    except (DomainError, ValueError) as exc:
        error = exc if isinstance(exc, DomainError) else InvalidInput(field="identifier")
        raise refuse(request, error, back, typed=typed) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/{line_id}/guarantees/{guarantee_id}/{action}", dependencies=CSRF)
def guarantee_action(
    request: Request, line_id: uuid.UUID, guarantee_id: uuid.UUID, action: str, db: DB,
    rt: RuntimeDep, principal: Annotated[Principal, Depends(require_page(*OFFICERS))],
    consent: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    """``check``: the guarantor's written consent is on file (the officer ticks it), its data
    is pulled; ``send``: the signing code goes to the guarantor; ``cancel``."""
    back = _back(line_id)
    try:
        row = guarantees.get_guarantee(db, guarantee_id)
        if row.line_id != line_id:
            raise guarantees.GuaranteeNotFound()
        if action == "check":
            if consent != "yes":
                raise InvalidInput(field="consent")
            guarantees.check(db, rt.clock, get_connectors(request), rt.cipher, principal, row.id)
        elif action == "send":
            guarantees.send_code(db, rt.clock, rt.cipher, principal, row.id)
        elif action == "cancel":
            guarantees.cancel(db, rt.clock, principal, row.id, "信贷人员作废")
        else:
            raise InvalidInput(field="action")
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/{line_id}/collateral", dependencies=CSRF)
def add_collateral(
    request: Request, line_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OFFICERS))],
    kind: Annotated[str, Form()], description: Annotated[str, Form(max_length=200)],
    valuation_yuan: Annotated[str, Form(max_length=30)],
    valued_date: Annotated[str, Form(max_length=10)],
    haircut_percent: Annotated[str, Form(max_length=8)] = "",
    asset_reference: Annotated[str, Form(max_length=100)] = "",
    lien_reference: Annotated[str, Form(max_length=100)] = "",
) -> Response:  # fmt: skip
    back = _back(line_id)
    typed = {"description": description, "valuation_yuan": valuation_yuan, "kind": kind,
             "haircut_percent": haircut_percent, "asset_reference": asset_reference,
             "lien_reference": lien_reference, "valued_date": valued_date}  # fmt: skip
    try:
        lending_service.get_line_for(db, principal, line_id)
        if kind not in set(CollateralKind):
            raise InvalidInput(field="kind")
        data = collateral.CollateralIn(
            kind=CollateralKind(kind), description=description,
            valuation_fen=yuan_to_fen(valuation_yuan, field="valuation_yuan", positive=True),
            valued_date=_date(valued_date, "valued_date"),
            haircut_bp=_percent_bp(haircut_percent, "haircut_percent")
            if haircut_percent.strip() else None,
            asset_reference=asset_reference, lien_reference=lien_reference,
        )  # fmt: skip
        collateral.add_collateral(db, rt.clock, principal, line_id, data)
    except DomainError as exc:
        raise refuse(request, exc, back, typed=typed) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/{line_id}/collateral/{collateral_id}/revalue", dependencies=CSRF)
def revalue(
    request: Request, line_id: uuid.UUID, collateral_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OFFICERS))],
    valuation_yuan: Annotated[str, Form(max_length=30)],
    valued_date: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:  # fmt: skip
    back = _back(line_id)
    try:
        item = collateral.get_collateral(db, collateral_id)
        if item.line_id != line_id:
            raise collateral.CollateralNotFound()
        collateral.revalue(
            db, rt.clock, principal, collateral_id,
            valuation_fen=yuan_to_fen(valuation_yuan, field="valuation_yuan", positive=True),
            valued_date=_date(valued_date, "valued_date"), note=note,
        )  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/{line_id}/collateral/{collateral_id}/release", dependencies=CSRF)
def release(
    request: Request, line_id: uuid.UUID, collateral_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*OFFICERS))],
) -> Response:  # fmt: skip
    back = _back(line_id)
    try:
        item = collateral.get_collateral(db, collateral_id)
        if item.line_id != line_id:
            raise collateral.CollateralNotFound()
        collateral.release(db, rt.clock, principal, collateral_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/{line_id}/product-security", dependencies=CSRF)
def product_security(
    request: Request, line_id: uuid.UUID, db: DB, rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*TERMS_SETTERS))],
    max_ltv_percent: Annotated[str, Form(max_length=8)],
    secured: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    back = _back(line_id)
    try:
        line = lending_service.get_line_for(db, principal, line_id)
        collateral.set_product_security(
            db, rt.clock, line.product_code, secured=secured == "yes",
            max_ltv_bp=_percent_bp(max_ltv_percent, "max_ltv_percent"),
        )  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)
