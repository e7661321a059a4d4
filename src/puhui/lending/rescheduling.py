"""Rebuilding a schedule: partial prepayment (提前还款) and deferral (延期还本付息).

Both take the current schedule and ``paid_through_seq`` — the instalments 1..p that are fully
repaid — and return the rebuilt *unpaid* part only (sequence numbers continue from p + 1); the
paid lines stay as they are. Both need the loan's ``anchor_date`` (its start / value date),
whose day of month fixes every due date.

Prepayment (提前还本)
--------------------
* Made on ``prepayment_date`` inside the period of instalment p + 1 (from its start date,
  inclusive, to its due date, exclusive; by default on its start date, i.e. right after
  instalment p). Instalment p + 1 itself, once due, is paid normally first.
* Interest on the *old* balance from the period's start to the prepayment date is due with the
  prepayment (``interest_due_now_fen``, 利随本清, actual days). The first rebuilt period then
  runs from the prepayment date and, being a stub, is charged by actual days on the new balance.
* ``KEEP_TERM`` (期限不变、月供减少): the same due dates, the method re-applied to the new
  balance (a new, lower 等额本息 instalment; a new 等额本金 principal part).
* ``KEEP_INSTALMENT`` (月供不变、期限缩短): the same instalment (等额本息: the next unpaid
  instalment's amount without deferred interest; 等额本金: its principal part), paid until the
  balance is repaid; the last instalment is smaller. Meaningless for 先息后本 and bullet loans,
  which raise ``ValueError``.
* Repaying the whole balance returns no instalments; any deferred interest still outstanding
  is then due now as well (included in ``interest_due_now_fen``).

Deferral (延期还本付息)
----------------------
* Every unpaid instalment moves ``months`` months later (its start and due date; grid dates stay
  on the anchor day, so a 31st-anchored loan keeps month ends).
* The deferral window runs from the start of instalment p + 1's period for ``months`` months.
  Interest keeps running on the outstanding principal over the window (computed like a period:
  ``balance × rate × months / 12``, or actual days with ``ACTUAL_DAYS``): that is
  ``deferral_interest_fen``. No penalty interest is charged for the deferral.
* ``DeferralInterest.DEFERRED`` (default, the 2020 普惠小微 deferral practice — interest is
  deferred, not compounded, 不计复利): the principal schedule is rebuilt unchanged in shape and
  the deferral interest is spread evenly over the rebuilt instalments (shown in
  ``Instalment.deferred_interest_fen``; no interest is charged on it).
* ``DeferralInterest.CAPITALISED`` (利息资本化): the deferral interest is added to the principal
  and the schedule rebuilt on the larger balance, so it bears interest afterwards.
* Deferred interest already outstanding from an earlier deferral is spread again over the
  rebuilt instalments in either case (never dropped, never capitalised).
* ``next_working`` (the product's "next working day" rule): the shifted due dates are taken
  back to the grid (a date moved off a holiday earlier returns to its grid day) and moved
  again off holidays, interest to the actual date (``schedules.move_to_working_days``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from puhui.lending.interest import DayCountBasis, Rate, interest_between
from puhui.lending.schedules import (
    Instalment,
    Period,
    PeriodInterest,
    RepaymentMethod,
    add_months,
    amortize,
    move_to_working_days,
    on_grid,
    period_between,
    period_interest_fen,
    spread_deferred_interest,
)


class PrepaymentOption(StrEnum):
    KEEP_TERM = "keep_term"
    KEEP_INSTALMENT = "keep_instalment"

    @property
    def zh(self) -> str:
        return "期限不变，月供减少" if self is PrepaymentOption.KEEP_TERM else "月供不变，期限缩短"


class DeferralInterest(StrEnum):
    DEFERRED = "deferred"
    CAPITALISED = "capitalised"

    @property
    def zh(self) -> str:
        return "延期利息分摊至后续各期" if self is DeferralInterest.DEFERRED else "延期利息计入本金"


@dataclass(frozen=True, slots=True)
class PrepaymentResult:
    instalments: list[Instalment]
    """The rebuilt unpaid instalments (empty when the loan is repaid in full)."""
    interest_due_now_fen: int
    """Interest payable together with the prepayment (see module doc)."""
    balance_after_fen: int


@dataclass(frozen=True, slots=True)
class DeferralResult:
    instalments: list[Instalment]
    """The rebuilt unpaid instalments, shifted ``months`` later."""
    deferral_interest_fen: int
    """Interest over the deferral window (spread or capitalised)."""
    deferral_start_date: date
    deferral_end_date: date


def _unpaid(schedule: Sequence[Instalment], paid_through_seq: int) -> list[Instalment]:
    seqs = [inst.seq for inst in schedule]
    if not seqs or seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        raise ValueError("schedule must be a non-empty run of consecutive instalments")
    if not seqs[0] - 1 <= paid_through_seq < seqs[-1]:
        raise ValueError(f"paid_through_seq {paid_through_seq} leaves nothing unpaid / unknown")
    return [inst for inst in schedule if inst.seq > paid_through_seq]


def reschedule_after_prepayment(
    schedule: Sequence[Instalment],
    *,
    paid_through_seq: int,
    prepaid_principal_fen: int,
    rate_bp: Rate,
    method: RepaymentMethod,
    anchor_date: date,
    option: PrepaymentOption = PrepaymentOption.KEEP_TERM,
    prepayment_date: date | None = None,
    interest_mode: PeriodInterest = PeriodInterest.MONTHLY_RATE,
    basis: DayCountBasis = DayCountBasis.ACT_360,
    instalment_fen: int | None = None,
) -> PrepaymentResult:
    """Rebuild the unpaid schedule after a partial principal prepayment (see module doc).

    ``instalment_fen`` overrides the instalment kept by ``KEEP_INSTALMENT``.
    """
    unpaid = _unpaid(schedule, paid_through_seq)
    current = unpaid[0]
    old_balance = current.opening_balance_fen
    if not 0 < prepaid_principal_fen <= old_balance:
        raise ValueError(f"prepaid principal must be in (0, {old_balance}] fen")
    when = current.start_date if prepayment_date is None else prepayment_date
    if not current.start_date <= when < current.due_date:
        raise ValueError(
            f"prepayment date {when} is outside the current period "
            f"[{current.start_date}, {current.due_date})"
        )
    interest_now = interest_between(old_balance, rate_bp, current.start_date, when, basis)
    outstanding_deferred = sum(inst.deferred_interest_fen for inst in unpaid)
    new_balance = old_balance - prepaid_principal_fen
    if new_balance == 0:
        return PrepaymentResult([], interest_now + outstanding_deferred, 0)

    periods = _periods_from(unpaid, when, anchor_date.day)
    if option is PrepaymentOption.KEEP_TERM:
        rebuilt = amortize(
            new_balance, rate_bp, periods, method, interest_mode=interest_mode, basis=basis
        )
    else:
        rebuilt = _keep_instalment(
            new_balance,
            rate_bp,
            periods,
            method,
            current=current,
            instalment_fen=instalment_fen,
            interest_mode=interest_mode,
            basis=basis,
        )
    return PrepaymentResult(
        spread_deferred_interest(rebuilt, outstanding_deferred), interest_now, new_balance
    )


def _periods_from(unpaid: Sequence[Instalment], when: date, anchor_day: int) -> list[Period]:
    """The unpaid instalments' periods, the current one starting at ``when``: a stub charged by
    actual days when ``when`` is after its start."""
    current = unpaid[0]
    periods: list[Period] = []
    for inst in unpaid:
        if inst is current and when > current.start_date:  # a stub: charged by actual days
            periods.append(Period(inst.seq, when, inst.due_date, None))
        else:
            periods.append(period_between(inst.seq, inst.start_date, inst.due_date, anchor_day))
    return periods


def _keep_instalment(
    balance_fen: int,
    rate_bp: Rate,
    periods: Sequence[Period],
    method: RepaymentMethod,
    *,
    current: Instalment,
    instalment_fen: int | None,
    interest_mode: PeriodInterest,
    basis: DayCountBasis,
) -> list[Instalment]:
    """``KEEP_INSTALMENT``: the instalment stays (等额本息 the payment, without deferred
    interest; 等额本金 the principal part; or ``instalment_fen``) and the term shortens."""
    kept = instalment_fen
    if method is RepaymentMethod.EQUAL_INSTALMENT:
        if kept is None:
            kept = current.total_fen - current.deferred_interest_fen
        return amortize(
            balance_fen,
            rate_bp,
            periods,
            method,
            interest_mode=interest_mode,
            basis=basis,
            payment_fen=kept,
            stop_when_repaid=True,
        )
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        if kept is None:
            kept = current.principal_fen
        if kept <= 0:
            raise ValueError("the kept principal part must be positive")
        return amortize(
            balance_fen,
            rate_bp,
            periods,
            method,
            interest_mode=interest_mode,
            basis=basis,
            principal_per_period_fen=kept,
            stop_when_repaid=True,
        )
    raise ValueError(f"{method.zh} has no instalment to keep; use KEEP_TERM")


def _shift(day: date, months: int, anchor_day: int) -> date:
    return add_months(day, months, anchor_day if on_grid(day, anchor_day) else day.day)


def grid_on_or_before(day: date, anchor_day: int) -> date:
    """The grid day (``anchor_day``, clipped to the month's end) on or before ``day``: where a
    due date moved forward off a holiday (by less than a month) came from."""
    same_month = add_months(day, 0, anchor_day)
    return same_month if same_month <= day else add_months(day, -1, anchor_day)


def regrid_to_working_days(
    periods: Sequence[Period], anchor_day: int, next_working: Callable[[date], date]
) -> list[Period]:
    """Rebuilt periods under the product's holiday rule: each due date back on its grid day,
    then moved to the next working day (``move_to_working_days``: a moved period and the one
    after it are charged by actual days). The first period keeps its start."""
    if not periods:
        return []
    start = periods[0].start_date
    grid: list[Period] = []
    for period in periods:
        due = grid_on_or_before(period.due_date, anchor_day)
        if due <= start:  # a stub shorter than its moved start: keep the date as it is
            due = period.due_date
        grid.append(period_between(period.seq, start, due, anchor_day))
        start = due
    return move_to_working_days(grid, next_working)


def defer_schedule(
    schedule: Sequence[Instalment],
    *,
    paid_through_seq: int,
    months: int,
    rate_bp: Rate,
    method: RepaymentMethod,
    anchor_date: date,
    treatment: DeferralInterest = DeferralInterest.DEFERRED,
    interest_mode: PeriodInterest = PeriodInterest.MONTHLY_RATE,
    basis: DayCountBasis = DayCountBasis.ACT_360,
    next_working: Callable[[date], date] | None = None,
) -> DeferralResult:
    """Shift every unpaid instalment ``months`` months later and rebuild (see module doc).
    ``next_working``: the product's holiday rule for the shifted due dates."""
    if months < 1:
        raise ValueError("a deferral is at least one month")
    unpaid = _unpaid(schedule, paid_through_seq)
    anchor_day = anchor_date.day
    balance = unpaid[0].opening_balance_fen
    window_start = unpaid[0].start_date
    window_end = _shift(window_start, months, anchor_day)
    window = period_between(0, window_start, window_end, anchor_day)
    deferral_interest = period_interest_fen(balance, rate_bp, window, interest_mode, basis)
    periods = [
        period_between(
            inst.seq,
            _shift(inst.start_date, months, anchor_day),
            _shift(inst.due_date, months, anchor_day),
            anchor_day,
        )
        for inst in unpaid
    ]
    if next_working is not None:
        periods = regrid_to_working_days(periods, anchor_day, next_working)
    outstanding_deferred = sum(inst.deferred_interest_fen for inst in unpaid)
    if treatment is DeferralInterest.CAPITALISED:
        balance += deferral_interest
        to_spread = outstanding_deferred
    else:
        to_spread = outstanding_deferred + deferral_interest
    rebuilt = amortize(balance, rate_bp, periods, method, interest_mode=interest_mode, basis=basis)
    return DeferralResult(
        instalments=spread_deferred_interest(rebuilt, to_spread),
        deferral_interest_fen=deferral_interest,
        deferral_start_date=window_start,
        deferral_end_date=window_end,
    )
