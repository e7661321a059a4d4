"""The borrower's payout accounts on /m/payments: register an account (at this bank or
another), verify another bank's account by the account-name check or a micro-credit
(打款验证), see the payments made to them with their status.

Rules live in `payments` (accounts, service); this file renders them. Payments a form creates
go through the rails after the request committed (`service.run_rails`, a background task);
the sandbox (沙箱) is labelled wherever it shows, and in the sandbox the micro-credit's amount
is shown on screen, as the sandbox SMS shows its codes.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, Forbidden, InvalidInput
from puhui.core.models import Role
from puhui.core.money import yuan_to_fen
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.lending.purposes import LoanPurpose
from puhui.payments import accounts
from puhui.payments import service as payments_service
from puhui.payments.rails import get_rail
from puhui.web.pages import FLASH, check_csrf, refuse, render

router = APIRouter(prefix="/m/payments", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)
HOME = "/m/payments"


def _enterprise(principal: Principal) -> uuid.UUID:
    if not principal.enterprise_ids:
        raise Forbidden()
    return sorted(principal.enterprise_ids)[0]


def _page(request: Request, db: Session, rt: Runtime, principal: Principal) -> Response:
    lang = request_lang(request)
    enterprise_id = _enterprise(principal)
    own = accounts.accounts_of(db, enterprise_id)
    credits = {
        a.id: payments_service.get_payment(db, a.challenge_payment_id)
        for a in own
        if a.challenge_payment_id is not None
    }
    recent = payments_service.payments_of(db, enterprise_id, limit=20)
    return render(
        request,
        "m_payments.html",
        principal,
        large=bool(request.session.get("large")),
        L=lambda zh, en: zh if lang == "zh" else en,
        accounts=own,
        credits=credits,
        payments=recent,
        sandbox=get_rail().sandbox,
        added=request.query_params.get("added"),
    )


@router.get("", response_class=HTMLResponse)
def m_payments(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _page(request, db, rt, principal)


@router.post("/accounts", dependencies=[Depends(check_csrf)])
def m_add_account(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    holder_name: Annotated[str, Form()],
    number: Annotated[str, Form()],
    bank_code: Annotated[str, Form()],
    bank_name: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not holder_name.strip():
            raise InvalidInput(field="holder_name")
        account = accounts.register_account(
            db,
            rt.clock,
            rt.cipher,
            _enterprise(principal),
            accounts.AccountInput(holder_name, number, bank_code, bank_name),
        )
    except DomainError as exc:
        typed = {"holder_name": holder_name, "bank_code": bank_code, "bank_name": bank_name}
        raise refuse(request, exc, HOME, typed=typed) from exc
    return RedirectResponse(f"{HOME}?added={account.id}", status_code=303)


@router.post("/accounts/{account_id}/name-check", dependencies=[Depends(check_csrf)])
def m_name_check(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        checker = accounts.build_name_check(rt.settings)
        accounts.verify_by_name(db, rt.clock, rt.cipher, account, checker)
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    return RedirectResponse(HOME, status_code=303)


@router.post("/accounts/{account_id}/micro-credit", dependencies=[Depends(check_csrf)])
def m_micro_credit(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        amount = accounts.start_micro_credit(db, rt.clock, rt.cipher, account)
        payments_service.create_verification_credit(db, rt.clock, account, amount)
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    background.add_task(run_rails, rt)
    return RedirectResponse(HOME, status_code=303)


@router.post("/accounts/{account_id}/confirm", dependencies=[Depends(check_csrf)])
def m_confirm(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    amount_yuan: Annotated[str, Form()],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        credit = (
            payments_service.get_payment(db, account.challenge_payment_id)
            if account.challenge_payment_id
            else None
        )
        fen = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        ok = accounts.confirm_micro_credit(
            db, rt.clock, rt.cipher, account, fen, credit is not None and credit.status == "settled"
        )
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    if not ok:
        lang = request_lang(request)
        message = (
            f"金额不符，还可尝试 {account.attempts_left} 次。"
            if lang == "zh"
            else f"That is not the amount; {account.attempts_left} tries left."
        )
        request.session[FLASH] = {"path": HOME, "error": message}
    return RedirectResponse(HOME, status_code=303)


def verified_accounts(db: Session, enterprise_id: uuid.UUID) -> list[Any]:
    """The accounts a drawdown may be paid out to (for the draw form)."""
    return [a for a in accounts.accounts_of(db, enterprise_id) if a.status == "verified"]


def payout_choice(value: str) -> uuid.UUID | None:
    """The draw form's payout account (empty: the settlement account at this bank)."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(field="payout_account_id") from exc


def run_rails(rt: Runtime) -> None:
    """After the request committed: send its payments and fetch the answers."""
    payments_service.run_rails(rt.session_factory, rt.clock, rt.cipher)


def purpose_choice(value: str) -> LoanPurpose | None:
    if not value:
        return None
    try:
        return LoanPurpose(value)
    except ValueError as exc:
        raise InvalidInput(field="purpose") from exc


PURPOSES = [p.value for p in LoanPurpose]
