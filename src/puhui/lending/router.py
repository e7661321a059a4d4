"""HTTP endpoints of the lending domain: products, credit lines, drawdowns, loans, repayments,
relief and settlement accounts. Borrowers see only their own enterprise's (404 otherwise)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel

from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.web import (
    DB,
    ClockDep,
    CursorQ,
    LimitQ,
    RuntimeDep,
    UnitOfWorkRoute,
    cursor_page,
    decode_cursor,
)
from puhui.lending import service
from puhui.lending.models import CreditLine, CreditLineEvent, Loan, Product, Repayment
from puhui.lending.schemas import (
    CreditLineEventOut,
    CreditLineOut,
    DeferralRequest,
    DepositOut,
    DepositRequest,
    DrawdownOut,
    DrawdownRequest,
    LimitChange,
    LineAction,
    LoanDetailOut,
    LoanOut,
    ProductOut,
    ReliefOut,
    RenewalRequest,
    RepaymentOut,
    RepaymentRequest,
    SettlementAccountOut,
)
from puhui.parties import service as parties_service

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["lending"])

# who may move a borrower's money: the borrower, or staff serving it (not auditors)
ACTORS = (Role.BORROWER, Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.ADMIN)
RISK = (Role.RISK_OFFICER, Role.ADMIN)
RELIEF = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.ADMIN)
TREASURY = (Role.ADMIN,)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="required: one unique value per money movement; a replay returns the "
        "first result",
    ),
]


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


class CreditLinePage(BaseModel):
    items: list[CreditLineOut]
    next_cursor: str | None


@router.get("/lending/products", response_model=list[ProductOut])
def list_products(db: DB, _: Annotated[Principal, Depends(require(*EVERYONE))]) -> list[Product]:
    return service.list_products(db)


@router.get("/credit-lines", response_model=CreditLinePage)
def list_lines(
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
    enterprise_id: uuid.UUID | None = None,
    cursor: CursorQ = None,
    limit: LimitQ = 50,
) -> CreditLinePage:
    rows = service.list_lines(
        db, principal, enterprise_id=enterprise_id, after=decode_cursor(cursor), limit=limit + 1
    )
    rows, next_cursor = cursor_page(rows, limit)
    return CreditLinePage(
        items=[CreditLineOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/credit-lines/{line_id}", response_model=CreditLineOut)
def get_line(
    line_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> CreditLine:
    return service.get_line_for(db, principal, line_id)


@router.get("/credit-lines/{line_id}/history", response_model=list[CreditLineEventOut])
def line_history(
    line_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*ALL_STAFF))],
) -> list[CreditLineEvent]:
    service.get_line_for(db, principal, line_id)
    return service.line_history(db, line_id)


@router.post("/credit-lines/{line_id}/drawdowns", response_model=DrawdownOut, status_code=201)
def create_drawdown(
    line_id: uuid.UUID,
    body: DrawdownRequest,
    db: DB,
    clock: ClockDep,
    response: Response,
    principal: Annotated[Principal, Depends(require(*ACTORS))],
    idempotency_key: IdempotencyKey = None,
) -> DrawdownOut:
    service.get_line_for(db, principal, line_id)
    out = service.draw(
        db,
        clock,
        line_id,
        body.amount_fen,
        idempotency_key=idempotency_key,
        term_months=body.term_months,
        repayment_method=body.repayment_method,
    )
    _replayed(response, out.replayed)
    return out


@router.get("/credit-lines/{line_id}/loans", response_model=list[LoanOut])
def list_line_loans(
    line_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> list[Loan]:
    service.get_line_for(db, principal, line_id)
    return service.list_loans(db, line_id=line_id)


@router.post("/credit-lines/{line_id}/freeze", response_model=CreditLineOut)
def freeze_line(
    line_id: uuid.UUID,
    body: LineAction,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*RISK))],
) -> CreditLine:
    return service.freeze(db, clock, line_id, body.reason)


@router.post("/credit-lines/{line_id}/unfreeze", response_model=CreditLineOut)
def unfreeze_line(
    line_id: uuid.UUID,
    body: LineAction,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*RISK))],
) -> CreditLine:
    return service.unfreeze(db, clock, line_id, body.reason)


@router.post("/credit-lines/{line_id}/close", response_model=CreditLineOut)
def close_line(
    line_id: uuid.UUID,
    body: LineAction,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*RISK))],
) -> CreditLine:
    return service.close(db, clock, line_id, body.reason)


@router.post("/credit-lines/{line_id}/limit", response_model=CreditLineOut)
def change_limit(
    line_id: uuid.UUID,
    body: LimitChange,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*RISK))],
) -> CreditLine:
    return service.change_limit(db, clock, line_id, body.limit_fen, body.reason)


@router.get("/loans/{loan_id}", response_model=LoanDetailOut)
def get_loan(
    loan_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> LoanDetailOut:
    return service.loan_detail(db, service.get_loan_for(db, principal, loan_id))


@router.post("/loans/{loan_id}/repayments", response_model=RepaymentOut, status_code=201)
def create_repayment(
    loan_id: uuid.UUID,
    body: RepaymentRequest,
    db: DB,
    clock: ClockDep,
    response: Response,
    principal: Annotated[Principal, Depends(require(*ACTORS))],
    idempotency_key: IdempotencyKey = None,
) -> RepaymentOut:
    service.get_loan_for(db, principal, loan_id)
    out = service.repay(
        db,
        clock,
        loan_id,
        body.amount_fen,
        idempotency_key=idempotency_key,
        kind=body.kind,
        prepayment_option=body.prepayment_option,
    )
    _replayed(response, out.replayed)
    return out


@router.get("/loans/{loan_id}/repayments", response_model=list[RepaymentOut])
def list_repayments(
    loan_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> list[Repayment]:
    service.get_loan_for(db, principal, loan_id)
    return service.repayments_of(db, loan_id)


@router.post("/loans/{loan_id}/deferrals", response_model=ReliefOut, status_code=201)
def defer_loan(
    loan_id: uuid.UUID,
    body: DeferralRequest,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*RELIEF))],
) -> ReliefOut:
    return service.defer(db, clock, loan_id, body.months, body.reason)


@router.post("/loans/{loan_id}/renewals", response_model=ReliefOut, status_code=201)
def renew_loan(
    loan_id: uuid.UUID,
    body: RenewalRequest,
    db: DB,
    clock: ClockDep,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(*RELIEF))],
) -> ReliefOut:
    """Refused (409 renewal_decision_required) without an approved decision of the loan's
    enterprise taken within `PUHUI_RENEWAL_DECISION_VALID_DAYS`."""
    return service.renew_without_principal(
        db,
        clock,
        loan_id,
        decision_id=body.decision_id,
        term_months=body.term_months,
        rate_bp=body.rate_bp,
        repayment_method=body.repayment_method,
        reason=body.reason,
        decision_valid_days=rt.settings.renewal_decision_valid_days,
    )


@router.get("/settlement-accounts/{enterprise_id}", response_model=SettlementAccountOut)
def get_settlement_account(
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> SettlementAccountOut:
    parties_service.get_enterprise_for(db, principal, enterprise_id)
    return SettlementAccountOut(
        enterprise_id=enterprise_id, balance_fen=service.settlement_balance(db, enterprise_id)
    )


@router.post(
    "/settlement-accounts/{enterprise_id}/deposits", response_model=DepositOut, status_code=201
)
def create_deposit(
    enterprise_id: uuid.UUID,
    body: DepositRequest,
    db: DB,
    clock: ClockDep,
    response: Response,
    _: Annotated[Principal, Depends(require(*TREASURY))],
    idempotency_key: IdempotencyKey = None,
) -> DepositOut:
    out = service.deposit(
        db, clock, enterprise_id, body.amount_fen, idempotency_key=idempotency_key, memo=body.memo
    )
    _replayed(response, out.replayed)
    return out
