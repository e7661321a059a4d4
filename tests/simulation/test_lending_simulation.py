"""Seeded random runs of the lending core on a fixed clock, checking the books after every step.

Each run opens lines for a few enterprises and then takes random steps: drawdowns (some over the
available amount), deposits, repayments (some beyond the balance or with nothing due),
prepayments (both options), deferrals, renewals, freezes, and day advances (the end-of-day hook
`simulate_day`); and money through the sandbox rails (issue 16): drawdowns paid out to other
banks' accounts (some rejected, some returned after settlement: the drawdown reversed), direct-
debit collections under a mandate (some returned: the repayment reversed), the rails run,
and supply-chain receivables whose discount proceeds and clearing are paid out through them.
Every step runs in its own savepoint, like a request's unit of work: a refused
step (a DomainError) is rolled back. After every step: the cached ledger balances balance, no
no-overdraft account is negative, each line's used + available = limit (and used = the principal
outstanding on its revolving loans), each loan's ledger principal = the unpaid principal of its
schedule, and its interest / penalty receivables equal its accrued figures; every 25 steps and at
the end also the full trial balance and the cached balances against the postings.

On a failure the message names the seed, the step and the action: rerun with that seed.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    assert_books,
    at,
    make_enterprise,
    make_line,
)
from tests.integration.lending.servicing_factories import decision_for

from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.flows import payments as payment_flows
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import service as lending
from puhui.lending.models import CreditLine, LineStatus, Loan, LoanStatus
from puhui.lending.products import JINGYINGDAI, WEIYEDAI, XIANXIHOUBEN
from puhui.lending.rescheduling import PrepaymentOption
from puhui.lending.schedules import RepaymentMethod
from puhui.payments import accounts
from puhui.payments import service as payments
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail
from puhui.receivables import service as receivables
from puhui.receivables.errors import ReceivablesError
from puhui.receivables.models import CertificateRow, PartRow
from puhui.receivables.schemas import IssueRequest, LimitGrant

ENTERPRISES = 2
BANK = "102100099996"  # another bank: payouts and collections go through the sandbox rail
RAIL_RETURNS = "6222030000000077"  # its payments are returned after settlement
RAIL_REJECTS = "6222030000000088"  # its payments are rejected
SEEDS = [11, 23, 37, 41, 53, 67, 79, 97]
STEPS = {"sqlite": 1_000, "postgresql": 250}  # 8 × 1 000 + 8 × 250 = 10 000 steps in all
FULL_CHECK_EVERY = 25

LINES = (
    (WEIYEDAI, RepaymentMethod.INTEREST_FIRST, 12, 80_000_000),
    (JINGYINGDAI, RepaymentMethod.EQUAL_INSTALMENT, 12, 60_000_000),
    (XIANXIHOUBEN, RepaymentMethod.INTEREST_FIRST, 6, 40_000_000),
)
LINES_OF = ((0, 1), (0, 2))  # enterprise i gets the revolving line and one instalment product


class World:
    def __init__(
        self,
        session: Session,
        clock: FixedClock,
        rng: random.Random,
        cipher: FieldCipher | None = None,
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.clock = clock
        self.rng = rng
        self.enterprises = [
            make_enterprise(session, clock, f"模拟企业{i}号").id for i in range(ENTERPRISES)
        ]
        self.lines: list[uuid.UUID] = []
        for ent, which in zip(self.enterprises, LINES_OF, strict=True):
            for code, method, term, limit in (LINES[i] for i in which):
                self.lines.append(
                    make_line(
                        session,
                        clock,
                        ent,
                        product_code=code,
                        limit_fen=limit,
                        rate_bp=rng.choice([365, 435, 600, 1200]),
                        term_months=term,
                        method=method,
                        expiry_days=rng.randint(200, 500),
                    ).id
                )
        self.counts: Counter[str] = Counter()
        self.cpu_ms: Counter[str] = Counter()
        self.accounts: dict[uuid.UUID, list[uuid.UUID]] = {}
        for i, ent in enumerate(self.enterprises if cipher is not None else []):
            for number in (f"62220300000{i:02d}001", RAIL_RETURNS, RAIL_REJECTS):
                account = accounts.register_account(
                    session,
                    clock,
                    cipher,
                    ent,
                    accounts.AccountInput(f"模拟企业{i}号", number, BANK),
                )
                accounts.verify_by_name(
                    session, clock, cipher, account, accounts.SandboxNameCheck()
                )
                accounts.sign_mandate(session, clock, account)
                self.accounts.setdefault(ent, []).append(account.id)
            # receivables (issue 16): each firm issues certificates to the other; the money a
            # firm receives from them goes on through the rails to the account it chose
            payments.choose_receivables_account(session, clock, ent, rng.choice(self.accounts[ent]))
            receivables.grant_limit(
                session,
                clock,
                cipher,
                Principal(uuid.uuid4(), "sim-risk", "风险官", Role.RISK_OFFICER, frozenset()),
                LimitGrant(enterprise_id=ent, limit_fen=500_000_00, grade="AA", reason="模拟授信"),
            )

    # --- helpers ---------------------------------------------------------------------------

    def key(self) -> str:
        return f"sim-{uuid.UUID(int=self.rng.getrandbits(128))}"

    def active_loans(self) -> list[Loan]:
        return list(
            self.session.scalars(
                select(Loan)
                .where(
                    Loan.status == LoanStatus.ACTIVE.value,
                    Loan.enterprise_id.in_(self.enterprises),
                )
                .order_by(Loan.reference)
            )
        )

    def line(self, line_id: uuid.UUID) -> CreditLine:
        line = self.session.get(CreditLine, line_id)
        assert line is not None
        return line

    def pick_loan(self) -> Loan | None:
        loans = self.active_loans()
        return self.rng.choice(loans) if loans else None

    # --- actions ---------------------------------------------------------------------------

    def draw(self) -> str | None:
        line = self.line(self.rng.choice(self.lines))
        product = lending.get_product(self.session, line.product_code)
        if line.available_fen < line.limit_fen // 4 and self.rng.random() < 0.8:
            return "waited"  # the line is nearly used up: the borrower waits
        high = max(product.min_amount_fen, min(product.max_amount_fen, line.available_fen))
        amount = self.rng.randint(max(product.min_amount_fen, high // 2), high)
        if self.rng.random() < 0.1:
            amount = line.available_fen + self.rng.randint(1, 1_000_000)  # over the limit
        term = self.rng.choice(
            [t for t in (1, 2, 3, 4, 6, 9, 12) if product.min_term_months <= t <= line.term_months]
        )
        if self.rng.random() < 0.05:
            term = self.rng.randint(product.min_term_months, product.max_term_months + 2)
        method = RepaymentMethod(self.rng.choice(product.repayment_methods))
        lending.draw(
            self.session,
            self.clock,
            line.id,
            amount,
            idempotency_key=self.key(),
            term_months=term,
            repayment_method=method,
        )
        return None

    def deposit(self) -> None:
        ent = self.rng.choice(self.enterprises)
        amount = self.rng.randint(10_000, 6_000_000)
        lending.deposit(self.session, self.clock, ent, amount, idempotency_key=self.key())

    def spend(self) -> None:
        """The borrower pays its suppliers out of the settlement account (the drawn money)."""
        ent = self.rng.choice(self.enterprises)
        balance = lending.settlement_balance(self.session, ent)
        amount = balance * self.rng.randint(50, 100) // 100
        if amount > 0:
            ledger_service.post(
                self.session,
                self.clock,
                kind="withdrawal",
                business_date=business_date(self.clock),
                legs=[
                    Leg.debit(ledger_service.owned("settlement", "enterprise", ent), amount),
                    Leg.credit(ledger_service.bank("bank_clearing"), amount),
                ],
            )

    def repay(self) -> None:
        owing = [
            loan
            for loan in self.active_loans()
            if loan.overdue_principal_fen + loan.overdue_interest_fen + loan.penalty_accrued_fen
        ]
        loan = self.rng.choice(owing) if owing and self.rng.random() < 0.8 else self.pick_loan()
        if loan is None:
            return
        amount = self.rng.randint(1, 5_000_000)
        lending.repay(self.session, self.clock, loan.id, amount, idempotency_key=self.key())

    def prepay(self) -> None:
        loan = self.pick_loan()
        if loan is None:
            return
        if self.rng.random() < 0.3:
            amount = loan.principal_outstanding_fen + self.rng.randint(0, 2_000_000)  # pay off
        else:
            amount = self.rng.randint(1, max(1, loan.principal_outstanding_fen // 2))
        option = self.rng.choice(list(PrepaymentOption))
        lending.repay(
            self.session,
            self.clock,
            loan.id,
            amount,
            idempotency_key=self.key(),
            kind="prepayment",
            prepayment_option=option,
        )

    def defer(self) -> None:
        loan = self.pick_loan()
        if loan is None:
            return
        lending.defer(self.session, self.clock, loan.id, self.rng.randint(1, 3), "模拟延期")

    def renew(self) -> None:
        today = business_date(self.clock)
        due = [
            loan
            for loan in self.active_loans()
            if timedelta(0) <= loan.maturity_date - today <= timedelta(days=30)
        ]
        if not due:
            return
        loan = self.rng.choice(due)
        fresh = decision_for(self.session, self.clock, loan.enterprise_id)
        lending.renew_without_principal(self.session, self.clock, loan.id, decision_id=fresh)

    def risk(self) -> None:
        line = self.line(self.rng.choice(self.lines))
        if line.status == LineStatus.FROZEN:
            lending.unfreeze(self.session, self.clock, line.id, "模拟解冻")
        elif self.rng.random() < 0.3:
            lending.freeze(self.session, self.clock, line.id, "模拟冻结")
        elif self.rng.random() < 0.1:
            lending.close(self.session, self.clock, line.id, "模拟关闭")
        else:
            lending.change_limit(
                self.session,
                self.clock,
                line.id,
                line.limit_fen + self.rng.randint(-10_000_000, 10_000_000),
                "模拟调额",
            )

    def new_line(self) -> None:
        """A fresh approval for an enterprise whose line of a product has expired or closed."""
        spent = [
            line_id
            for line_id in self.lines
            if self.line(line_id).status in (LineStatus.EXPIRED, LineStatus.CLOSED)
        ]
        if not spent:
            return
        old = self.line(self.rng.choice(spent))
        code, method, term, limit = next(spec for spec in LINES if spec[0] == old.product_code)
        self.lines.remove(old.id)
        self.lines.append(
            make_line(
                self.session,
                self.clock,
                old.enterprise_id,
                product_code=code,
                limit_fen=limit,
                rate_bp=old.rate_bp,
                term_months=term,
                method=method,
                expiry_days=self.rng.randint(200, 500),
            ).id
        )

    def payout(self) -> str | None:
        """A drawdown paid out through the rails to one of the enterprise's accounts."""
        line = self.line(self.rng.choice(self.lines))
        product = lending.get_product(self.session, line.product_code)
        high = min(product.max_amount_fen, max(line.available_fen, product.min_amount_fen))
        lending.draw(
            self.session,
            self.clock,
            line.id,
            self.rng.randint(product.min_amount_fen, high),
            idempotency_key=self.key(),
            payout_account_id=self.rng.choice(self.accounts[line.enterprise_id]),
        )
        return None

    def collect(self) -> str | None:
        """A direct debit (pain.008) for what a loan owes, or part of it."""
        owing = [loan for loan in self.active_loans() if lending.amount_due(self.session, loan.id)]
        if not owing:
            return "nothing_due"
        loan = self.rng.choice(owing)
        due = lending.amount_due(self.session, loan.id)
        payment_flows.request_collection(
            self.session,
            self.clock,
            loan.id,
            self.rng.choice(self.accounts[loan.enterprise_id]),
            self.rng.randint(1, due),
            self.key(),
        )
        return None

    def receivables(self) -> str | None:
        """A matured certificate paid (its parts cleared), a supplier's part discounted, or a
        certificate issued and accepted; the money a firm receives is paid on through the
        rails to its receivables account (some of which return or reject)."""
        s, today = self.session, business_date(self.clock)
        matured = s.scalars(
            select(CertificateRow)
            .where(CertificateRow.status == "active", CertificateRow.maturity_date <= today)
            .order_by(CertificateRow.id)
        ).first()
        if matured is not None and self.rng.random() < 0.7:
            receivables.pay(
                s, self.clock, self.cipher, None, matured.id, idempotency_key=self.key()
            )
            return "pay"
        held = list(
            s.scalars(
                select(PartRow)
                .join(CertificateRow, PartRow.cert == CertificateRow.id)
                .where(
                    PartRow.status == "held",
                    PartRow.holder == CertificateRow.supplier,
                    CertificateRow.status == "active",
                    CertificateRow.maturity_date > today,
                )
                .order_by(PartRow.id)
            )
        )
        if held and self.rng.random() < 0.5:
            part = self.rng.choice(held)
            receivables.finance(
                s, self.clock, self.cipher, None, part.id, idempotency_key=self.key()
            )
            return "finance"
        issuer, supplier = self.rng.sample(self.enterprises, 2)
        face = self.rng.randint(10_000, 200_000) * 100
        out = receivables.issue(
            s,
            self.clock,
            self.cipher,
            None,
            IssueRequest(
                issuer_enterprise_id=issuer,
                supplier_enterprise_id=supplier,
                face_fen=face,
                maturity_date=today + timedelta(days=self.rng.randint(20, 90)),
                contract_no=f"HT-{self.key()[-8:]}",
                invoice_no=f"INV-{self.key()[-12:]}",
                invoice_amount_fen=face,
            ),
        )
        assert out.certificate is not None
        receivables.accept(s, self.clock, self.cipher, None, out.certificate.id)
        return "issue"

    def rails(self) -> str | None:
        assert self.cipher is not None
        result = payments.cycle(self.session, self.clock, self.cipher)
        for status, count in result.changed.items():
            self.counts[f"payment_{status}"] += count
        return None

    def next_day(self) -> None:
        today = business_date(self.clock)
        result = lending.simulate_day(self.session, self.clock, today)
        self.counts["penalty_fen"] += result.penalty_fen + result.compound_fen
        max_dpd = self.session.scalar(select(func.max(Loan.dpd))) or 0
        self.counts["loan_days"] += (
            self.session.scalar(select(func.count()).where(Loan.status == LoanStatus.ACTIVE.value))
            or 0
        )
        self.counts["max_dpd"] = max(self.counts["max_dpd"], max_dpd)
        at(self.clock, today + timedelta(days=1), hour=self.rng.randint(1, 22))
        if today.day == 1:
            lending.auto_limit_increase(self.session, self.clock, today)


