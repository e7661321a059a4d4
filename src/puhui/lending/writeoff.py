"""Write-off (核销) with maker-checker, the claim kept off the balance sheet, and recoveries.

The rule a finance reviewer should check
----------------------------------------
* **Who.** A write-off is *proposed* by one member of staff (the maker) and *approved* or
  *rejected* by another (the checker); the same person can never do both. Only an active,
  non-performing loan (次级, 可疑 or 损失) can be proposed, and at most one proposal per loan is
  open at a time.
* **What approval posts** (one entry, on the approval's business date):

  - Cr the loan's principal, interest, penalty and charges receivables (they go to zero);
  - Dr the loan's interest / penalty / fee suspense (non-accrual: that part never was income);
  - the rest — principal plus the receivables that were income — is charged to the loan-loss
    reserve of the loan's class as far as it holds, any shortfall to provision expense;
  - off-balance (表外): Dr ``written_off_claim``, Cr ``written_off_contra`` for the whole claim
    (principal + interest + penalty + charges), so the bank keeps pursuing it.

  The loan becomes ``written_off`` (its figures stay as the borrower's debt); its line is closed
  and its principal no longer counts as used.
* **Recovery** (已核销贷款收回): money the borrower pays later, from its settlement account, is
  income (``recovery_income``) and reduces the off-balance claim by the same amount. At most the
  claim not yet recovered; an idempotency key per recovery.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, idempotency
from puhui.core.clock import Clock, business_date
from puhui.core.errors import IdempotencyConflict, InvalidInput
from puhui.core.money import format_fen
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import charges, loans, nonaccrual, provisions
from puhui.lending.bad_loan_models import (
    WRITE_OFF_TRANSITIONS,
    Recovery,
    WriteOff,
    WriteOffStatus,
)
from puhui.lending.classification import LoanClass
from puhui.lending.errors import (
    RecoveryTooLarge,
    SettlementInsufficient,
    WriteOffNotEligible,
    WriteOffNotFound,
    WriteOffSameApprover,
    WriteOffWrongStatus,
)
from puhui.lending.models import LineStatus, Loan, LoanStatus

WRITTEN_OFF_CONTRA = "written_off_contra"


def claim_account(loan_id: uuid.UUID) -> ledger_service.AccountRef:
    return ledger_service.owned("written_off_claim", "loan", loan_id)


def contra_account(loan_id: uuid.UUID) -> ledger_service.AccountRef:
    return ledger_service.owned(WRITTEN_OFF_CONTRA, "loan", loan_id)


def _get(session: Session, write_off_id: uuid.UUID, *, lock: bool = False) -> WriteOff:
    query = select(WriteOff).where(WriteOff.id == write_off_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise WriteOffNotFound()
    return row


def get_write_off(session: Session, write_off_id: uuid.UUID) -> WriteOff:
    return _get(session, write_off_id)


def write_offs(session: Session, *, limit: int = 200) -> list[WriteOff]:
    return list(
        session.scalars(select(WriteOff).order_by(WriteOff.proposed_at.desc()).limit(limit))
    )


def _refuse(why_zh: str, why_en: str) -> WriteOffNotEligible:
    return WriteOffNotEligible(why_zh=why_zh, why_en=why_en)


def _receivables(session: Session, loan_id: uuid.UUID) -> dict[str, int]:
    refs = {
        "principal": loans.principal_account(loan_id),
        "interest": loans.interest_account(loan_id),
        "penalty": loans.penalty_account(loan_id),
        "fee": charges.fee_account(loan_id),
        "interest_suspense": nonaccrual.interest_suspense(loan_id),
        "penalty_suspense": nonaccrual.penalty_suspense(loan_id),
        "fee_suspense": nonaccrual.fee_suspense(loan_id),
    }
    return {k: ledger_service.balance_fen(session, ref) for k, ref in refs.items()}


def propose(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    reason: str,
    *,
    maker: str,
    maker_user_id: uuid.UUID | None = None,
) -> WriteOff:
    """The maker's proposal: an active non-performing loan, none open for it already."""
    loan = loans.lock_loan(session, loan_id)
    if loan.status != LoanStatus.ACTIVE.value:
        raise _refuse("贷款不在还款中。", "the loan is not active.")
    if not LoanClass(loan.classification).is_non_performing:
        raise _refuse("仅次级、可疑、损失类贷款可核销。", "only non-performing loans qualify.")
    open_one = session.scalar(
        select(WriteOff.id).where(
            WriteOff.loan_id == loan.id, WriteOff.status == WriteOffStatus.PROPOSED.value
        )
    )
    if open_one is not None:
        raise _refuse("已有待审批的核销申请。", "a proposal is already awaiting approval.")
    if not reason.strip():
        raise InvalidInput(field="reason")
    day = business_date(clock)
    bal = _receivables(session, loan.id)
    row = WriteOff(
        reference=loans.next_reference(session, "WO", day.year),
        loan_id=loan.id,
        status=WriteOffStatus.PROPOSED.value,
        reason=reason.strip()[:500],
        principal_fen=bal["principal"],
        interest_fen=bal["interest"],
        penalty_fen=bal["penalty"],
        fee_fen=bal["fee"],
        proposed_by=maker,
        proposed_by_user_id=maker_user_id,
        proposed_at=clock.now(),
        business_date=day,
    )
    session.add(row)
    session.flush()
    audit.record(session, "write_off.proposed", "loan", loan.id, after=_summary(row))
    return row


