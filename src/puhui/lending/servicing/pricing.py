"""LPR repricing (浮动利率重定价).

* LPR publications (1-year and 5-year, the 20th of each month) are entered by one officer
  (`enter_lpr`) and take effect once a second officer approves (`decide_lpr`).
* A floating-rate loan (`make_floating`: tenor, spread, every 12 or 1 months) reprices on its
  repricing date to the latest effective LPR published on or before that date plus its spread
  (`reprice_due`, an end-of-day step). The instalments not yet billed are rebuilt at the new
  rate from their own periods — for 等额本息 a new annuity over the periods left, to the fen —
  with `schedules.amortize`; no money moves, so no ledger entry. The borrower gets a notice.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.errors import InvalidInput
from puhui.lending import loans, schedules
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import Instalment, InstalmentStatus, Loan, LoanStatus
from puhui.lending.schedules import PeriodInterest, RepaymentMethod, add_months
from puhui.lending.servicing.errors import ReliefRequestConflict, SameOfficer
from puhui.lending.servicing.models import LoanPricing, LprPublication, ServicingNotice

TENORS = ("1y", "5y")


class LprStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


def enter_lpr(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    published_date: date,
    tenor: str,
    rate_bp: int,
) -> LprPublication:
    """The maker: a publication waiting for a second officer."""
    if tenor not in TENORS:
        raise InvalidInput(field="tenor")
    if not 0 < rate_bp < 2_000:
        raise InvalidInput(field="rate_bp")
    row = LprPublication(
        published_date=published_date,
        tenor=tenor,
        rate_bp=rate_bp,
        status=LprStatus.PENDING.value,
        entered_by_id=principal.user_id,
        entered_by_name=principal.display_name,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "lpr.enter", "lpr", row.id,
        after={"published_date": published_date.isoformat(), "tenor": tenor, "rate_bp": rate_bp},
    )  # fmt: skip
    return row


def decide_lpr(
    session: Session, clock: Clock, principal: Principal, lpr_id: uuid.UUID, *, approve: bool
) -> LprPublication:
    """The checker (not the maker): the publication becomes effective, or is rejected."""
    row = session.get(LprPublication, lpr_id)
    if row is None or row.status != LprStatus.PENDING.value:
        raise ReliefRequestConflict(
            status=row.status if row else "missing",
            status_zh="非待复核",
            action_zh="复核",
            action_en="checked",
        )
    if row.entered_by_id == principal.user_id:
        raise SameOfficer()
    if approve:  # a correction of the same date and tenor replaces the effective one
        for old in session.scalars(
            select(LprPublication).where(
                LprPublication.published_date == row.published_date,
                LprPublication.tenor == row.tenor,
                LprPublication.status == LprStatus.ACTIVE.value,
            )
        ):
            old.status = LprStatus.SUPERSEDED.value
    row.status = (LprStatus.ACTIVE if approve else LprStatus.REJECTED).value
    row.approved_by_id, row.approved_by_name = principal.user_id, principal.display_name
    row.decided_at = clock.now()
    session.flush()
    audit.record(session, "lpr.decide", "lpr", row.id, after={"status": row.status})
    return row


def lpr_on(session: Session, tenor: str, day: date) -> int | None:
    """The effective LPR of `tenor` published on or before `day` (None: none yet)."""
    return session.scalar(
        select(LprPublication.rate_bp)
        .where(
            LprPublication.tenor == tenor,
            LprPublication.status == LprStatus.ACTIVE.value,
            LprPublication.published_date <= day,
        )
        .order_by(LprPublication.published_date.desc())
        .limit(1)
    )


def publications(session: Session, limit: int = 48) -> list[LprPublication]:
    return list(
        session.scalars(
            select(LprPublication)
            .order_by(LprPublication.published_date.desc(), LprPublication.tenor)
            .limit(limit)
        )
    )


def make_floating(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    *,
    tenor: str,
    spread_bp: int,
    frequency_months: int = 12,
) -> LoanPricing:
    """Record a loan's floating-rate terms (its contract's); the first repricing on the first
    date after today on the grid of the start date plus multiples of `frequency_months`."""
    if tenor not in TENORS:
        raise InvalidInput(field="tenor")
    if frequency_months not in (1, 3, 6, 12):
        raise InvalidInput(field="frequency_months")
    loan = loans.lock_active_loan(session, loan_id)
    if session.get(LoanPricing, loan.id) is not None:
        raise ReliefRequestConflict(
            status="floating", status_zh="已是浮动利率", action_zh="再次设置", action_en="set again"
        )
    today, k = business_date(clock), 1
    while (
        first := add_months(loan.start_date, k * frequency_months, loan.start_date.day)
    ) <= today:
        k += 1
    row = LoanPricing(
        loan_id=loan.id,
        tenor=tenor,
        spread_bp=spread_bp,
        frequency_months=frequency_months,
        next_repricing_date=first,
        last_lpr_bp=None,
        updated_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def rebuilt_at_rate(
    loan: Loan, unbilled: list[Instalment], new_rate_bp: int
) -> list[schedules.Instalment]:
    """The instalments not yet billed, amortized again at `new_rate_bp` over their own periods
    (pure: no database). Deferred interest they carry stays with them."""
    ordered = sorted(unbilled, key=lambda r: r.seq)
    anchor = loan.start_date.day
    periods = [schedules.period_between(r.seq, r.start_date, r.due_date, anchor) for r in ordered]
    balance = sum(loans.unpaid_principal(r) for r in ordered)
    rebuilt = schedules.amortize(
        balance,
        new_rate_bp,
        periods,
        RepaymentMethod(loan.repayment_method),
        interest_mode=PeriodInterest(loan.interest_mode),
        basis=DayCountBasis(loan.day_count),
    )
    return [
        replace(
            inst,
            interest_fen=inst.interest_fen + row.deferred_interest_fen,
            total_fen=inst.total_fen + row.deferred_interest_fen,
            deferred_interest_fen=row.deferred_interest_fen,
        )
        for inst, row in zip(rebuilt, ordered, strict=True)
    ]


def reprice_loan(
    session: Session, clock: Clock, pricing: LoanPricing, day: date
) -> tuple[int, int] | None:
    """Reprice one loan due on or before `day`; returns (old rate, new rate) when it changed."""
    loan = loans.lock_loan(session, pricing.loan_id)
    due = pricing.next_repricing_date
    pricing.next_repricing_date = add_months(due, pricing.frequency_months, loan.start_date.day)
    pricing.updated_at = clock.now()
    lpr = lpr_on(session, pricing.tenor, due)
    if loan.status != LoanStatus.ACTIVE or lpr is None:
        return None
    pricing.last_lpr_bp = lpr
    new_rate, old_rate = lpr + pricing.spread_bp, loan.rate_bp
    rows = loans.rows_of(session, loan.id)
    unbilled = [r for r in rows if r.status == InstalmentStatus.SCHEDULED and r.start_date >= due]
    if new_rate == old_rate or not unbilled:
        return None
    rebuilt = rebuilt_at_rate(loan, unbilled, new_rate)
    for row in unbilled:
        session.delete(row)
    session.flush()
    new_rows = loans.new_rows(loan.id, rebuilt)
    session.add_all(new_rows)
    kept = [r for r in rows if r not in unbilled]
    loan.rate_bp = new_rate
    loans.refresh(loan, kept + new_rows, day)
    loan.updated_at = clock.now()
    detail = {"lpr_bp": lpr, "spread_bp": pricing.spread_bp, "old_rate_bp": old_rate,
              "new_rate_bp": new_rate, "repricing_date": due.isoformat()}  # fmt: skip
    loans.loan_event(session, clock, loan, day, "repricing", detail)
    audit.record(session, "loan.repricing", "loan", loan.id, after=detail)
    session.add(
        ServicingNotice(
            kind="repricing", subject_id=loan.id, enterprise_id=loan.enterprise_id,
            reference=loan.reference, business_date=day, created_at=clock.now(),
            body=f"【普惠】您的借款 {loan.reference} 按 LPR 重定价，年利率由 "
            f"{old_rate / 100:.2f}% 调整为 {new_rate / 100:.2f}%，新的还款计划请登录查看。",
        )
    )  # fmt: skip
    return old_rate, new_rate


def reprice_due(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Every floating-rate loan whose repricing date is on or before `day` (an end-of-day step;
    a re-run finds none left, as each repricing moves the loan's next date)."""
    due = session.scalars(
        select(LoanPricing)
        .where(LoanPricing.next_repricing_date <= day)
        .order_by(LoanPricing.loan_id)
    ).all()
    changed = 0
    for pricing in due:
        while pricing.next_repricing_date <= day:
            if reprice_loan(session, clock, pricing, day) is not None:
                changed += 1
    session.flush()
    return {"loans_repriced": changed}
