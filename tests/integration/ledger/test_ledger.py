from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.core.db import make_session_factory, unit_of_work
from puhui.core.ids import new_id
from puhui.ledger import service as ledger
from puhui.ledger.errors import (
    AlreadyReversed,
    InsufficientFunds,
    InvalidPosting,
    UnbalancedEntry,
    UnknownAccountCode,
)
from puhui.ledger.service import AccountRef, Leg, bank, owned

D1 = date(2026, 11, 23)
D2 = date(2026, 11, 24)


def _fund(session: Session, clock: FixedClock, owner: str, fen: int) -> AccountRef:
    acct = owned("settlement", "enterprise", owner)
    ledger.post(
        session,
        clock,
        kind="deposit",
        business_date=D1,
        legs=[Leg.debit(bank("bank_clearing"), fen), Leg.credit(acct, fen)],
    )
    return acct


def test_balanced_entry_updates_balances(session: Session, clock: FixedClock) -> None:
    owner = str(new_id())
    acct = _fund(session, clock, owner, 100_000)
    loan = owned("loan_principal", "loan", owner)
    ledger.post(
        session,
        clock,
        kind="drawdown",
        business_date=D1,
        legs=[Leg.debit(loan, 50_000), Leg.credit(acct, 50_000)],
    )
    assert ledger.balance_fen(session, acct) == 150_000
    assert ledger.balance_fen(session, loan) == 50_000
    assert ledger.verify_cached_balances(session) == []


def test_refuses_unbalanced_negative_float_and_unknown(session: Session, clock: FixedClock) -> None:
    a, b = bank("bank_clearing"), bank("suspense")
    with pytest.raises(UnbalancedEntry):
        ledger.post(
            session, clock, kind="x", business_date=D1, legs=[Leg.debit(a, 100), Leg.credit(b, 99)]
        )
    with pytest.raises(InvalidPosting):
        ledger.post(
            session, clock, kind="x", business_date=D1, legs=[Leg.debit(a, -5), Leg.credit(b, -5)]
        )
    with pytest.raises(InvalidPosting):
        ledger.post(
            session, clock, kind="x", business_date=D1, legs=[Leg.debit(a, 1.5), Leg.credit(b, 1.5)]
        )  # type: ignore[arg-type]
    with pytest.raises(UnknownAccountCode):
        AccountRef("petty_cash")


def test_no_overdraft_and_caller_transaction_survives(session: Session, clock: FixedClock) -> None:
    owner = str(new_id())
    acct = _fund(session, clock, owner, 1_000)
    with pytest.raises(InsufficientFunds):
        ledger.post(
            session,
            clock,
            kind="repayment",
            business_date=D1,
            legs=[Leg.debit(acct, 1_001), Leg.credit(bank("bank_clearing"), 1_001)],
        )
    # The savepoint rolled back only the refused posting.
    assert ledger.balance_fen(session, acct) == 1_000
    ledger.post(
        session,
        clock,
        kind="repayment",
        business_date=D1,
        legs=[Leg.debit(acct, 1_000), Leg.credit(bank("bank_clearing"), 1_000)],
    )
    assert ledger.balance_fen(session, acct) == 0


def test_reversal_once_and_trial_balance_by_date(session: Session, clock: FixedClock) -> None:
    owner = str(new_id())
    acct = _fund(session, clock, owner, 5_000)
    loan = owned("loan_principal", "loan", owner)
    e = ledger.post(
        session,
        clock,
        kind="drawdown",
        business_date=D1,
        legs=[Leg.debit(loan, 2_000), Leg.credit(acct, 2_000)],
        source_id=owner,
    )
    ledger.reverse(session, clock, e.id, business_date=D2, memo="wrong amount")
    with pytest.raises(AlreadyReversed):
        ledger.reverse(session, clock, e.id, business_date=D2, memo="again")
    assert ledger.balance_fen(session, loan) == 0
    tb1 = ledger.trial_balance(session, D1)
    tb2 = ledger.trial_balance(session, D2)
    assert tb1.balanced and tb2.balanced
    row1 = {r.code: r for r in tb1.rows}
    row2 = {r.code: r for r in tb2.rows}
    assert row1["loan_principal"].debits_fen - row1["loan_principal"].credits_fen >= 2_000
    assert row2["loan_principal"].credits_fen - row1["loan_principal"].credits_fen == 2_000
    kinds = [p.kind for p in ledger.postings_for_source(session, [owner])]
    assert kinds.count("drawdown") == 2


def test_postings_are_append_only(session: Session, clock: FixedClock) -> None:
    _fund(session, clock, str(new_id()), 10)
    session.flush()
    for sql in ("UPDATE ledger_posting SET debit_fen = debit_fen + 1", "DELETE FROM ledger_entry"):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(sql))


def test_concurrent_debits_never_overdraw(pg_engine: Engine) -> None:
    """Twenty concurrent withdrawals of 100 from an account holding 1,000: exactly ten succeed."""
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(pg_engine)
    owner = f"conc-{new_id()}"
    acct = owned("settlement", "enterprise", owner)
    with unit_of_work(factory) as s:
        ledger.post(
            s,
            clock,
            kind="deposit",
            business_date=D1,
            legs=[Leg.debit(bank("bank_clearing"), 1_000), Leg.credit(acct, 1_000)],
        )
    ok: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(20)

    def withdraw(i: int) -> None:
        barrier.wait()
        try:
            with unit_of_work(factory) as s:
                ledger.post(
                    s,
                    clock,
                    kind="withdraw",
                    business_date=D1,
                    legs=[Leg.debit(acct, 100), Leg.credit(bank("bank_clearing"), 100)],
                )
            ok.append(i)
        except InsufficientFunds:
            refused.append(i)

    threads = [threading.Thread(target=withdraw, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        assert ledger.balance_fen(s, acct) == 0
        assert ledger.verify_cached_balances(s) == []
    assert len(ok) == 10 and len(refused) == 10


def test_an_account_created_in_a_rolled_back_savepoint_is_not_reused(
    session: Session, clock: FixedClock
) -> None:
    """The account-id cache forgets ids whose account a rollback removed (the lending simulation
    hit this: a step refused after creating an account, a later posting named it)."""
    owner = str(new_id())
    acct = _fund(session, clock, owner, 100_000)
    loan = owned("loan_principal", "loan", owner)
    try:
        with session.begin_nested():
            ledger.account_ids(session, clock, [loan])  # created, then rolled back
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    ledger.post(
        session,
        clock,
        kind="drawdown",
        business_date=D1,
        legs=[Leg.debit(loan, 50_000), Leg.credit(acct, 50_000)],
    )
    assert ledger.balance_fen(session, loan) == 50_000
    assert ledger.verify_cached_balances(session) == []
