"""The cockpit's bad-loan figures (issue 14): NPL ratio, provision coverage, the five-category
migration matrix month over month and the collections roll rates — SQL aggregates, a fixed
number of queries whatever the size of the book.

Definitions (a finance reviewer should check these):

* ``npl_ratio_bp`` — outstanding principal of the *active* loans in scope classed 次级, 可疑 or
  损失 ÷ outstanding principal of all active loans in scope, in basis points (rounded down; 0
  for an empty book). Written-off loans are off the balance sheet and in neither.
* ``provision_coverage_bp`` — the loan-loss reserve held (ledger ``loan_loss_reserve``, every
  class) ÷ the NPL balance of the whole book, in basis points (rounded down; None without
  NPLs). The reserve is the bank's, not a branch's: this figure ignores the filters.
* ``migration`` — from the previous month end to the latest (``lending_class_snapshot``, written
  by the end of day of each month's last day; with one snapshot only, from it to today): for
  each class at the start, the count and start principal of the loans by where they are at the
  end — a class, or out of the book (``paid_off``, ``renewed``, ``written_off``).
* ``roll_rates`` — over the same two dates, per days-past-due bucket at the start (current,
  M1 1–30, M2 31–60, M3 61–90): the share of its start principal that is in a worse bucket at the
  end (or written off), in basis points (rounded down).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from puhui.ledger.models import Account, Balance
from puhui.lending.bad_loan_models import ClassSnapshot
from puhui.lending.classification import LoanClass
from puhui.lending.models import Loan, LoanStatus
from puhui.reporting.book import Scope
from puhui.reporting.book import loans_in_scope as _loans_in_scope
from puhui.reporting.sql import as_date

NPL = (LoanClass.SUBSTANDARD.value, LoanClass.DOUBTFUL.value, LoanClass.LOSS.value)
BUCKETS = ("current", "M1", "M2", "M3", "M3+")
EXITS = (LoanStatus.PAID_OFF.value, LoanStatus.RENEWED.value, LoanStatus.WRITTEN_OFF.value)


def _bucket(dpd: Any) -> Any:
    return case((dpd <= 0, 0), (dpd <= 30, 1), (dpd <= 60, 2), (dpd <= 90, 3), else_=4)


def _day(value: Any) -> date | None:
    return None if value is None else as_date(value)


def _headline(
    session: Session, scope: Scope
) -> tuple[int, int, int | None, date | None, date | None]:
    """ONE statement: (principal in scope, NPL in scope, coverage, from date, to date)."""
    active = Loan.status == LoanStatus.ACTIVE.value
    is_npl = Loan.classification.in_(NPL)
    npl = func.sum(case((is_npl, Loan.principal_outstanding_fen), else_=0))
    whole_npl = (
        select(func.coalesce(func.sum(Loan.principal_outstanding_fen), 0))
        .where(active, is_npl)
        .scalar_subquery()
    )
    reserve = (
        select(func.coalesce(func.sum(Balance.credits_fen - Balance.debits_fen), 0))
        .join(Account, Account.id == Balance.account_id)
        .where(Account.code == "loan_loss_reserve")
        .scalar_subquery()
    )
    latest = select(func.max(ClassSnapshot.as_of_date)).scalar_subquery()
    before = (
        select(func.max(ClassSnapshot.as_of_date))
        .where(ClassSnapshot.as_of_date < latest)
        .scalar_subquery()
    )
    total, bad, whole, held, last, prev = session.execute(
        select(
            func.coalesce(func.sum(Loan.principal_outstanding_fen), 0),
            func.coalesce(npl, 0),
            whole_npl,
            reserve,
            latest,
            before,
        ).where(_loans_in_scope(scope), active)
    ).one()
    coverage = int(held or 0) * 10_000 // int(whole) if whole else None
    start, end = (prev, last) if prev is not None else (last, None)
    return int(total), int(bad), coverage, _day(start), _day(end)


def _moves(session: Session, scope: Scope, start: date, end: date | None) -> list[Any]:
    """(from class, from bucket, to class-or-exit, to bucket, count, start principal)."""
    s0 = aliased(ClassSnapshot)
    active = Loan.status == LoanStatus.ACTIVE.value
    s1 = aliased(ClassSnapshot)
    if end is None:  # to today: the loan as it is
        to_class: Any = case((active, Loan.classification), else_=Loan.status)
        to_dpd: Any = case((active, Loan.dpd), else_=literal(0))
    else:  # to the later month end: out of its snapshot means out of the book then
        to_class = func.coalesce(
            s1.classification, case((active, literal("paid_off")), else_=Loan.status)
        )
        to_dpd = func.coalesce(s1.dpd, 0)
    from_bucket, to_bucket = _bucket(s0.dpd), _bucket(to_dpd)
    query = (
        select(
            s0.classification,
            from_bucket,
            to_class,
            to_bucket,
            func.count(),
            func.coalesce(func.sum(s0.principal_fen), 0),
        )
        .select_from(s0)
        .join(Loan, Loan.id == s0.loan_id)
    )
    if end is not None:
        query = query.outerjoin(s1, and_(s1.loan_id == s0.loan_id, s1.as_of_date == end))
    return list(
        session.execute(
            query.where(s0.as_of_date == start, _loans_in_scope(scope)).group_by(
                s0.classification, from_bucket, to_class, to_bucket
            )
        ).all()
    )


def _matrix_and_rolls(rows: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    classes = [c.value for c in LoanClass]
    cells: dict[tuple[str, str], list[int]] = {}
    rolls = {b: [0, 0] for b in range(4)}  # start bucket -> [start principal, rolled]
    for frm, fb, to, tb, n, fen in rows:
        cell = cells.setdefault((str(frm), str(to)), [0, 0])
        cell[0] += int(n)
        cell[1] += int(fen)
        if int(fb) < 4:
            rolls[int(fb)][0] += int(fen)
            worse = str(to) == LoanStatus.WRITTEN_OFF.value or (
                str(to) in classes and int(tb) > int(fb)
            )
            rolls[int(fb)][1] += int(fen) if worse else 0
    matrix = [
        {
            "from": frm,
            "to": [
                {
                    "to": to,
                    "count": cells.get((frm, to), [0, 0])[0],
                    "balance_fen": cells.get((frm, to), [0, 0])[1],
                }
                for to in (*classes, *EXITS)
            ],
        }
        for frm in classes
    ]
    roll_rates = [
        {
            "from": BUCKETS[b],
            "to": BUCKETS[b + 1],
            "balance_fen": total,
            "rate_bp": rolled * 10_000 // total if total else None,
        }
        for b, (total, rolled) in rolls.items()
    ]
    return matrix, roll_rates


def bad_loan_figures(session: Session, scope: Scope) -> dict[str, Any]:
    """The four figures of the module docstring, as JSON-ready values (amounts in fen)."""
    total, bad, coverage, start, end = _headline(session, scope)
    rows = _moves(session, scope, start, end) if start is not None else []
    matrix, rolls = _matrix_and_rolls(rows)
    return {
        "npl_fen": bad,
        "npl_ratio_bp": bad * 10_000 // total if total else 0,
        "provision_coverage_bp": coverage,
        "migration_from": start.isoformat() if start else None,
        "migration_to": end.isoformat() if end else None,
        "migration": matrix,
        "roll_rates": rolls,
    }
