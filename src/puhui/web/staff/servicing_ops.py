"""Servicing operations in the console: the charges catalogue and waivers
(/console/servicing/charges), customer-manager reassignment (/console/servicing/managers) and
restructuring with its before/after schedule (/console/servicing/restructuring). The rules are
`lending.charges`, `flows.reassignment` and `lending.servicing.restructuring`; this file only
renders them and reads the forms."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import yuan_to_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.decisioning import managers as decisioning_managers
from puhui.flows import reassignment
from puhui.lending import charges
from puhui.lending import service as lending_service
from puhui.lending.charges_rules import ChargeBasis, ChargeTerms, ChargeTrigger
from puhui.lending.schedules import RepaymentMethod, add_months
from puhui.lending.servicing import restructuring
from puhui.parties import service as parties_service
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(
    prefix="/console/servicing", route_class=UnitOfWorkRoute, include_in_schema=False
)

READERS = (
    Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.ADMIN,
)  # fmt: skip
CATALOGUE_EDITORS = (Role.ADMIN, Role.RISK_OFFICER)
WAIVER_MAKERS, WAIVER_CHECKERS = charges.WAIVER_MAKERS, charges.WAIVER_CHECKERS
REASSIGNERS = (Role.ADMIN,)  # the branch head hands clients over
RESTRUCTURERS = (Role.CREDIT_OFFICER,)


def _optional_fen(text: str, field: str) -> int | None:
    return yuan_to_fen(text, field=field) if text.strip() else None


# ------------------------------------------------------------------------------------ charges


@router.get("/charges", response_class=HTMLResponse)
def charges_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    products = lending_service.list_products(db)
    day = business_date(rt.clock)
    return render(
        request,
        "servicing_charges.html",
        principal,
        catalogue={p.code: charges.catalogue(db, p.code) for p in products},
        products=products,
        due=charges.due_charges(db, day),
        pending=charges.pending_waivers(db),
        triggers=list(ChargeTrigger),
        bases=list(ChargeBasis),
        can_edit=principal.role in CATALOGUE_EDITORS,
        can_waive=principal.role in WAIVER_MAKERS,
        can_check=principal.role in WAIVER_CHECKERS,
    )


@router.post("/charges/catalogue", dependencies=[Depends(check_csrf)])
def charges_set(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*CATALOGUE_EDITORS))],
    product_code: Annotated[str, Form(max_length=32)],
    code: Annotated[str, Form(max_length=32)],
    name_zh: Annotated[str, Form(max_length=100)],
    name_en: Annotated[str, Form(max_length=100)],
    trigger: Annotated[str, Form()],
    basis: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form(max_length=20)] = "",
    rate_bp: Annotated[str, Form(max_length=6)] = "",
    min_yuan: Annotated[str, Form(max_length=20)] = "",
    max_yuan: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    typed = {"code": code, "name_zh": name_zh, "name_en": name_en, "amount_yuan": amount_yuan,
             "rate_bp": rate_bp, "min_yuan": min_yuan, "max_yuan": max_yuan}  # fmt: skip
    try:
        if trigger not in set(ChargeTrigger) or basis not in set(ChargeBasis):
            raise InvalidInput(field="trigger")
        if rate_bp.strip() and not rate_bp.strip().isdigit():
            raise InvalidInput(field="rate_bp")
        terms = ChargeTerms(
            code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip() or code.strip(),
            trigger=ChargeTrigger(trigger), basis=ChargeBasis(basis),
            amount_fen=_optional_fen(amount_yuan, "amount_yuan") or 0,
            rate_bp=int(rate_bp.strip() or 0),
            min_fen=_optional_fen(min_yuan, "min_yuan"),
            max_fen=_optional_fen(max_yuan, "max_yuan"),
        )  # fmt: skip
        lending_service.get_product(db, product_code)
        charges.set_product_charge(db, rt.clock, product_code, terms)
    except DomainError as exc:
        raise refuse(request, exc, "/console/servicing/charges", typed=typed) from exc
    return RedirectResponse("/console/servicing/charges#catalogue", status_code=303)


@router.post("/charges/{charge_id}/waive", dependencies=[Depends(check_csrf)])
def charge_waive(
    request: Request,
    charge_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WAIVER_MAKERS))],
    amount_yuan: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        amount = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        charges.propose_waiver(db, rt.clock, principal, charge_id, amount, reason)
    except DomainError as exc:
        raise refuse(request, exc, "/console/servicing/charges") from exc
    return RedirectResponse("/console/servicing/charges#waivers", status_code=303)


@router.post("/charges/waivers/{waiver_id}/decide", dependencies=[Depends(check_csrf)])
def waiver_decide(
    request: Request,
    waiver_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WAIVER_CHECKERS))],
    action: Annotated[str, Form()],
) -> Response:
    try:
        if action == "approve":
            charges.approve_waiver(db, rt.clock, principal, waiver_id, business_date(rt.clock))
        else:
            charges.reject_waiver(db, rt.clock, principal, waiver_id)
    except DomainError as exc:
        raise refuse(request, exc, "/console/servicing/charges") from exc
    return RedirectResponse("/console/servicing/charges#waivers", status_code=303)


# ------------------------------------------------------------------------- reassignment


@router.get("/managers", response_class=HTMLResponse)
def managers_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    rows = decisioning_managers.history(db, limit=100)
    people = {u.id: u.display_name for u in decisioning_managers.managers(db)}
    names = {
        r.enterprise_id: parties_service.get_enterprise(db, r.enterprise_id).name for r in rows
    }
    return render(
        request,
        "servicing_managers.html",
        principal,
        rows=rows,
        people=people,
        names=names,
        done=request.session.pop("reassigned", None),
        can_reassign=principal.role in REASSIGNERS,
    )


@router.post("/managers", dependencies=[Depends(check_csrf)])
def managers_reassign(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*REASSIGNERS))],
    to_user_id: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)],
    from_manager_id: Annotated[str, Form()] = "",
    region_prefix: Annotated[str, Form(max_length=6)] = "",
    usccs: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    back = "/console/servicing/managers"
    typed = {"reason": reason, "region_prefix": region_prefix, "usccs": usccs}
    try:
        selection = reassignment.Selection(
            from_manager_id=_uuid_or_none(from_manager_id, "from_manager_id"),
            region_prefix=region_prefix.strip(),
            usccs=[u.strip().upper() for u in usccs.replace(",", "\n").split() if u.strip()],
        )
        target = _uuid_or_none(to_user_id, "to_user_id")
        if target is None:
            raise InvalidInput(field="to_user_id")
        done = reassignment.reassign(db, rt.clock, principal, selection, target, reason)
    except DomainError as exc:
        raise refuse(request, exc, back, typed=typed) from exc
    request.session["reassigned"] = {
        "moved": done.moved, "selected": done.selected, "alerts": done.alerts_moved,
        "unknown": done.unknown_usccs[:20],
    }  # fmt: skip
    return RedirectResponse(f"{back}?done={done.batch_id}", status_code=303)


def _uuid_or_none(text: str, field: str) -> uuid.UUID | None:
    if not text.strip():
        return None
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise InvalidInput(field=field) from None


# ------------------------------------------------------------------------- restructuring


@router.get("/restructuring", response_class=HTMLResponse)
def restructuring_list(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    rows = restructuring.proposals(db)
    loans = {r.loan_id: lending_service.get_loan_for(db, principal, r.loan_id) for r in rows}
    return render(
        request,
        "servicing_restructuring.html",
        principal,
        rows=rows,
        loans=loans,
        methods=list(RepaymentMethod),
        can_propose=principal.role in RESTRUCTURERS,
    )


@router.post("/restructuring", dependencies=[Depends(check_csrf)])
def restructuring_propose(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RESTRUCTURERS))],
    loan_reference: Annotated[str, Form(max_length=24)],
    rate_percent: Annotated[str, Form(max_length=8)],
    term_months: Annotated[str, Form(max_length=3)],
    method: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=500)],
    capitalise: Annotated[str | None, Form()] = None,
) -> Response:
    back = "/console/servicing/restructuring"
    typed = {"loan_reference": loan_reference, "rate_percent": rate_percent,
             "term_months": term_months, "reason": reason}  # fmt: skip
    try:
        loan = restructuring.loan_by_reference(db, loan_reference)
        if method not in set(RepaymentMethod):
            raise InvalidInput(field="method")
        if not term_months.strip().isdigit():
            raise InvalidInput(field="term_months")
        row = restructuring.propose(
            db, rt.clock, principal, loan.id, rate_bp=_rate_bp(rate_percent),
            term_months=int(term_months), method=RepaymentMethod(method),
            capitalise_interest=capitalise == "yes", reason=reason,
        )  # fmt: skip
    except DomainError as exc:
        raise refuse(request, exc, back, typed=typed) from exc
    return RedirectResponse(f"{back}/{row.id}", status_code=303)


def _rate_bp(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise InvalidInput(field="rate_percent") from None
    if not value.is_finite() or value <= 0 or value >= 100:
        raise InvalidInput(field="rate_percent")
    return int((value * 100).to_integral_value())


@router.get("/restructuring/{restructuring_id}", response_class=HTMLResponse)
def restructuring_page(
    request: Request,
    restructuring_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    row = restructuring.get(db, restructuring_id)
    loan = lending_service.get_loan_for(db, principal, row.loan_id)
    before: list[Any] = []
    after: list[Any] = []
    capitalised = row.capitalised_fen
    if row.status == restructuring.PROPOSED:
        before, after, capitalised = restructuring.preview(db, rt.clock, row)
    day = business_date(rt.clock)
    return render(
        request,
        "servicing_restructuring_item.html",
        principal,
        row=row,
        loan=loan,
        before=before,
        after=after,
        capitalised=capitalised,
        observation_until=row.observation_until or add_months(day, row.observation_months),
        can_decide=principal.role in RESTRUCTURERS and row.proposed_by_id != principal.user_id,
    )


@router.post("/restructuring/{restructuring_id}/decide", dependencies=[Depends(check_csrf)])
def restructuring_decide(
    request: Request,
    restructuring_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RESTRUCTURERS))],
    action: Annotated[str, Form()],
) -> Response:
    back = f"/console/servicing/restructuring/{restructuring_id}"
    try:
        if action == "approve":
            restructuring.approve(db, rt.clock, principal, restructuring_id)
        else:
            restructuring.reject(db, rt.clock, principal, restructuring_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)
