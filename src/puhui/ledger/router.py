"""HTTP endpoints of the ledger (read-only; money moves through the domain services)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from puhui.core.auth import Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, UnitOfWorkRoute
from puhui.ledger import service

router = APIRouter(prefix="/api/v1/ledger", route_class=UnitOfWorkRoute, tags=["ledger"])


class TrialBalanceRowOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    debits_fen: int
    credits_fen: int
    balance_fen: int


class TrialBalanceOut(BaseModel):
    as_of: date
    rows: list[TrialBalanceRowOut]
    total_debits_fen: int
    total_credits_fen: int
    balanced: bool


@router.get("/trial-balance", response_model=TrialBalanceOut)
def trial_balance(
    db: DB,
    _: Annotated[Principal, Depends(require(Role.ADMIN, Role.AUDITOR, Role.RISK_OFFICER))],
    as_of: date,
) -> TrialBalanceOut:
    tb = service.trial_balance(db, as_of)
    return TrialBalanceOut(
        as_of=tb.as_of,
        rows=[
            TrialBalanceRowOut(
                code=r.code,
                name_zh=r.name_zh,
                name_en=r.name_en,
                debits_fen=r.debits_fen,
                credits_fen=r.credits_fen,
                balance_fen=r.balance_fen,
            )
            for r in tb.rows
        ],
        total_debits_fen=tb.total_debits_fen,
        total_credits_fen=tb.total_credits_fen,
        balanced=tb.balanced,
    )
