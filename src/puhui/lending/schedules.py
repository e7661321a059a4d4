"""Repayment schedules for instalment loans (还款计划): pure functions, integer fen.

Conventions a finance reviewer should check
------------------------------------------
* **Periods.** Monthly. The due date of instalment *k* is the start (value) date plus *k*
  months, on the start date's day of month, clipped to the month's last day: a loan started on
  31 January falls due on 28/29 February, 31 March, 30 April, … (always computed from the start
  date, so a clipped February does not drag later months to the 28th). Interest of a period
  accrues from its start date (counted) to its due date (not counted).
* **Interest per period** (``PeriodInterest``):

  - ``MONTHLY_RATE`` (default) — monthly rate = annual rate / 12, whatever the month's length:
    interest = opening balance × rate / 12. This is how Chinese banks quote and compute
    等额本息 (月利率 = 年利率 ÷ 12), and it makes the 等额本息 schedule match the textbook
    annuity formula (``numpy_financial.pmt``).
  - ``ACTUAL_DAYS`` — interest = opening balance × rate × actual days / 360 (or 365, by the
    day-count basis): a 31-day month costs more than a 28-day one.

  A *stub* period (one that does not start on the due-date grid, e.g. after a prepayment in the
  middle of a period) is always charged by actual days.
* **Rounding.** Each period's interest is rounded half up to the fen once. Principal parts are
  whole fen; the **last instalment absorbs all rounding**, so the principal parts sum exactly to
  the amount lent and the last closing balance is 0.
* **Methods** (``RepaymentMethod``):

  - ``EQUAL_INSTALMENT`` 等额本息 — equal instalments
    ``A = P·i / (1 − (1 + i)^−n)``, ``i`` = annual rate / 12, computed in Decimal and rounded
    half up to the fen (equals ``numpy_financial.pmt(rate/12, n, -P)`` rounded half up).
    Each instalment: interest as above, principal = A − interest; the last instalment pays the
    remaining balance plus its interest. If a period's interest ever exceeds A (only possible
    with ``ACTUAL_DAYS``, a very high rate and a long term) that period's principal is 0 —
    principal is never negative and the balance never grows.
  - ``EQUAL_PRINCIPAL`` 等额本金 — principal per instalment = amount / n rounded half up, plus
    interest on the opening balance (decreasing instalments); the last takes the rest.
  - ``INTEREST_FIRST`` 先息后本 — interest every month, the whole principal with the last one.
  - ``BULLET`` 到期一次还本付息 — one instalment at maturity with all principal and the interest of
    the whole term (``P × rate × n / 12`` or, with ``ACTUAL_DAYS``, by the term's actual days).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum

from puhui.lending.interest import (
    BP_PER_UNIT,
    EXACT,
    DayCountBasis,
    Rate,
    div_round_half_up,
    interest_fen,
)

MONTHS_PER_YEAR = 12


class RepaymentMethod(StrEnum):
    """How an instalment loan is repaid."""

    EQUAL_INSTALMENT = "equal_instalment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_FIRST = "interest_first"
    BULLET = "bullet"

    @property
    def zh(self) -> str:
        return _METHOD_ZH[self]


_METHOD_ZH = {
    RepaymentMethod.EQUAL_INSTALMENT: "等额本息",
    RepaymentMethod.EQUAL_PRINCIPAL: "等额本金",
    RepaymentMethod.INTEREST_FIRST: "先息后本",
    RepaymentMethod.BULLET: "到期一次还本付息",
}


class PeriodInterest(StrEnum):
    """How a (whole-month) period's interest is computed; see the module docstring."""

    MONTHLY_RATE = "monthly_rate"
    ACTUAL_DAYS = "actual_days"

    @property
    def zh(self) -> str:
        return "按月利率（年利率÷12）" if self is PeriodInterest.MONTHLY_RATE else "按实际天数计息"


@dataclass(frozen=True, slots=True)
class Instalment:
    """One line of a repayment schedule (还款计划).

    ``total_fen = principal_fen + interest_fen``; ``closing = opening - principal``.
    ``start_date`` is the day interest of this period starts (the previous due date, the value
    date, or a prepayment date). ``deferred_interest_fen`` is the part of ``interest_fen`` that
    is interest deferred by a 延期还本付息 relief and spread over later instalments (0 otherwise).
    """

    seq: int
    due_date: date
    principal_fen: int
    interest_fen: int
    total_fen: int
    opening_balance_fen: int
    closing_balance_fen: int
    start_date: date
    deferred_interest_fen: int = 0

    @property
    def days(self) -> int:
        return (self.due_date - self.start_date).days


@dataclass(frozen=True, slots=True)
class Period:
    """An interest period: ``months`` whole months on the due-date grid, or ``None`` for a stub
    charged by actual days."""

    seq: int
    start_date: date
    due_date: date
    months: int | None


# --- dates ---------------------------------------------------------------------------------


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """``day`` plus ``months`` months on ``anchor_day`` (default ``day.day``), clipped to the end
    of the target month: ``add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)``."""
    index = day.year * MONTHS_PER_YEAR + day.month - 1 + months
    year, month0 = divmod(index, MONTHS_PER_YEAR)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(anchor_day or day.day, last))


