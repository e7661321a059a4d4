"""Non-accrual (非应计贷款): interest and penalty of a loan long past due stop going to income.

The rule a finance reviewer should check
----------------------------------------
* **Entry.** A loan becomes non-accrual at the end of the day its days past due reach
  ``ClassificationThresholds.non_accrual_from_dpd`` (90 by default, ``PUHUI_NON_ACCRUAL_FROM_DPD``);
  ``lending_loan.non_accrual_since`` holds that date (:mod:`puhui.lending.eod_rules`, rule 6).
* **While non-accrual.** The borrower still owes contract interest, penalty and compound
  interest exactly as before: the loan's figures and its receivable accounts do not change.
  What changes is the credit side: the day's accrual (and any interest true-up at billing) is
  credited to the loan's *suspense* accounts (``interest_suspense`` / ``penalty_suspense``,
  contra accounts of the receivables: 应收利息暂挂) instead of ``interest_income`` /
  ``penalty_income``; so is a charge assessed on it (``fee_suspense`` instead of
  ``fee_income``: a monthly account fee, a late-payment fee). Receivable − suspense is what the
  bank still counts as earned.
* **Accrued-unpaid interest at entry.** By the bank's policy (``PUHUI_NON_ACCRUAL_REVERSE``):
  ``True`` (default, the prudent 冲回 rule) moves the whole receivable not yet in suspense —
  interest, penalty and charges — out of income into suspense on the day of entry (Dr income,
  Cr suspense); ``False`` leaves what was
  accrued before entry in income and only stops new income.
* **Cash received.** A repayment pays the receivables as usual; the suspense then holds at most
  what is still receivable (the newest part: oldest interest is paid first), and what it holds
  beyond that is recognised as income (Dr suspense, Cr income): cash-basis income on a
  non-accrual loan (:func:`settle`).
* **Cure.** A loan returns to accrual at the end of the day nothing is past due any more
  (dpd 0: every overdue instalment paid). What is still in its suspense (the current period's
  accrued, not yet due interest) is recognised as income that day.

Everything here is ledger postings beside the end of day; nothing changes a loan's figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from puhui.core.clock import Clock
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg

INTEREST_INCOME = ledger_service.bank("interest_income")
PENALTY_INCOME = ledger_service.bank("penalty_income")
FEE_INCOME = ledger_service.bank("fee_income")

# (receivable code, suspense code, income account)
_PAIRS = (
    ("interest_receivable", "interest_suspense", INTEREST_INCOME),
    ("penalty_receivable", "penalty_suspense", PENALTY_INCOME),
    ("fee_receivable", "fee_suspense", FEE_INCOME),
)


def interest_suspense(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("interest_suspense", "loan", loan_id)


def penalty_suspense(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("penalty_suspense", "loan", loan_id)


def fee_suspense(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("fee_suspense", "loan", loan_id)


def fee_income_or_suspense(loan_id: uuid.UUID, non_accrual_since: date | None) -> AccountRef:
    """Where a charge assessed on the loan is credited: fee income, or while the loan is
    non-accrual its fee suspense."""
    return FEE_INCOME if non_accrual_since is None else fee_suspense(loan_id)


def suspense_fen(session: Session, loan_id: uuid.UUID) -> int:
    """The loan's interest in suspense (0 when none)."""
    return ledger_service.balance_fen(session, interest_suspense(loan_id))


def true_up_legs(
    loan_id: uuid.UUID, receivable: AccountRef, amount_fen: int, suspense_fen: int
) -> list[Leg]:
    """Recognise (`amount > 0`) or take back (`< 0`) interest of a non-accrual loan: into its
    suspense; a take-back comes out of the suspense first, then (policy "keep": the part
    accrued before entry is in income) out of income."""
    if amount_fen > 0:
        return [
            Leg.debit(receivable, amount_fen),
            Leg.credit(interest_suspense(loan_id), amount_fen),
        ]
    if amount_fen < 0:
        back = -amount_fen
        from_suspense = min(back, max(0, suspense_fen))
        legs = [Leg.credit(receivable, back)]
        if from_suspense:
            legs.append(Leg.debit(interest_suspense(loan_id), from_suspense))
        if back - from_suspense:
            legs.append(Leg.debit(INTEREST_INCOME, back - from_suspense))
        return legs
    return []


def waiver_legs(
    session: Session,
    loan_id: uuid.UUID,
    receivable: AccountRef,
    fen: int,
    non_accrual_since: date | None,
) -> list[Leg]:
    """Penalty waived (a relief measure): out of the loan's penalty suspense first when the loan
    is non-accrual (it never was income), the rest out of penalty income."""
    return _waived(
        session, receivable, penalty_suspense(loan_id), PENALTY_INCOME, fen, non_accrual_since
    )


def fee_waiver_legs(
    session: Session,
    loan_id: uuid.UUID,
    receivable: AccountRef,
    fen: int,
    non_accrual_since: date | None,
) -> list[Leg]:
    """A charge waived: out of the loan's fee suspense first when the loan is non-accrual, the
    rest out of fee income."""
    return _waived(session, receivable, fee_suspense(loan_id), FEE_INCOME, fen, non_accrual_since)


