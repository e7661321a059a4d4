"""The lending simulation with servicing (issue 17): relief requests (deferrals and renewals
with a fresh decision, decided by officers with maker-checker), floating-rate loans repriced
by the end of day after LPR publications, restructurings (capitalised or deferred
interest), charges (at drawdown, monthly, late payment, prepayment) and their waivers, one
product under the holiday rule — the books checked after every step, like
`test_lending_simulation.py`, whose world and actions this reuses. On a failure the message
names the seed: rerun with it."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import assert_books
from tests.integration.lending.servicing_factories import decision_for
from tests.simulation.test_lending_simulation import World

from puhui.core.auth import Principal, principal_of
from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import charges
from puhui.lending.charges_models import LoanCharge
from puhui.lending.charges_rules import ChargeBasis, ChargeTerms, ChargeTrigger
from puhui.lending.models import Product
from puhui.lending.products import JINGYINGDAI, WEIYEDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing import pricing, restructuring
from puhui.lending.servicing import service as servicing

SEEDS = [7, 19]
STEPS = {"sqlite": 400, "postgresql": 120}
THRESHOLD = 20_000_000
CATALOGUE = (
    ChargeTerms("arrangement", "服务费", "Arrangement fee", ChargeTrigger.DRAWDOWN,
                ChargeBasis.PRINCIPAL, rate_bp=20, min_fen=5_000, max_fen=200_000),
    ChargeTerms("account", "账户管理费", "Account fee", ChargeTrigger.MONTHLY,
                ChargeBasis.BALANCE, rate_bp=2, max_fen=20_000),
    ChargeTerms("late", "逾期手续费", "Late-payment fee", ChargeTrigger.LATE_PAYMENT,
                ChargeBasis.OVERDUE, rate_bp=50, min_fen=1_000),
    ChargeTerms("early", "提前还款手续费", "Prepayment fee", ChargeTrigger.PREPAYMENT,
                ChargeBasis.PREPAID, rate_bp=30, min_fen=2_000, max_fen=100_000),
)  # fmt: skip


class ServicingWorld(World):
    def __init__(
        self, session: Session, clock: FixedClock, rng: random.Random, people: list[Principal]
    ) -> None:
        super().__init__(session, clock, rng)
        self.borrower, self.maker, self.checker = people
        for code in (WEIYEDAI, JINGYINGDAI, XIANXIHOUBEN):
            for terms in CATALOGUE:
                charges.set_product_charge(session, clock, code, terms)
        product = session.scalar(select(Product).where(Product.code == JINGYINGDAI))
        assert product is not None
        product.holiday_rule = "next_working_day"

    def waive(self) -> str | None:
        due = charges.due_charges(self.session, business_date(self.clock), limit=20)
        if not due:
            return None
        charge, _ = self.rng.choice(due)
        amount = self.rng.randint(1, charge.outstanding_fen)
        waiver = charges.propose_waiver(
            self.session, self.clock, self.maker, charge.id, amount, "模拟减免"
        )
        if self.rng.random() < 0.2:
            charges.reject_waiver(self.session, self.clock, self.checker, waiver.id)
            return "rejected"
        charges.approve_waiver(
            self.session, self.clock, self.checker, waiver.id, business_date(self.clock)
        )
        return "approved"

    def _borrower(self, enterprise_id) -> Principal:  # type: ignore[no-untyped-def]
        b = self.borrower
        return Principal(b.user_id, b.username, b.display_name, b.role, frozenset({enterprise_id}))

    def relief_request(self) -> str | None:
        loan = self.pick_loan()
        if loan is None:
            return None
        renewal = loan.maturity_date - business_date(self.clock) <= timedelta(days=30)
        kind = (
            servicing.ReliefRequestKind.RENEWAL if renewal else servicing.ReliefRequestKind.DEFERRAL
        )
        req = servicing.submit(
            self.session, self.clock, self._borrower(loan.enterprise_id), loan.id, kind=kind,
            months=loan.term_months if renewal else self.rng.randint(1, 3), reason="模拟纾困申请",
        )  # fmt: skip
        if renewal:
            fresh = decision_for(self.session, self.clock, loan.enterprise_id)
            servicing.attach_decision(
                self.session, req, application_id=fresh, decision_id=fresh, outcome="approve"
            )
        approve = self.rng.random() < 0.8
        out = servicing.decide(
            self.session, self.clock, self.maker, req.id, approve=approve, note="模拟",
            checker_above_fen=THRESHOLD,
        )  # fmt: skip
        if out.status == "awaiting_check":
            out = servicing.confirm(self.session, self.clock, self.checker, req.id, approve=True,
                                    note="模拟复核")  # fmt: skip
        return f"{kind.value}:{out.status}"

    def lpr(self) -> None:
        today = business_date(self.clock)
        row = pricing.enter_lpr(
            self.session, self.clock, self.maker, published_date=today, tenor="1y",
            rate_bp=self.rng.choice([300, 310, 320, 345]),
        )  # fmt: skip
        pricing.decide_lpr(self.session, self.clock, self.checker, row.id, approve=True)

    def float_loan(self) -> None:
        loan = self.pick_loan()
        if loan is None or loan.revolving:
            return
        pricing.make_floating(
            self.session, self.clock, loan.id, tenor="1y", spread_bp=self.rng.choice([50, 100]),
            frequency_months=1,
        )  # fmt: skip

    def restructure(self) -> None:
        loan = self.pick_loan()
        if loan is None:
            return
        product = self.session.get(type(loan), loan.id)
        assert product is not None
        method = RepaymentMethod(loan.repayment_method)
        row = restructuring.propose(
            self.session, self.clock, self.maker, loan.id, rate_bp=loan.rate_bp,
            term_months=loan.term_months, method=method,
            capitalise_interest=not loan.revolving and self.rng.random() < 0.5,
            reason="模拟重组",
        )  # fmt: skip
        restructuring.approve(self.session, self.clock, self.checker, row.id)


def run(
    session: Session, clock: FixedClock, seed: int, steps: int, people: list[Principal]
) -> Counter[str]:
    rng = random.Random(seed)
    world = ServicingWorld(session, clock, rng, people)
    actions: list[tuple[Callable[[], str | None], int]] = [
        (world.draw, 12), (world.deposit, 10), (world.spend, 6), (world.repay, 14),
        (world.relief_request, 4), (world.lpr, 1), (world.float_loan, 3),
        (world.restructure, 2), (world.prepay, 4), (world.waive, 2), (world.next_day, 28),
    ]  # fmt: skip
    funcs = [a for a, _ in actions]
    weights = [w for _, w in actions]
    for step in range(steps):
        action = rng.choices(funcs, weights)[0]
        name = action.__name__
        try:
            try:
                with session.begin_nested():
                    outcome = action()
                world.counts[f"{name}:{outcome}" if outcome else name] += 1
            except DomainError as refused:
                world.counts[f"{name}:{refused.code}"] += 1
            assert_books(session, full=step % 25 == 0)
            session.expunge_all()
        except Exception as exc:
            raise AssertionError(
                f"servicing simulation failed: seed={seed} step={step} action={name} "
                f"business_date={business_date(clock)}: {exc!r}"
            ) from exc
    assert_books(session, full=True)
    return world.counts


@pytest.mark.parametrize("seed", SEEDS)
def test_servicing_simulation(
    session: Session, clock: FixedClock, runtime: Runtime, seed: int
) -> None:
    people = [
        principal_of(make_user(session, runtime, role))
        for role in (Role.BORROWER, Role.CREDIT_OFFICER, Role.CREDIT_OFFICER)
    ]
    started = time.process_time()
    counts = run(session, clock, seed, STEPS[session.get_bind().dialect.name], people)
    print(f"seed {seed}: {dict(sorted(counts.items()))} in {time.process_time() - started:.1f}s")
    assert counts["next_day"] > 0
    assert any(k.startswith("relief_request:") for k in counts)
    assert session.scalar(select(func.count()).select_from(LoanCharge)) > 0
    if session.get_bind().dialect.name == "sqlite":  # long enough for a charge left unpaid
        assert counts["waive:approved"] > 0
