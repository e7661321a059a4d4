"""`/api/v1` for the charges on loans (收费) — programs read a loan's charges and work waivers with
maker-checker (people use `/console/servicing/charges`). A borrower reads its own loans'
charges; staff read any; a maker proposes a waiver, a second person approves or rejects it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.clock import business_date
from puhui.core.types import PositiveFen, SafeText
from puhui.core.web import DB, ClockDep, UnitOfWorkRoute
from puhui.lending import charges, service

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["charges"])

WAIVER_MAKERS, WAIVER_CHECKERS = charges.WAIVER_MAKERS, charges.WAIVER_CHECKERS


class ChargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    trigger: str
    occurrence: str
    base_fen: int
    amount_fen: int
    paid_fen: int
    waived_fen: int
    outstanding_fen: int
    status: str
    due_date: date


class WaiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: PositiveFen
    reason: Annotated[SafeText, Field(min_length=2, max_length=500)]


class WaiverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_charge_id: uuid.UUID
    loan_id: uuid.UUID
    amount_fen: int
    reason: str
    status: str
    maker_name: str
    checker_name: str | None
    created_at: datetime
    decided_at: datetime | None


@router.get("/loans/{loan_id}/charges", response_model=list[ChargeOut])
def loan_charges(
    loan_id: uuid.UUID, db: DB, principal: Annotated[Principal, Depends(require(*EVERYONE))]
) -> list[ChargeOut]:
    """The loan's charges, oldest first: what each was, what is paid, waived and still owed."""
    loan = service.get_loan_for(db, principal, loan_id)
    return [ChargeOut.model_validate(c) for c in charges.charges_of(db, loan.id)]


@router.get("/charge-waivers", response_model=list[WaiverOut])
def pending_waivers(
    db: DB, _: Annotated[Principal, Depends(require(*ALL_STAFF))]
) -> list[WaiverOut]:
    """Waivers awaiting a second person, oldest first."""
    return [WaiverOut.model_validate(w) for w in charges.pending_waivers(db)]


@router.post("/charges/{charge_id}/waivers", response_model=WaiverOut, status_code=201)
def propose_waiver(
    charge_id: uuid.UUID,
    body: WaiverIn,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*WAIVER_MAKERS))],
) -> WaiverOut:
    """Propose to waive part or all of what a charge still owes; nothing is posted yet."""
    waiver = charges.propose_waiver(db, clock, principal, charge_id, body.amount_fen, body.reason)
    return WaiverOut.model_validate(waiver)


@router.post("/charge-waivers/{waiver_id}/approve", response_model=WaiverOut)
def approve_waiver(
    waiver_id: uuid.UUID,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*WAIVER_CHECKERS))],
) -> WaiverOut:
    """A second person approves: the waived part leaves the receivable (never the maker)."""
    waiver = charges.approve_waiver(db, clock, principal, waiver_id, business_date(clock))
    return WaiverOut.model_validate(waiver)


@router.post("/charge-waivers/{waiver_id}/reject", response_model=WaiverOut)
def reject_waiver(
    waiver_id: uuid.UUID,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*WAIVER_CHECKERS))],
) -> WaiverOut:
    return WaiverOut.model_validate(charges.reject_waiver(db, clock, principal, waiver_id))