def _waived(
    session: Session,
    receivable: AccountRef,
    suspense: AccountRef,
    income: AccountRef,
    fen: int,
    non_accrual_since: date | None,
) -> list[Leg]:
    from_suspense = 0
    if non_accrual_since is not None:
        from_suspense = min(fen, max(0, ledger_service.balance_fen(session, suspense)))
    legs = [Leg.credit(receivable, fen)]
    if from_suspense:
        legs.append(Leg.debit(suspense, from_suspense))
    if fen - from_suspense:
        legs.append(Leg.debit(income, fen - from_suspense))
    return legs


def _balances(session: Session, loan_ids: Sequence[uuid.UUID]) -> dict[str, dict[str, int]]:
    keys = [str(i) for i in loan_ids]
    codes = [code for pair in _PAIRS for code in pair[:2]]
    return {code: ledger_service.balances_by_owner(session, code, keys) for code in codes}


def _post_moves(
    session: Session,
    clock: Clock,
    day: date,
    moves: list[tuple[uuid.UUID, list[Leg]]],
    kind: str,
    memo: str,
) -> int:
    """One entry per loan (few: the loans entering or leaving non-accrual today)."""
    moves = [(loan_id, legs) for loan_id, legs in moves if legs]
    if not moves:
        return 0
    ids = ledger_service.account_ids(
        session, clock, [leg.account for _, legs in moves for leg in legs]
    )
    ledger_service.post_bulk(
        session,
        clock,
        [
            ledger_service.BulkEntry(
                kind=kind,
                business_date=day,
                legs=[(ids[leg.account], leg.debit_fen, leg.credit_fen) for leg in legs],
                memo=memo,
                source_type="loan",
                source_id=str(loan_id),
            )
            for loan_id, legs in moves
        ],
    )
    return sum(leg.debit_fen for _, legs in moves for leg in legs)


def post_transitions(
    session: Session,
    clock: Clock,
    day: date,
    entering: Sequence[uuid.UUID],
    cured: Sequence[uuid.UUID],
    *,
    reverse_accrued: bool = True,
) -> dict[str, int]:
    """The postings of the day's transitions (after the day's accrual is posted): loans
    `entering` non-accrual have their accrued-unpaid interest and penalty moved out of income
    into suspense (when `reverse_accrued`); `cured` loans have what is left in suspense
    recognised as income. Returns the fen moved each way."""
    out = {"non_accrual_reversed_fen": 0, "non_accrual_released_fen": 0}
    if entering and reverse_accrued:
        bal = _balances(session, entering)
        moves = []
        for loan_id in entering:
            key = str(loan_id)
            legs: list[Leg] = []
            for rec, sus, income in _PAIRS:
                fen = bal[rec].get(key, 0) - bal[sus].get(key, 0)
                if fen > 0:
                    suspense = ledger_service.owned(sus, "loan", loan_id)
                    legs += [Leg.debit(income, fen), Leg.credit(suspense, fen)]
            moves.append((loan_id, legs))
        out["non_accrual_reversed_fen"] = _post_moves(
            session, clock, day, moves, "non_accrual", f"转入非应计，应收未收利息冲回 {day}"
        )
    if cured:
        bal = _balances(session, cured)
        moves = []
        for loan_id in cured:
            legs = []
            for _, sus, income in _PAIRS:
                fen = bal[sus].get(str(loan_id), 0)
                if fen > 0:
                    suspense = ledger_service.owned(sus, "loan", loan_id)
                    legs += [Leg.debit(suspense, fen), Leg.credit(income, fen)]
            moves.append((loan_id, legs))
        out["non_accrual_released_fen"] = _post_moves(
            session, clock, day, moves, "accrual_resumed", f"恢复应计，暂挂利息转收入 {day}"
        )
    return out


def settle(session: Session, clock: Clock, loan_id: uuid.UUID, day: date) -> int:
    """After money reduced a non-accrual loan's receivables (a repayment, a waiver, a payoff):
    the suspense keeps at most what is still receivable, the rest becomes income (cash basis).
    Returns the fen recognised."""
    bal = _balances(session, [loan_id])
    key = str(loan_id)
    legs: list[Leg] = []
    for rec, sus, income in _PAIRS:
        suspense = bal[sus].get(key, 0)
        release = suspense - min(suspense, max(0, bal[rec].get(key, 0)))
        if release > 0:
            account = ledger_service.owned(sus, "loan", loan_id)
            legs += [Leg.debit(account, release), Leg.credit(income, release)]
    if not legs:
        return 0
    ledger_service.post(
        session,
        clock,
        kind="non_accrual_cash",
        business_date=day,
        legs=legs,
        memo=f"非应计贷款收回利息转收入 {day}",
        source_type="loan",
        source_id=loan_id,
    )
    return sum(leg.debit_fen for leg in legs)
