"""Receivables' discount payouts and clearing at maturity go through the rails: the money the
seller (or holder) receives in its settlement account goes on to the account it chose for
receivables as a pain.001, settled by the bank's camt.054; a returned payout gives the money
back to the settlement account and the discount or clearing stands. Books balanced throughout."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import assert_books
from tests.integration.payments.payments_factories import verified_account
from tests.integration.receivables.receivables_world import (
    at_day,
    make_world,
    settlement,
)

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.payments import service as payments
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail
from puhui.receivables import service as receivables
from puhui.receivables.models import CertificateRow
from puhui.receivables.state import discount_price

RETURNING = "6222000055550002"  # the tier-2 supplier's bank sends the clearing payout back


def _cycle(session: Session, clock: FixedClock, runtime: Runtime, rail: SandboxRail) -> None:
    for _ in range(3):
        payments.cycle(session, clock, runtime.cipher, rail)


def test_discount_proceeds_and_clearing_at_maturity_go_through_the_rails(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    world = make_world(session, clock, runtime.cipher)
    cipher = runtime.cipher
    t1_account = verified_account(
        session, clock, cipher, world.t1.id, "6222000055550001", world.t1.name
    )
    payments.choose_receivables_account(session, clock, world.t1.id, t1_account.id)
    t2_account = verified_account(session, clock, cipher, world.t2.id, RETURNING, world.t2.name)
    payments.choose_receivables_account(session, clock, world.t2.id, t2_account.id)
    rail = SandboxRail(SandboxBehaviour(return_accounts=frozenset({RETURNING})))

    cert = world.active(50_000_000, days=90)
    world.do(receivables.split, cert, [20_000_000, 30_000_000])
    a, b = f"{cert}-1", f"{cert}-2"
    world.do(receivables.transfer, a, world.t2.id)
    world.do(receivables.accept_transfer, a)
    t1_before = settlement(session, world.t1)
    with use_rail(rail):
        world.do(receivables.finance, b, idempotency_key="fin-b")
        price = discount_price(30_000_000, 320, 90)
        (proceeds,) = payments.payments_of(session, world.t1.id)
        assert (proceeds.source_type, proceeds.amount_fen) == ("receivables_finance", price)
        assert proceeds.status == "created" and proceeds.payout_account_id == t1_account.id
        assert settlement(session, world.t1) == t1_before  # held for the payout
        _cycle(session, clock, runtime, rail)
        assert proceeds.status == "settled"
        kinds = {m.message_type for m in payments.messages_for(session, proceeds.id)}
        assert {"pain.001.001.10", "camt.054.001.08"} <= kinds
        assert_books(session)

        row = session.get(CertificateRow, cert)
        assert row is not None
        at_day(clock, row.maturity_date)
        t2_before = settlement(session, world.t2)
        world.do(receivables.pay, cert, idempotency_key="pay-1")
        (clearing,) = payments.payments_of(session, world.t2.id)
        assert (clearing.source_type, clearing.amount_fen) == ("receivables_clear", 20_000_000)
        assert settlement(session, world.t2) == t2_before  # held for the payout
        _cycle(session, clock, runtime, rail)
        assert clearing.status == "returned"  # the bank sent it back: the money is the holder's
        assert settlement(session, world.t2) - t2_before == 20_000_000
        # the bank's own part (financed) is cleared in the books: no payout for it
        assert [p.source_type for p in payments.payments_of(session, world.t1.id)] == [
            "receivables_finance"
        ]
    assert payments.balance_of(session, payments.PAYOUT_CLEARING) == 0
    assert_books(session)


def test_order_financing_and_a_dealers_entrusted_payment_go_through_the_rails(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    """订单通's proceeds to the supplier and 分销通's entrusted payment to the core enterprise go
    on from their settlement accounts to the accounts they chose, as pain.001s settled by the
    bank; the books balance and the payout clearing account ends empty."""
    from datetime import timedelta

    from tests.integration.receivables.receivables_world import borrower

    from puhui.core.clock import business_date
    from puhui.receivables import dealers, orders
    from puhui.receivables.supply_schemas import (
        DealerDraw,
        DealerRecommend,
        OrderCreate,
        OrderFinance,
        ProgrammeCreate,
    )

    world = make_world(session, clock, runtime.cipher)
    cipher = runtime.cipher
    for ent, number in ((world.t1, "6222000055550011"), (world.core, "6222000055550012")):
        account = verified_account(session, clock, cipher, ent.id, number, ent.name)
        payments.choose_receivables_account(session, clock, ent.id, account.id)
    rail = SandboxRail(SandboxBehaviour())
    today = business_date(clock)
    with use_rail(rail):
        placed = orders.place_order(
            session, clock, cipher, None,
            OrderCreate(buyer_enterprise_id=world.core.id, supplier_enterprise_id=world.t1.id,
                        amount_fen=10_000_000, goods="钢材 steel",
                        delivery_date=today + timedelta(days=30),
                        maturity_date=today + timedelta(days=120)),
        )  # fmt: skip
        assert placed.item is not None
        order_id = placed.item.id
        orders.confirm_order(session, clock, cipher, None, order_id)
        t1_before = settlement(session, world.t1)
        orders.finance_order(
            session, clock, cipher, None, order_id, OrderFinance(amount_fen=7_000_000),
            idempotency_key="of-rails",
        )  # fmt: skip
        (proceeds,) = payments.payments_of(session, world.t1.id)
        assert proceeds.source_type == "order_finance" and proceeds.amount_fen > 0
        assert settlement(session, world.t1) == t1_before  # held for the payout

        programme = dealers.create_programme(
            session, clock, cipher,
            ProgrammeCreate(core_enterprise_id=world.core.id, limit_fen=10_000_000, mode="none"),
        ).item  # fmt: skip
        assert programme is not None
        dealers.recommend_dealer(
            session, clock, cipher, borrower(world.core), programme.id,
            DealerRecommend(dealer_enterprise_id=world.t2.id, limit_fen=6_000_000,
                            sales_fen=30_000_000),
        )  # fmt: skip
        core_before = settlement(session, world.core)
        dealers.draw(
            session, clock, cipher, borrower(world.t2), programme.id,
            DealerDraw(dealer_enterprise_id=world.t2.id, amount_fen=6_000_000,
                       maturity_date=today + timedelta(days=90)),
        )  # fmt: skip
        (entrusted,) = payments.payments_of(session, world.core.id)
        assert (entrusted.source_type, entrusted.amount_fen) == ("dealer_entrusted", 6_000_000)
        assert settlement(session, world.core) == core_before
        _cycle(session, clock, runtime, rail)
        assert proceeds.status == "settled" and entrusted.status == "settled"
        assert_books(session)
    assert payments.balance_of(session, payments.PAYOUT_CLEARING) == 0