def _summary(row: WriteOff) -> dict[str, Any]:
    return {
        "write_off": row.reference,
        "status": row.status,
        "principal_fen": row.principal_fen,
        "interest_fen": row.interest_fen,
        "penalty_fen": row.penalty_fen,
        "fee_fen": row.fee_fen,
    }


def _decide(
    row: WriteOff, to: WriteOffStatus, checker: str, checker_user_id: uuid.UUID | None
) -> None:
    current = WriteOffStatus(row.status)
    if to not in WRITE_OFF_TRANSITIONS[current]:
        raise WriteOffWrongStatus(status=current.value, status_zh=_STATUS_ZH[current])
    same_user = checker_user_id is not None and checker_user_id == row.proposed_by_user_id
    if same_user or checker == row.proposed_by:
        raise WriteOffSameApprover()


_STATUS_ZH = {
    WriteOffStatus.PROPOSED: "待审批",
    WriteOffStatus.APPROVED: "已核销",
    WriteOffStatus.REJECTED: "已驳回",
}


def reject(
    session: Session,
    clock: Clock,
    write_off_id: uuid.UUID,
    note: str,
    *,
    checker: str,
    checker_user_id: uuid.UUID | None = None,
) -> WriteOff:
    row = _get(session, write_off_id, lock=True)
    _decide(row, WriteOffStatus.REJECTED, checker, checker_user_id)
    row.status = WriteOffStatus.REJECTED.value
    row.decided_by = checker
    row.decided_at = clock.now()
    row.decision_note = note.strip()[:500]
    audit.record(session, "write_off.rejected", "loan", row.loan_id, after=_summary(row))
    return row


def approve(
    session: Session,
    clock: Clock,
    write_off_id: uuid.UUID,
    note: str = "",
    *,
    checker: str,
    checker_user_id: uuid.UUID | None = None,
) -> WriteOff:
    """The checker's approval: post the write-off (module docstring) and close the loan."""
    row = _get(session, write_off_id, lock=True)
    _decide(row, WriteOffStatus.APPROVED, checker, checker_user_id)
    loan = loans.lock_loan(session, row.loan_id)
    if loan.status != LoanStatus.ACTIVE.value:
        raise _refuse("贷款不在还款中。", "the loan is not active.")
    day = business_date(clock)
    bal = _receivables(session, loan.id)
    row.principal_fen, row.interest_fen, row.penalty_fen, row.fee_fen = (
        bal["principal"],
        bal["interest"],
        bal["penalty"],
        bal["fee"],
    )
    row.entry_id = _post_write_off(session, clock, loan, row, bal)
    charges.write_off(session, clock, loan.id)
    row.status = WriteOffStatus.APPROVED.value
    row.decided_by = checker
    row.decided_at = clock.now()
    row.decision_note = note.strip()[:500]
    loans.restore_line(session, loan, row.principal_fen)
    loans.transition_loan(session, clock, loan, LoanStatus.WRITTEN_OFF, day)
    line = loans.lock_line(session, loan.line_id)
    if line.status in (LineStatus.ACTIVE.value, LineStatus.FROZEN.value, LineStatus.EXPIRED.value):
        loans.transition_line(
            session, clock, line, LineStatus.CLOSED, day, f"贷款核销 {loan.reference}"
        )
    session.flush()
    audit.record(session, "write_off.approved", "loan", loan.id, after=_summary(row))
    return row


