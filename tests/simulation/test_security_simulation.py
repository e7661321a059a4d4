"""The lending simulation with guarantees and collateral (issue 17 items 3, 4): the bad-loan
world (borrowers who stop paying, write-offs) where lines get guarantees — proposed, the
guarantor's consent and pull, its code, its signature — and collateral that is revalued up and
down. After every step the books (`assert_books`), the bad-loan invariants and these:

* a guarantee's calls never claim more than its amount, each call at most its loan's claim;
* after an end of day, every loan written off or 90 days past due on a line with a binding
  guarantee has called it (exactly once per guarantee and loan);
* each collateral item's latest valuation row is its current valuation;
* every valuation that left a shortfall has raised risk's ``collateral_shortfall`` alert on
  the enterprise.

On a failure the message names the seed: rerun with it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.datahub.datahub_world import WorldFirm, register_world_firm
from tests.integration.lending.contracts.conftest import code_in
from tests.integration.lending.lending_factories import assert_books
from tests.simulation.test_bad_loan_simulation import BadWorld, check_bad_loans

from puhui.core import outbox
from puhui.core.auth import Principal, principal_of
from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import DomainError
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.lending import collateral, guarantees
from puhui.lending import service as lending
from puhui.lending.collateral_models import Collateral, CollateralValuation
from puhui.lending.collateral_rules import CollateralKind
from puhui.lending.guarantees_models import Guarantee, GuaranteeCall
from puhui.lending.guarantees_rules import BINDING, CALL_FROM_DPD, GuarantorKind
from puhui.lending.models import Loan, LoanStatus
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.payments.config import PaymentSettings
from puhui.risk import service as risk_service

SEEDS = [23]
STEPS = {"sqlite": 220, "postgresql": 90}


def check_security(session: Session, *, after_eod: bool) -> None:
    """The invariants of the module docstring."""
    calls = list(session.scalars(select(GuaranteeCall)))
    by_guarantee: dict[object, int] = {}
    for c in calls:
        assert 0 <= c.amount_fen <= c.claim_fen, c.reference
        by_guarantee[c.guarantee_id] = by_guarantee.get(c.guarantee_id, 0) + c.amount_fen
    binding = [s.value for s in BINDING]
    for g in session.scalars(select(Guarantee)):
        assert by_guarantee.get(g.id, 0) <= g.amount_fen, g.reference
        if after_eod and g.status in binding:
            due = session.scalars(
                select(Loan.id).where(
                    Loan.line_id == g.line_id,
                    (Loan.status == LoanStatus.WRITTEN_OFF.value)
                    | ((Loan.status == LoanStatus.ACTIVE.value) & (Loan.dpd >= CALL_FROM_DPD)),
                )
            ).all()
            called = {c.loan_id for c in calls if c.guarantee_id == g.id}
            assert set(due) <= called, f"{g.reference}: loans due a call were not called"
    for item in session.scalars(select(Collateral)):
        last = session.scalars(
            select(CollateralValuation)
            .where(CollateralValuation.collateral_id == item.id)
            .order_by(CollateralValuation.created_at.desc(), CollateralValuation.id.desc())
            .limit(1)
        ).one()
        assert (last.valuation_fen, last.haircut_bp, last.valued_date) == (
            item.valuation_fen, item.haircut_bp, item.valued_date,
        ), item.reference  # fmt: skip
        short = session.scalar(
            select(func.count()).select_from(CollateralValuation).where(
                CollateralValuation.collateral_id == item.id, CollateralValuation.shortfall_fen > 0
            )
        )  # fmt: skip
        if short:
            alerts = risk_service.list_alerts(
                session, open_only=False, enterprise_id=item.enterprise_id
            )
            assert any(a.signal_code == "collateral_shortfall" for a in alerts), item.reference


class SecurityWorld(BadWorld):
    def __init__(
        self, session: Session, clock: FixedClock, rng: random.Random, runtime: Runtime,
        guarantor: WorldFirm, signer: Principal, connectors: Connectors,
    ) -> None:  # fmt: skip
        super().__init__(session, clock, rng)
        self.runtime, self.guarantor, self.signer = runtime, guarantor, signer
        self.connectors = connectors

    def guarantee(self) -> str | None:
        line = self.line(self.rng.choice(self.lines))
        if guarantees.guarantees_of_line(self.session, line.id):
            return "has_one"
        amount = self.rng.randint(1, line.limit_fen // 1_000_000) * 1_000_000
        who = guarantees.GuarantorIn(GuarantorKind.ENTERPRISE, amount,
                                     enterprise_id=self.guarantor.enterprise_id)  # fmt: skip
        row = guarantees.propose(self.session, self.clock, None, line.id, who)
        cipher = self.runtime.cipher
        guarantees.check(self.session, self.clock, self.connectors, cipher, None, row.id)
        sent = guarantees.send_code(self.session, self.clock, cipher, None, row.id)
        message = self.session.get(OutboxMessage, sent.message_id)
        assert message is not None
        code = code_in(outbox.read_body(cipher, message))
        guarantees.sign(self.session, self.clock, cipher, self.signer, row.id, code, ip="sim")
        return None

    def collateral(self) -> None:
        line = self.line(self.rng.choice(self.lines))
        kind = self.rng.choice(list(CollateralKind))
        data = collateral.CollateralIn(
            kind, f"模拟押品 {kind.value}", self.rng.randint(10, 80) * 1_000_000,
            business_date(self.clock), asset_reference=f"SIM-{self.rng.randint(1, 10**6)}",
        )  # fmt: skip
        collateral.add_collateral(self.session, self.clock, None, line.id, data)

    def secure_lines(self) -> None:
        """A property on every secured line, so that its drawdowns can pass the LTV check."""
        for line_id in self.lines:
            line = self.line(line_id)
            if line.product_code == JINGYINGDAI:  # cover 70 % of the limit: 56 % drawable
                data = collateral.CollateralIn(CollateralKind.PROPERTY, "模拟厂房", line.limit_fen,
                                               business_date(self.clock))  # fmt: skip
                collateral.add_collateral(self.session, self.clock, None, line_id, data)

    def draw_secured(self) -> str | None:
        """A drawdown on a secured line within its LTV room (the borrower asks what it may)."""
        lines = [self.line(i) for i in self.lines]
        secured = [ln for ln in lines if ln.product_code == JINGYINGDAI]
        line = self.rng.choice(secured)
        position = collateral.line_position(self.session, line)
        room = min(
            line.available_fen,
            position.cover_fen * 8_000 // 10_000 - position.exposure_fen,
            PaymentSettings().entrusted_threshold_fen - 1,
        )  # paid to its own account
        low = lending.get_product(self.session, JINGYINGDAI).min_amount_fen
        if room < low:
            return "no_room"
        lending.draw(self.session, self.clock, line.id, self.rng.randint(low, room),
                     idempotency_key=self.key(), term_months=self.rng.choice([3, 6]),
                     repayment_method=RepaymentMethod.EQUAL_INSTALMENT)  # fmt: skip
        return None

    def revalue(self) -> str | None:
        items = list(self.session.scalars(select(Collateral).where(Collateral.status == "active")))
        secured = [c for c in items if self.line(c.line_id).product_code == JINGYINGDAI]
        if secured and self.rng.random() < 0.7:
            items = secured  # the secured lines' collateral is what can fall short
        if not items:
            return "none"
        item = self.rng.choice(items)
        factor = self.rng.choice([30, 50, 80, 110, 130])
        position = collateral.revalue(
            self.session, self.clock, None, item.id,
            valuation_fen=max(1, item.valuation_fen * factor // 100),
            valued_date=business_date(self.clock),
        )  # fmt: skip
        return "short" if position.short else None


def run(
    session: Session, clock: FixedClock, runtime: Runtime, seed: int, steps: int
) -> dict[str, int]:
    rng = random.Random(seed)
    guarantor = register_world_firm(session, runtime, 3)
    signer = principal_of(
        make_user(session, runtime, Role.BORROWER, enterprise_ids=[guarantor.enterprise_id])
    )
    connectors = Connectors(default=SandboxConnector.default())
    # 经营贷 is secured in this world: its drawdowns are checked against the collateral
    collateral.set_product_security(session, clock, JINGYINGDAI, secured=True, max_ltv_bp=8_000)
    world = SecurityWorld(session, clock, rng, runtime, guarantor, signer, connectors)
    actions: list[tuple[Callable[[], str | None], int]] = [
        (world.draw, 14), (world.deposit, 4), (world.spend, 8), (world.repay, 6),
        (world.next_day, 30), (world.idle_month, 6), (world.write_off, 6), (world.recover, 3),
        (world.guarantee, 5), (world.collateral, 4), (world.revalue, 8), (world.draw_secured, 5),
    ]  # fmt: skip
    funcs = [a for a, _ in actions]
    weights = [w for _, w in actions]

    def step(n: int, action: Callable[[], str | None]) -> None:
        name = action.__name__
        try:
            try:
                with session.begin_nested():
                    outcome = action()
                world.counts[f"{name}:{outcome}" if outcome else name] += 1
            except DomainError as refused:
                world.counts[f"{name}:{refused.code}"] += 1
            assert_books(session, full=n % 25 == 0)
            after_eod = name in ("next_day", "idle_month")
            check_bad_loans(session, after_eod=after_eod)
            check_security(session, after_eod=after_eod)
            session.expunge_all()
        except Exception as exc:
            raise AssertionError(
                f"security simulation failed: seed={seed} step={n} action={name} "
                f"business_date={business_date(clock)}: {exc!r}"
            ) from exc

    for action in (world.secure_lines, world.guarantee, world.guarantee, world.collateral):
        step(-1, action)
    for n in range(steps):
        step(n, rng.choices(funcs, weights)[0])
    n = steps  # end with unpaid stretches until a guarantee has been called
    while not session.scalar(select(func.count()).select_from(GuaranteeCall)) and n < steps + 12:
        step(n, world.idle_month)
        n += 1
    assert_books(session, full=True)
    world.counts["calls"] = session.scalar(select(func.count()).select_from(GuaranteeCall)) or 0
    return dict(world.counts)


@pytest.mark.parametrize("seed", SEEDS)
def test_security_simulation(
    session: Session, clock: FixedClock, runtime: Runtime, seed: int
) -> None:
    started = time.process_time()
    counts = run(session, clock, runtime, seed, STEPS[session.get_bind().dialect.name])
    print(f"seed {seed}: {counts} in {time.process_time() - started:.1f}s")
    assert counts.get("guarantee", 0) > 0 and counts["calls"] > 0
    assert counts.get("revalue:short", 0) > 0 and counts.get("collateral", 0) > 0