def on_grid(day: date, anchor_day: int) -> bool:
    """Whether ``day`` is a due-date-grid day for loans anchored on ``anchor_day``."""
    return day.day == min(anchor_day, calendar.monthrange(day.year, day.month)[1])


def _month_index(day: date) -> int:
    return day.year * MONTHS_PER_YEAR + day.month - 1


def due_dates(start_date: date, term_months: int) -> list[date]:
    """The due dates of a ``term_months``-month loan started on ``start_date``."""
    return [add_months(start_date, k, start_date.day) for k in range(1, term_months + 1)]


def period_between(seq: int, start: date, due: date, anchor_day: int) -> Period:
    """The period from ``start`` to ``due``: whole months if both are on the grid, else a stub."""
    if due <= start:
        raise ValueError(f"period {seq}: due date {due} is not after its start {start}")
    if on_grid(start, anchor_day) and on_grid(due, anchor_day):
        return Period(seq, start, due, _month_index(due) - _month_index(start))
    return Period(seq, start, due, None)


# --- amounts -------------------------------------------------------------------------------

_ANNUITY = Context(prec=60, rounding=ROUND_HALF_UP)


def _check_terms(principal_fen: int, rate_bp: Rate, term_months: int) -> None:
    if isinstance(principal_fen, bool) or not isinstance(principal_fen, int):
        raise TypeError("principal_fen must be an int (fen)")
    if not isinstance(rate_bp, int | Decimal) or isinstance(rate_bp, bool):
        raise TypeError("rate_bp must be an int or a Decimal (basis points), never a float")
    if principal_fen <= 0:
        raise ValueError("principal_fen must be positive")
    if rate_bp < 0:
        raise ValueError("rate_bp must not be negative")
    if term_months < 1:
        raise ValueError("term_months must be at least 1")