def _post_write_off(
    session: Session, clock: Clock, loan: Loan, row: WriteOff, bal: dict[str, int]
) -> uuid.UUID:
    claim = bal["principal"] + bal["interest"] + bal["penalty"] + bal["fee"]
    held_i = min(bal["interest_suspense"], bal["interest"])
    held_p = min(bal["penalty_suspense"], bal["penalty"])
    held_f = min(bal["fee_suspense"], bal["fee"])
    charged = claim - held_i - held_p - held_f
    reserve_ref = provisions.reserve_account(loan.classification)
    reserve = max(0, ledger_service.balance_fen(session, reserve_ref))
    row.reserve_used_fen = min(charged, reserve)
    row.expense_fen = charged - row.reserve_used_fen
    legs = [
        Leg.credit(loans.principal_account(loan.id), bal["principal"]),
        Leg.credit(loans.interest_account(loan.id), bal["interest"]),
        Leg.credit(loans.penalty_account(loan.id), bal["penalty"]),
        Leg.credit(charges.fee_account(loan.id), bal["fee"]),
        Leg.debit(nonaccrual.interest_suspense(loan.id), held_i),
        Leg.debit(nonaccrual.penalty_suspense(loan.id), held_p),
        Leg.debit(nonaccrual.fee_suspense(loan.id), held_f),
        Leg.debit(reserve_ref, row.reserve_used_fen),
        Leg.debit(provisions.PROVISION_EXPENSE, row.expense_fen),
        Leg.debit(claim_account(loan.id), claim),
        Leg.credit(contra_account(loan.id), claim),
    ]
    entry = ledger_service.post(
        session,
        clock,
        kind="write_off",
        business_date=business_date(clock),
        legs=legs,
        memo=f"贷款核销 {row.reference} 借据 {loan.reference}",
        source_type="write_off",
        source_id=row.id,
    )
    return entry.id


def recover(
    session: Session,
    clock: Clock,
    write_off_id: uuid.UUID,
    amount_fen: int,
    *,
    idempotency_key: str | None,
    actor: str,
) -> Recovery:
    """Money recovered after a write-off, from the borrower's settlement account: income, and
    the off-balance claim goes down by as much. A replay of the key returns the first one."""
    key = idempotency.require_idempotency_key(idempotency_key)
    row = _get(session, write_off_id, lock=True)
    done = session.scalars(
        select(Recovery).where(Recovery.write_off_id == row.id, Recovery.idempotency_key == key)
    ).first()
    if done is not None:
        if done.amount_fen != amount_fen:
            raise IdempotencyConflict(field="idempotency_key")
        return done
    if row.status != WriteOffStatus.APPROVED.value:
        current = WriteOffStatus(row.status)
        raise WriteOffWrongStatus(status=current.value, status_zh=_STATUS_ZH[current])
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidInput(field="amount_fen")
    remaining = row.claim_fen - row.recovered_fen
    if amount_fen > remaining:
        raise RecoveryTooLarge(amount=format_fen(amount_fen), remaining=format_fen(remaining))
    loan = session.get(Loan, row.loan_id)
    assert loan is not None
    available = ledger_service.balance_fen(session, loans.settlement_account(loan.enterprise_id))
    if available < amount_fen:
        raise SettlementInsufficient(needed=format_fen(amount_fen), available=format_fen(available))
    day = business_date(clock)
    entry = ledger_service.post(
        session,
        clock,
        kind="recovery",
        business_date=day,
        legs=[
            Leg.debit(loans.settlement_account(loan.enterprise_id), amount_fen),
            Leg.credit(ledger_service.bank("recovery_income"), amount_fen),
            Leg.debit(contra_account(loan.id), amount_fen),
            Leg.credit(claim_account(loan.id), amount_fen),
        ],
        memo=f"已核销贷款收回 {row.reference} 借据 {loan.reference}",
        source_type="write_off",
        source_id=row.id,
    )
    rec = Recovery(
        write_off_id=row.id,
        amount_fen=amount_fen,
        idempotency_key=key,
        entry_id=entry.id,
        actor=actor,
        business_date=day,
        created_at=clock.now(),
    )
    session.add(rec)
    row.recovered_fen += amount_fen
    session.flush()
    audit.record(session, "write_off.recovery", "loan", loan.id, after={"amount_fen": amount_fen})
    return rec
