"""Dealer financing (分销通): the platform grants a core enterprise a programme limit (and
records whether the core enterprise guarantees or buys back its dealers' unsold goods); the
core enterprise recommends dealers with a per-dealer limit (no higher than the programme's)
and its sales to them; a dealer's purchase is financed with the money paid straight to the core
enterprise (entrusted payment, 受托支付), within both the dealer's and the programme's
available limit; the dealer repays at maturity, or — under a guarantee or buy-back — the core
enterprise after it. Every step a signed statement on the log (rules:
:mod:`puhui.receivables.supply_state`).

Entrusted payment is booked to the core enterprise's settlement account in the ledger and goes
on through the payment rails to the account the core enterprise chose for its supply-chain
money (`payments.service.pay_out_receivables`, a pain.001 settled by camt.054); without such an
account it stays in the settlement account.

Accounting (integer fen; no interest on drawdowns yet — the price is the face)
    draw    Dr receivable_financed(draw) amount / Cr settlement(core enterprise) amount
    repay   Dr settlement(dealer, or the core enterprise) amount / Cr receivable_financed(draw)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.ledger.service import Leg
from puhui.payments import service as payments_service
from puhui.receivables import accounts, supply_ops
from puhui.receivables.access import enterprise_party, receiver
from puhui.receivables.log import locked_log
from puhui.receivables.statements import business_date
from puhui.receivables.supply_schemas import (
    DealerDraw,
    DealerRecommend,
    ProgrammeCreate,
    SupplyOperationOut,
)


def create_programme(
    session: Session, clock: Clock, cipher: FieldCipher, data: ProgrammeCreate
) -> SupplyOperationOut:
    """The platform grants a core enterprise a dealer programme (staff)."""
    with locked_log(session, clock, cipher) as log:
        core = receiver(session, clock, data.core_enterprise_id)
        req = {"party": core.code, "limit_fen": data.limit_fen, "mode": data.mode}
        _, item = supply_ops.run(log, "programme", log.platform, req)
        return supply_ops.result(log, item)


def recommend_dealer(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    programme_id: str,
    data: DealerRecommend,
) -> SupplyOperationOut:
    """The core enterprise recommends a dealer with its limit in the programme."""
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "programme", programme_id)
        actor = supply_ops.actor_for(session, principal, row.party, row)
        dealer = receiver(session, clock, data.dealer_enterprise_id)
        req = {
            "programme": programme_id,
            "to": dealer.code,
            "limit_fen": data.limit_fen,
            "sales_fen": data.sales_fen,
        }
        _, item = supply_ops.run(log, "dealer", actor, req)
        return supply_ops.result(log, item)


def draw(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    programme_id: str,
    data: DealerDraw,
) -> SupplyOperationOut:
    """A dealer's purchase financed; the money goes to the core enterprise."""
    with locked_log(session, clock, cipher) as log:
        dealer = enterprise_party(session, clock, principal, data.dealer_enterprise_id)
        req = {
            "programme": programme_id,
            "amount_fen": data.amount_fen,
            "maturity_date": data.maturity_date.isoformat(),
        }
        stmt, item = supply_ops.run(log, "dealer_draw", dealer.code, req)
        assert item is not None
        core = log.enterprise_of(str(supply_ops.get_item(session, None, "draw", item).counterparty))
        log.post(
            "receivables.dealer_draw",
            business_date(stmt["at"]),
            [
                Leg.debit(supply_ops.financed("draw", item), data.amount_fen),
                Leg.credit(accounts.settlement(core), data.amount_fen),
            ],
            f"经销商融资 {item}：{data.amount_fen} 分受托支付给核心企业",
            "receivables_draw",
            item,
        )
        # entrusted payment: on through the rails to the core enterprise's chosen account
        payments_service.pay_out_receivables(
            session, clock, core, data.amount_fen, payments_service.DEALER_ENTRUSTED, item
        )
        return supply_ops.result(log, item)


def repay(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    draw_id: str,
    *,
    by_core: bool = False,
) -> SupplyOperationOut:
    """The dealer repays its drawdown; ``by_core``: the core enterprise does (a guarantee or
    buy-back, after maturity — the rules refuse it otherwise)."""
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "draw", draw_id)
        expected = str(row.counterparty) if by_core else row.party
        payer = supply_ops.actor_for(session, principal, expected, row)
        amount = row.amount_fen
        payer_id = log.enterprise_of(payer)
        supply_ops.require_balance(
            log, payer_id, amount, f"drawdown {draw_id} repayment", f"经销商融资 {draw_id} 还款"
        )
        stmt, _ = supply_ops.run(
            log, "dealer_repay", payer, {"draw": draw_id, "amount_fen": amount}
        )
        log.post(
            "receivables.dealer_repay",
            business_date(stmt["at"]),
            [
                Leg.debit(accounts.settlement(payer_id), amount),
                Leg.credit(supply_ops.financed("draw", draw_id), amount),
            ],
            f"经销商融资还款 {draw_id}：{amount} 分",
            "receivables_draw",
            draw_id,
        )
        return supply_ops.result(log, draw_id)