def annuity_payment_fen(principal_fen: int, rate_bp: Rate, term_months: int) -> int:
    """The 等额本息 instalment ``P·i / (1 − (1 + i)^−n)`` with ``i = rate / 12``, rounded half
    up to the fen (``P / n`` at a zero rate). Computed in 60-digit Decimal."""
    _check_terms(principal_fen, rate_bp, term_months)
    if rate_bp == 0:
        return div_round_half_up(principal_fen, term_months)
    with localcontext(_ANNUITY):
        i = Decimal(rate_bp) / (BP_PER_UNIT * MONTHS_PER_YEAR)
        growth = (1 + i) ** term_months
        payment = Decimal(principal_fen) * i * growth / (growth - 1)
        return int(payment.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_interest_fen(
    opening_balance_fen: int,
    rate_bp: Rate,
    period: Period,
    interest_mode: PeriodInterest = PeriodInterest.MONTHLY_RATE,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """One period's interest on its opening balance, rounded half up once (see module doc)."""
    if interest_mode is PeriodInterest.ACTUAL_DAYS or period.months is None:
        return interest_fen(opening_balance_fen, rate_bp, period_days(period), basis)
    with localcontext(EXACT):
        exact = Decimal(opening_balance_fen) * Decimal(rate_bp) * period.months
    return div_round_half_up(exact, BP_PER_UNIT * MONTHS_PER_YEAR)


def period_days(period: Period) -> int:
    return (period.due_date - period.start_date).days


def split_evenly(total_fen: int, parts: int) -> list[int]:
    """Split ``total_fen`` into ``parts`` shares of ``total/parts`` rounded half up, the last
    share taking the rest (never negative; earlier shares are capped by what is left)."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    if total_fen < 0:
        raise ValueError("total_fen must not be negative")
    base = div_round_half_up(total_fen, parts)
    shares: list[int] = []
    left = total_fen
    for _ in range(parts - 1):
        share = min(base, left)
        shares.append(share)
        left -= share
    shares.append(left)
    return shares


def _fixed_parts(
    method: RepaymentMethod,
    balance_fen: int,
    rate_bp: Rate,
    count: int,
    payment_fen: int | None,
    principal_per_period_fen: int | None,
) -> tuple[int | None, int | None]:
    """``(payment_fen, principal_per_period_fen)``: what the method keeps fixed each period,
    derived from the balance and the number of periods unless given (等额本息: the payment,
    等额本金: the principal part)."""
    if method is RepaymentMethod.EQUAL_INSTALMENT and payment_fen is None:
        payment_fen = annuity_payment_fen(balance_fen, rate_bp, count) if balance_fen else 0
    if method is RepaymentMethod.EQUAL_PRINCIPAL and principal_per_period_fen is None:
        principal_per_period_fen = div_round_half_up(balance_fen, count)
    return payment_fen, principal_per_period_fen


def _principal_part(
    method: RepaymentMethod,
    balance_fen: int,
    interest_fen: int,
    payment_fen: int | None,
    principal_per_period_fen: int | None,
) -> int:
    """The principal repaid in a period that is not the last: what the payment leaves after the
    interest (等额本息), the fixed part (等额本金), nothing otherwise; never above the balance."""
    if method is RepaymentMethod.EQUAL_INSTALMENT:
        assert payment_fen is not None
        return min(balance_fen, max(0, payment_fen - interest_fen))
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        assert principal_per_period_fen is not None
        return min(balance_fen, principal_per_period_fen)
    return 0


def amortize(
    balance_fen: int,
    rate_bp: Rate,
    periods: Sequence[Period],
    method: RepaymentMethod,
    *,
    interest_mode: PeriodInterest = PeriodInterest.MONTHLY_RATE,
    basis: DayCountBasis = DayCountBasis.ACT_360,
    payment_fen: int | None = None,
    principal_per_period_fen: int | None = None,
    stop_when_repaid: bool = False,
) -> list[Instalment]:
    """Amortize ``balance_fen`` over ``periods`` — the engine behind every schedule and rebuild.

    ``payment_fen`` (等额本息) or ``principal_per_period_fen`` (等额本金) fix the instalment
    instead of deriving it from the balance and the number of periods; with
    ``stop_when_repaid`` the schedule ends as soon as the balance reaches 0 (shorter term).
    The last period always repays what is left.
    """
    if not periods:
        raise ValueError("no periods to amortize over")
    if balance_fen < 0:
        raise ValueError("balance_fen must not be negative")
    count = len(periods)
    payment_fen, principal_per_period_fen = _fixed_parts(
        method, balance_fen, rate_bp, count, payment_fen, principal_per_period_fen
    )
    out: list[Instalment] = []
    balance = balance_fen
    for index, period in enumerate(periods):
        interest = period_interest_fen(balance, rate_bp, period, interest_mode, basis)
        if index == count - 1:
            principal = balance
        else:
            principal = _principal_part(
                method, balance, interest, payment_fen, principal_per_period_fen
            )
        out.append(
            Instalment(
                seq=period.seq,
                due_date=period.due_date,
                principal_fen=principal,
                interest_fen=interest,
                total_fen=principal + interest,
                opening_balance_fen=balance,
                closing_balance_fen=balance - principal,
                start_date=period.start_date,
            )
        )
        balance -= principal
        if stop_when_repaid and balance == 0:
            break
    return out


def spread_deferred_interest(
    instalments: Sequence[Instalment], deferred_interest_fen: int
) -> list[Instalment]:
    """Add ``deferred_interest_fen`` to the instalments' interest in even shares
    (:func:`split_evenly`), recording each share in ``deferred_interest_fen``."""
    if deferred_interest_fen == 0:
        return list(instalments)
    if not instalments:
        raise ValueError("no instalments to carry the deferred interest")
    shares = split_evenly(deferred_interest_fen, len(instalments))
    return [
        replace(
            inst,
            interest_fen=inst.interest_fen + share,
            total_fen=inst.total_fen + share,
            deferred_interest_fen=inst.deferred_interest_fen + share,
        )
        for inst, share in zip(instalments, shares, strict=True)
    ]


def loan_periods(start_date: date, term_months: int, method: RepaymentMethod) -> list[Period]:
    """The periods of a new loan: one per month, or one spanning the term for ``BULLET``."""
    anchor = start_date.day
    if method is RepaymentMethod.BULLET:
        return [Period(1, start_date, add_months(start_date, term_months, anchor), term_months)]
    return [
        Period(k, add_months(start_date, k - 1, anchor), add_months(start_date, k, anchor), 1)
        for k in range(1, term_months + 1)
    ]


def move_to_working_days(
    periods: Sequence[Period], next_working: Callable[[date], date]
) -> list[Period]:
    """The product rule "next working day, interest to the actual date": a due date on a
    holiday or a weekend moves to ``next_working(due)``; a period whose start or end moved is
    charged by actual days (a stub), and the next period starts on the moved date. An adjusted
    working Saturday (调休) is a working day: its due date stays."""
    out: list[Period] = []
    start = periods[0].start_date if periods else None
    for period in periods:
        assert start is not None
        due = next_working(period.due_date)
        unchanged = due == period.due_date and start == period.start_date
        out.append(Period(period.seq, start, due, period.months if unchanged else None))
        start = due
    return out


def build_schedule(
    principal_fen: int,
    rate_bp: Rate,
    term_months: int,
    start_date: date,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENT,
    *,
    interest_mode: PeriodInterest = PeriodInterest.MONTHLY_RATE,
    basis: DayCountBasis = DayCountBasis.ACT_360,
    next_working: Callable[[date], date] | None = None,
) -> list[Instalment]:
    """The repayment schedule of a new instalment loan (see the module doc for conventions).

    ``principal_fen`` lent on ``start_date`` at ``rate_bp`` a year for ``term_months`` months.
    ``next_working``: the product moves due dates off holidays (:func:`move_to_working_days`).
    """
    _check_terms(principal_fen, rate_bp, term_months)
    periods = loan_periods(start_date, term_months, method)
    if next_working is not None:
        periods = move_to_working_days(periods, next_working)
    return amortize(
        principal_fen,
        rate_bp,
        periods,
        method,
        interest_mode=interest_mode,
        basis=basis,
    )
