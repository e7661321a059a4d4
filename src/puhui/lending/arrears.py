"""What collections needs to know about loans past due or falling due, as plain records (the
risk domain reads them through ``lending.service``, never lending's models)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.lending.models import Instalment, InstalmentStatus, Loan, LoanStatus, Repayment


@dataclass(frozen=True, slots=True)
class PastDueLoan:
    loan_id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    dpd: int
    overdue_fen: int  # overdue principal + interest + penalty + compound
    status: str


@dataclass(frozen=True, slots=True)
class DueInstalment:
    instalment_id: uuid.UUID
    loan_id: uuid.UUID
    loan_reference: str
    enterprise_id: uuid.UUID
    due_date: date
    unpaid_fen: int


def _overdue_expr() -> object:
    return (
        Loan.overdue_principal_fen
        + Loan.overdue_interest_fen
        + Loan.penalty_accrued_fen
        + Loan.compound_accrued_fen
    )


def past_due_loans(session: Session) -> list[PastDueLoan]:
    """Active loans with days past due > 0."""
    rows = session.execute(
        select(
            Loan.id,
            Loan.reference,
            Loan.enterprise_id,
            Loan.dpd,
            Loan.overdue_principal_fen
            + Loan.overdue_interest_fen
            + Loan.penalty_accrued_fen
            + Loan.compound_accrued_fen,
            Loan.status,
        ).where(Loan.status == LoanStatus.ACTIVE.value, Loan.dpd > 0)
    ).all()
    return [PastDueLoan(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows]


def loan_states(session: Session, loan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, PastDueLoan]:
    """The same record for given loans, whatever their status or dpd."""
    if not loan_ids:
        return {}
    rows = session.execute(
        select(
            Loan.id,
            Loan.reference,
            Loan.enterprise_id,
            Loan.dpd,
            Loan.overdue_principal_fen
            + Loan.overdue_interest_fen
            + Loan.penalty_accrued_fen
            + Loan.compound_accrued_fen,
            Loan.status,
        ).where(Loan.id.in_(list(loan_ids)))
    ).all()
    return {r[0]: PastDueLoan(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows}


def repaid_fen(session: Session, loan_id: uuid.UUID, *, through: date | None = None) -> int:
    """Everything applied to the loan by repayments (up to a business date)."""
    query = select(func.coalesce(func.sum(Repayment.amount_applied_fen), 0)).where(
        Repayment.loan_id == loan_id
    )
    if through is not None:
        query = query.where(Repayment.business_date <= through)
    return int(session.scalar(query) or 0)


def unpaid_instalments_due_on(session: Session, days: Sequence[date]) -> list[DueInstalment]:
    """Instalments of active loans due on one of `days` and not fully paid."""
    unpaid = (
        Instalment.principal_fen
        - Instalment.principal_paid_fen
        + Instalment.interest_fen
        - Instalment.interest_paid_fen
    )
    rows = session.execute(
        select(
            Instalment.id,
            Loan.id,
            Loan.reference,
            Loan.enterprise_id,
            Instalment.due_date,
            unpaid,
        )
        .join(Loan, Loan.id == Instalment.loan_id)
        .where(
            Loan.status == LoanStatus.ACTIVE.value,
            Instalment.due_date.in_(list(days)),
            Instalment.status.in_(
                [InstalmentStatus.SCHEDULED.value, InstalmentStatus.BILLED.value]
            ),
            unpaid > 0,
        )
        .order_by(Instalment.due_date, Loan.reference)
    ).all()
    return [DueInstalment(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]
