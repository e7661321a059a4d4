"""Calls on guarantees (代偿追索) and releases, an end-of-day step: every loan written off or
90 days past due calls each binding guarantee of its line once — a `GuaranteeCall` per
guarantee and loan, a claim on the guarantor of ``min(amount still guaranteed, the loan's claim)``
(`guarantees_rules.call_amount_fen`). Re-running a day changes nothing (one call per
guarantee and loan, a unique constraint behind it).

The claim is recorded in lending (the guarantee's calls, shown on the line's console page); it
is not posted to the ledger: the loan's own balances (or its write-off's claim account) stay
the bank's claim on the borrower, and what the guarantor pays comes in as a repayment or a
write-off recovery.

The same step then releases the signed guarantees of lines that ended with nothing owed
(`release_ended`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.ids import new_id, reference_from_id
from puhui.lending.bad_loan_models import WriteOff, WriteOffStatus
from puhui.lending.guarantees_models import Guarantee, GuaranteeCall, GuaranteeEvent
from puhui.lending.guarantees_rules import (
    BINDING,
    CALL_FROM_DPD,
    CallStatus,
    GuaranteeStatus,
    call_amount_fen,
    call_trigger,
)
from puhui.lending.models import CreditLine, LineStatus, Loan, LoanStatus


def _claim_fen(session: Session, loan: Loan) -> int:
    if loan.status == LoanStatus.WRITTEN_OFF.value:
        row = session.execute(
            select(WriteOff.principal_fen, WriteOff.interest_fen, WriteOff.penalty_fen).where(
                WriteOff.loan_id == loan.id, WriteOff.status == WriteOffStatus.APPROVED.value
            )
        ).first()
        if row is not None:
            return int(row[0]) + int(row[1]) + int(row[2])
    return (
        loan.principal_outstanding_fen + loan.overdue_interest_fen + loan.interest_accrued_fen
        + loan.penalty_accrued_fen + loan.compound_accrued_fen
    )  # fmt: skip


def _called_fen(session: Session, guarantee_id: object) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(GuaranteeCall.amount_fen), 0)).where(
                GuaranteeCall.guarantee_id == guarantee_id
            )
        )
        or 0
    )


def call_due(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Call the guarantees of the loans written off or ``CALL_FROM_DPD`` days past due."""
    called_already = select(GuaranteeCall.id).where(
        GuaranteeCall.guarantee_id == Guarantee.id, GuaranteeCall.loan_id == Loan.id
    )
    pairs = session.execute(
        select(Guarantee, Loan)
        .join(Loan, Loan.line_id == Guarantee.line_id)
        .where(
            Guarantee.status.in_([s.value for s in BINDING]),
            or_(
                Loan.status == LoanStatus.WRITTEN_OFF.value,
                and_(Loan.status == LoanStatus.ACTIVE.value, Loan.dpd >= CALL_FROM_DPD),
            ),
            ~called_already.exists(),
        )
        .order_by(Guarantee.id, Loan.id)
    ).all()
    calls = claimed = 0
    for guarantee, loan in pairs:
        trigger = call_trigger(loan.status, loan.dpd)
        if trigger is None:
            continue
        claim = _claim_fen(session, loan)
        amount = call_amount_fen(guarantee.amount_fen, _called_fen(session, guarantee.id), claim)
        call_id, now = new_id(), clock.now()
        session.add(GuaranteeCall(
            id=call_id, reference=reference_from_id("GC", call_id, day),
            guarantee_id=guarantee.id, loan_id=loan.id, trigger=trigger.value,
            status=CallStatus.CALLED.value, claim_fen=claim, amount_fen=amount, dpd=loan.dpd,
            business_date=day, created_at=now,
        ))  # fmt: skip
        if guarantee.status != GuaranteeStatus.CALLED.value:
            session.add(GuaranteeEvent(guarantee_id=guarantee.id, from_status=guarantee.status,
                                       to_status=GuaranteeStatus.CALLED.value, at=now,
                                       actor_id=None,
                                       reason=f"借据 {loan.reference} 触发代偿"))  # fmt: skip
            guarantee.status, guarantee.updated_at = GuaranteeStatus.CALLED.value, now
        session.flush()
        audit.record(session, "guarantee.call", "guarantee", guarantee.id,
                     after={"call_id": call_id, "loan_id": loan.id, "trigger": trigger.value,
                            "claim_fen": claim, "amount_fen": amount})  # fmt: skip
        calls += 1
        claimed += amount
    return {"guarantees_called": calls, "guarantee_claims_fen": claimed}


def release_ended(session: Session, clock: Clock, day: date) -> int:
    """Release the signed guarantees of lines that ended (closed or expired) with no active
    loan left: they no longer bind the guarantor nor count in its group. Runs after
    `call_due`, so a loan written off the same day has called its guarantees first."""
    active_loan = select(Loan.id).where(
        Loan.line_id == Guarantee.line_id, Loan.status == LoanStatus.ACTIVE.value
    )
    rows = session.scalars(
        select(Guarantee)
        .join(CreditLine, CreditLine.id == Guarantee.line_id)
        .where(
            Guarantee.status == GuaranteeStatus.SIGNED.value,
            CreditLine.status.in_([LineStatus.CLOSED.value, LineStatus.EXPIRED.value]),
            ~active_loan.exists(),
        )
        .order_by(Guarantee.id)
    ).all()
    now = clock.now()
    for g in rows:
        why = f"{day} 授信已结束，担保解除"
        session.add(GuaranteeEvent(guarantee_id=g.id, from_status=g.status,
                                   to_status=GuaranteeStatus.RELEASED.value, at=now,
                                   actor_id=None, reason=why))  # fmt: skip
        g.status, g.updated_at = GuaranteeStatus.RELEASED.value, now
    if rows:
        session.flush()
        released = [str(g.id) for g in rows]
        audit.record(session, "guarantee.release", "guarantee", rows[0].id,
                     after={"released": released, "day": day.isoformat()})  # fmt: skip
    return len(rows)


def guarantees_day(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """The end-of-day step `guarantee_calls`: the day's calls, then the releases."""
    totals = call_due(session, clock, day)
    totals["guarantees_released"] = release_ended(session, clock, day)
    return totals
