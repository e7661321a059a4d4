"""Receivables on the demo's day on the rails (`puhui payments demo-day`): a core enterprise's
two certificates to a supplier, issued and accepted a month before the day; on the day the
supplier discounts one with the bank (the price paid out through the rails to its receivables
account) and the other matures and is paid, its clearing paid out through the rails too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.payments import service as payments
from puhui.receivables import service as receivables
from puhui.receivables.schemas import IssueRequest, LimitGrant

SUPPLIER_ACCOUNT = "6222020000000066"
FACE_FEN = 300_000_00


@dataclass(frozen=True)
class ReceivablesDay:
    discounted: str  # the certificate the supplier discounts on the day
    maturing: str  # the certificate that matures and is paid on the day


def set_up(
    session: Session,
    clock: FixedClock,
    rt: Runtime,
    core: uuid.UUID,
    supplier: uuid.UUID,
    account: Any,
    day: date,
) -> ReceivablesDay:
    """A month before `day`: limit, two certificates issued and accepted; the supplier chooses
    its verified account for receivables."""
    ledger_service.post(
        session,
        clock,
        kind="deposit",
        business_date=business_date(clock),
        legs=[
            Leg.debit(payments.BANK_CLEARING, 2 * FACE_FEN),
            Leg.credit(payments.settlement_account(core), 2 * FACE_FEN),
        ],
        memo="示范：核心企业备付资金",
    )
    risk = Principal(uuid.uuid4(), "demo-risk", "风险官（示范）", Role.RISK_OFFICER, frozenset())
    receivables.grant_limit(
        session,
        clock,
        rt.cipher,
        risk,
        LimitGrant(enterprise_id=core, limit_fen=10 * FACE_FEN, grade="AA", reason="示范授信"),
    )
    ids = []
    for k, maturity in enumerate((day + timedelta(days=60), day)):
        out = receivables.issue(
            session,
            clock,
            rt.cipher,
            None,
            IssueRequest(
                issuer_enterprise_id=core,
                supplier_enterprise_id=supplier,
                face_fen=FACE_FEN,
                maturity_date=maturity,
                contract_no=f"CG-DEMO-DAY-{k}",
                invoice_no=f"FP-33DEMODAY{k}",
                invoice_amount_fen=FACE_FEN,
            ),
        )
        assert out.certificate is not None
        receivables.accept(session, clock, rt.cipher, None, out.certificate.id)
        ids.append(out.certificate.id)
    payments.choose_receivables_account(session, clock, supplier, account.id)
    return ReceivablesDay(discounted=ids[0], maturing=ids[1])


def on_the_day(session: Session, clock: FixedClock, rt: Runtime, plan: ReceivablesDay) -> None:
    """The discount (its price paid out) and the maturity payment (its clearing paid out)."""
    receivables.finance(
        session, clock, rt.cipher, None, plan.discounted, idempotency_key="demo-day-discount"
    )
    receivables.pay(
        session, clock, rt.cipher, None, plan.maturing, idempotency_key="demo-day-maturity"
    )