def run(
    session: Session, clock: FixedClock, seed: int, steps: int, cipher: FieldCipher | None = None
) -> Counter[str]:
    """`cipher` given: money also goes through the sandbox rails (payout, collect, rails)."""
    rng = random.Random(seed)
    world = World(session, clock, rng, cipher)
    actions: list[tuple[Callable[[], str | None], int]] = [
        (world.draw, 12),
        (world.deposit, 10),
        (world.spend, 6),
        (world.repay, 14),
        (world.prepay, 9),
        (world.defer, 2),
        (world.renew, 3),
        (world.risk, 2),
        (world.new_line, 2),
        (world.next_day, 28),
    ]
    if cipher is not None:
        actions += [(world.payout, 4), (world.collect, 3), (world.rails, 5)]
        actions += [(world.receivables, 3)]
    funcs = [a for a, _ in actions]
    weights = [w for _, w in actions]
    for step in range(steps):
        action = rng.choices(funcs, weights)[0]
        name = action.__name__
        t0 = time.process_time()
        try:
            try:
                with session.begin_nested():
                    outcome = action()
                world.counts[f"{name}:{outcome}" if outcome else name] += 1
            except (DomainError, ReceivablesError) as refused:
                world.counts[f"{name}:{refused.code}"] += 1
            t1 = time.process_time()
            assert_books(session, full=step % FULL_CHECK_EVERY == 0)
            session.expunge_all()  # the next step is another unit of work
            world.cpu_ms[name] += int((t1 - t0) * 1000)
            world.cpu_ms["assert_books"] += int((time.process_time() - t1) * 1000)
        except Exception as exc:
            raise AssertionError(
                f"lending simulation failed: seed={seed} step={step} action={name} "
                f"business_date={business_date(clock)}: {exc!r}"
            ) from exc
    assert_books(session, full=True)
    print(f"cpu ms by action: {dict(world.cpu_ms.most_common())}")
    return world.counts


@pytest.mark.parametrize("seed", SEEDS)
def test_lending_simulation(
    session: Session, clock: FixedClock, runtime: Runtime, seed: int
) -> None:
    steps = STEPS[session.get_bind().dialect.name]
    rail = SandboxRail(
        SandboxBehaviour(
            return_accounts=frozenset({RAIL_RETURNS}), reject_accounts=frozenset({RAIL_REJECTS})
        )
    )
    with use_rail(rail):
        counts = run(session, clock, seed, steps, runtime.cipher)
    print(f"seed {seed}: {dict(sorted(counts.items()))}")
    assert counts["draw"] > 0 and counts["next_day"] > 0
