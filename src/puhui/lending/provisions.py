"""Loan-loss provisions posted by the end of day, and the month-end class snapshot.

:mod:`puhui.lending.provision_rules` holds the rates and the arithmetic (pure). Here: the
outstanding principal per class (ONE aggregate over the active loans, set-based on every
database), the reserve held per class (one ``loan_loss_reserve`` account per class, owner key the
class code), and ONE ``provision`` entry for the day's change. On the last day of a month the
same step copies every active loan's class, dpd and principal into ``lending_class_snapshot``
with one ``INSERT … SELECT`` (the cockpit's migration matrix and roll rates start from it).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Table, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from puhui.core.clock import Clock
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg
from puhui.lending.bad_loan_models import ClassSnapshot
from puhui.lending.classification import LoanClass
from puhui.lending.models import Loan, LoanStatus
from puhui.lending.provision_rules import DEFAULT_RATES, ProvisionRates, provision_moves

PROVISION_EXPENSE = ledger_service.bank("provision_expense")


def reserve_account(cls: LoanClass | str) -> AccountRef:
    """The loan-loss reserve held for one class."""
    return ledger_service.owned("loan_loss_reserve", "class", LoanClass(cls).value)


def principal_by_class(session: Session) -> dict[str, int]:
    """Outstanding principal of the active loans per class (one aggregate)."""
    rows = session.execute(
        select(Loan.classification, func.sum(Loan.principal_outstanding_fen))
        .where(Loan.status == LoanStatus.ACTIVE.value)
        .group_by(Loan.classification)
    ).all()
    return {cls: int(fen or 0) for cls, fen in rows}


def reserve_by_class(session: Session) -> dict[str, int]:
    """The reserve held per class (credit balances of the class reserve accounts)."""
    return ledger_service.balances_by_owner(
        session, "loan_loss_reserve", [c.value for c in LoanClass]
    )


def post_provisions(
    session: Session, clock: Clock, day: date, rates: ProvisionRates = DEFAULT_RATES
) -> dict[str, int]:
    """Bring each class's reserve to ``rate × principal`` with one entry; returns the move per
    class (0 everywhere on a re-run of the same date)."""
    moves = provision_moves(principal_by_class(session), reserve_by_class(session), rates)
    legs: list[Leg] = []
    for cls, fen in moves.items():
        if fen > 0:
            legs += [Leg.debit(PROVISION_EXPENSE, fen), Leg.credit(reserve_account(cls), fen)]
        elif fen < 0:
            legs += [Leg.debit(reserve_account(cls), -fen), Leg.credit(PROVISION_EXPENSE, -fen)]
    if legs:
        ledger_service.post(
            session,
            clock,
            kind="provision",
            business_date=day,
            legs=legs,
            memo=f"贷款损失准备计提/转回 {day.isoformat()}",
            source_type="eod",
            source_id=f"provision:{day.isoformat()}",
        )
    return moves


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


_LOAN = typing.cast(Table, Loan.__table__)
_SNAPSHOT = typing.cast(Table, ClassSnapshot.__table__)


def snapshot_classes(session: Session, day: date) -> int:
    """Every active loan's class, dpd and principal as of `day` (replacing any earlier copy of
    that date: a re-run changes nothing). Returns the rows written."""
    session.execute(delete(_SNAPSHOT).where(_SNAPSHOT.c.as_of_date == day))
    source = select(
        literal(day).label("as_of_date"),
        _LOAN.c.id,
        _LOAN.c.classification,
        _LOAN.c.dpd,
        _LOAN.c.principal_outstanding_fen,
    ).where(_LOAN.c.status == LoanStatus.ACTIVE.value)
    result = session.execute(
        insert(_SNAPSHOT).from_select(
            ["as_of_date", "loan_id", "classification", "dpd", "principal_fen"], source
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class ProvisionStep:
    """Step 5 of the end of day: provisions (and, at a month end, the class snapshot)."""

    clock: Clock
    day: date
    rates: ProvisionRates = field(default=DEFAULT_RATES)
    name: str = "provisions"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        session.flush()
        moves = post_provisions(session, self.clock, self.day, self.rates)
        totals = {
            "provision_fen": sum(v for v in moves.values() if v > 0),
            "provision_released_fen": -sum(v for v in moves.values() if v < 0),
        }
        if is_month_end(self.day):
            totals["class_snapshot_rows"] = snapshot_classes(session, self.day)
        return Batch(None, items=1, totals=totals)
