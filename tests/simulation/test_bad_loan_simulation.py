"""The lending simulation with bad loans (issue 14 item 5): borrowers who stop paying for long
stretches, so loans go past 90 days and become non-accrual, are provisioned by class at every
end of day, proposed and approved for write-off (two different people) and partly recovered
later. Reuses the lending simulation's world and actions; after every step the same books
(`assert_books`) plus the bad-loan invariants:

* a non-accrual loan's suspense never exceeds its receivable, an accruing loan has none;
* after an end of day each class's reserve is exactly rate × principal of its active loans;
* a written-off loan's off-balance claim equals its write-off's claim less what was recovered,
  and its contra account mirrors it (nothing created or lost off the balance sheet either).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import assert_books
from tests.simulation.test_lending_simulation import World

from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import DomainError
from puhui.ledger import service as ledger_service
from puhui.lending import provisions, writeoff
from puhui.lending import service as lending
from puhui.lending.bad_loan_models import WriteOff
from puhui.lending.classification import LoanClass
from puhui.lending.models import Loan, LoanStatus
from puhui.lending.provision_rules import DEFAULT_RATES, required_reserve_fen

SEEDS = [5, 61]
STEPS = {"sqlite": 300, "postgresql": 160}


def _balances(session: Session, code: str, owners: list[str]) -> dict[str, int]:
    return ledger_service.balances_by_owner(session, code, owners)


def check_bad_loans(session: Session, *, after_eod: bool) -> int:
    """The invariants of the module docstring; returns the number of non-accrual loans."""
    loans = list(session.scalars(select(Loan)))
    keys = [str(loan.id) for loan in loans]
    bal = {
        code: _balances(session, code, keys)
        for code in (
            "interest_receivable",
            "penalty_receivable",
            "interest_suspense",
            "penalty_suspense",
            "written_off_claim",
            "written_off_contra",
        )
    }
    for loan in loans:
        k = str(loan.id)
        for rec, sus in (
            ("interest_receivable", "interest_suspense"),
            ("penalty_receivable", "penalty_suspense"),
        ):
            held = bal[sus].get(k, 0)
            if loan.status == LoanStatus.ACTIVE and loan.non_accrual_since is not None:
                assert 0 <= held <= bal[rec].get(k, 0), f"{loan.reference}: {sus} {held}"
            else:
                assert held == 0, f"{loan.reference}: {sus} {held} while accruing"
    for w in session.scalars(select(WriteOff).where(WriteOff.status == "approved")):
        k = str(w.loan_id)
        claim = bal["written_off_claim"].get(k, 0)
        assert claim == w.claim_fen - w.recovered_fen == bal["written_off_contra"].get(k, 0)
    if after_eod:
        by_class = provisions.principal_by_class(session)
        held = provisions.reserve_by_class(session)
        for c in LoanClass:
            required = required_reserve_fen(by_class.get(c.value, 0), DEFAULT_RATES.rate_bp(c))
            assert held.get(c.value, 0) == required, f"reserve {c.value}"
    return sum(1 for x in loans if x.status == LoanStatus.ACTIVE and x.non_accrual_since)


class BadWorld(World):
    def idle_month(self) -> None:
        """A stretch of days with no payment at all (the borrowers in trouble)."""
        for _ in range(self.rng.randint(10, 40)):
            self.next_day()

    def write_off(self) -> str | None:
        bad = [
            loan for loan in self.active_loans() if LoanClass(loan.classification).is_non_performing
        ]
        if not bad:
            return "none"
        loan = self.rng.choice(bad)
        proposal = writeoff.propose(self.session, self.clock, loan.id, "模拟核销", maker="甲")
        if self.rng.random() < 0.2:
            lending.reject_write_off(self.session, self.clock, proposal.id, "", checker="乙")
            return "rejected"
        lending.approve_write_off(self.session, self.clock, proposal.id, "", checker="乙")
        return None

    def recover(self) -> str | None:
        done = [
            w
            for w in self.session.scalars(select(WriteOff).where(WriteOff.status == "approved"))
            if w.claim_fen > w.recovered_fen
        ]
        if not done:
            return "none"
        w = self.rng.choice(done)
        loan = self.session.get(Loan, w.loan_id)
        assert loan is not None
        amount = self.rng.randint(1, w.claim_fen - w.recovered_fen)
        lending.deposit(
            self.session, self.clock, loan.enterprise_id, amount, idempotency_key=self.key()
        )
        lending.recover_written_off(
            self.session, self.clock, w.id, amount, idempotency_key=self.key(), actor="乙"
        )
        return None


def run(session: Session, clock: FixedClock, seed: int, steps: int) -> dict[str, int]:
    rng = random.Random(seed)
    world = BadWorld(session, clock, rng)
    actions: list[tuple[Callable[[], str | None], int]] = [
        (world.draw, 14),
        (world.deposit, 4),
        (world.spend, 8),
        (world.repay, 6),
        (world.prepay, 2),
        (world.next_day, 30),
        (world.idle_month, 6),
        (world.write_off, 8),
        (world.recover, 5),
        (world.new_line, 2),
    ]
    funcs = [a for a, _ in actions]
    weights = [w for _, w in actions]

    def step(n: int, action: Callable[[], str | None]) -> None:
        name = action.__name__
        try:
            t0 = time.process_time()
            try:
                with session.begin_nested():
                    outcome = action()
                world.counts[f"{name}:{outcome}" if outcome else name] += 1
            except DomainError as refused:
                world.counts[f"{name}:{refused.code}"] += 1
            world.cpu_ms[name] += int((time.process_time() - t0) * 1000)
            assert_books(session, full=n % 25 == 0)
            after_eod = name in ("next_day", "idle_month")
            world.counts["non_accrual_loan_steps"] += check_bad_loans(session, after_eod=after_eod)
            session.expunge_all()
        except Exception as exc:
            raise AssertionError(
                f"bad-loan simulation failed: seed={seed} step={n} action={name} "
                f"business_date={business_date(clock)}: {exc!r}"
            ) from exc

    for n in range(steps):
        step(n, rng.choices(funcs, weights)[0])
    # a short run may not have met a bad loan at the right time: end with a stretch of unpaid
    # days, a write-off and a recovery, each checked like any step
    n = steps
    while not world.counts.get("write_off") and n < steps + 12:
        step(n, world.idle_month if n % 2 == 0 else world.write_off)
        n += 1
    if not world.counts.get("recover"):
        step(n, world.recover)
    assert_books(session, full=True)
    assert ledger_service.trial_balance(session, business_date(clock) + timedelta(days=1)).balanced
    return dict(world.counts)


@pytest.mark.parametrize("seed", SEEDS)
def test_bad_loan_simulation(session: Session, clock: FixedClock, seed: int) -> None:
    counts = run(session, clock, seed, STEPS[session.get_bind().dialect.name])
    print(f"seed {seed}: {dict(sorted(counts.items()))}")
    assert counts["non_accrual_loan_steps"] > 0, "no loan reached non-accrual: it proves nothing"
    assert counts.get("write_off", 0) > 0 and counts.get("recover", 0) > 0
