"""A small supply chain in the database for the receivables tests: a core enterprise with a
limit and money in its settlement account, a tier-1 supplier and two tier-2 suppliers."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date, shanghai_midnight_utc
from puhui.core.codes import org_code_check_char, uscc_check_char
from puhui.core.crypto import FieldCipher
from puhui.core.models import Role
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.parties import service as parties_service
from puhui.parties.models import Enterprise, SizeClass
from puhui.parties.schemas import EnterpriseCreate
from puhui.receivables import service
from puhui.receivables.models import LogHead
from puhui.receivables.schemas import IssueRequest, LimitGrant, OperationOut

FACE = 50_000_000  # 50 万元
LIMIT = 100_000_000  # 100 万元


def random_uscc(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    head = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = head + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def make_enterprise(session: Session, clock: FixedClock, name: str) -> Enterprise:
    return parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name=name,
            uscc=random_uscc(),
            industry_section="C",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=500_000_000,
            established_date=date(2015, 6, 1),
            size_class=SizeClass.SMALL,
        ),
    )


def at_day(clock: FixedClock, day: date, hour: int = 10) -> None:
    """Move the clock to ``hour`` o'clock Shanghai time on business date ``day``."""
    clock.set(shanghai_midnight_utc(day) + timedelta(hours=hour))


def borrower(*enterprises: Enterprise) -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        username="b-" + uuid.uuid4().hex[:6],
        display_name="企业用户",
        role=Role.BORROWER,
        enterprise_ids=frozenset(e.id for e in enterprises),
    )


def staff(role: Role = Role.ADMIN) -> Principal:
    return Principal(uuid.uuid4(), "staff-" + uuid.uuid4().hex[:6], "员工", role, frozenset())


def deposit(session: Session, clock: FixedClock, enterprise: Enterprise, fen: int) -> None:
    ledger_service.post(
        session,
        clock,
        kind="deposit",
        business_date=business_date(clock),
        legs=[
            Leg.debit(ledger_service.bank("bank_clearing"), fen),
            Leg.credit(ledger_service.owned("settlement", "enterprise", enterprise.id), fen),
        ],
    )


def settlement(session: Session, enterprise: Enterprise) -> int:
    return ledger_service.balance_fen(
        session, ledger_service.owned("settlement", "enterprise", enterprise.id)
    )


def log_size(session: Session) -> int:
    session.expire_all()
    head = session.get(LogHead, 1)
    assert head is not None
    return head.size


def balanced(session: Session, clock: FixedClock) -> bool:
    return ledger_service.trial_balance(
        session, business_date(clock) + timedelta(days=400)
    ).balanced


@dataclass
class World:
    session: Session
    clock: FixedClock
    cipher: FieldCipher
    core: Enterprise
    t1: Enterprise
    t2: Enterprise
    t2b: Enterprise
    invoices: int = 0

    def issue(
        self,
        face: int = FACE,
        *,
        days: int = 90,
        invoice: str | None = None,
        invoice_amount: int | None = None,
        supplier: Enterprise | None = None,
        principal: Principal | None = None,
    ) -> OperationOut:
        self.invoices += 1
        return service.issue(
            self.session,
            self.clock,
            self.cipher,
            principal,
            IssueRequest(
                issuer_enterprise_id=self.core.id,
                supplier_enterprise_id=(supplier or self.t1).id,
                face_fen=face,
                maturity_date=business_date(self.clock) + timedelta(days=days),
                contract_no=f"HT-{uuid.uuid4().hex[:8]}",
                invoice_no=invoice or f"INV-{uuid.uuid4().hex[:12]}",
                invoice_amount_fen=invoice_amount or face,
            ),
        )

    def active(self, face: int = FACE, **kwargs: Any) -> str:
        """An issued and accepted certificate; returns its id (= its root part)."""
        cert_id = self.issue(face, **kwargs).certificate.id  # type: ignore[union-attr]
        service.accept(self.session, self.clock, self.cipher, None, cert_id)
        return cert_id

    def do(self, fn: Any, *args: Any, **kwargs: Any) -> OperationOut:
        out: OperationOut = fn(self.session, self.clock, self.cipher, None, *args, **kwargs)
        return out


def make_world(
    session: Session,
    clock: FixedClock,
    cipher: FieldCipher,
    *,
    limit: int = LIMIT,
    grade: str = "AA",
    core_cash: int = 200_000_000,
) -> World:
    tag = uuid.uuid4().hex[:6]
    core = make_enterprise(session, clock, f"核心制造集团{tag}")
    t1 = make_enterprise(session, clock, f"一级钢材供应{tag}")
    t2 = make_enterprise(session, clock, f"二级螺栓加工{tag}")
    t2b = make_enterprise(session, clock, f"二级涂料{tag}")
    if core_cash:
        deposit(session, clock, core, core_cash)
    service.grant_limit(
        session,
        clock,
        cipher,
        staff(Role.RISK_OFFICER),
        LimitGrant(
            enterprise_id=core.id, limit_fen=limit, grade=grade, reason="年度供应链授信审批"
        ),
    )
    return World(session, clock, cipher, core, t1, t2, t2b)


def party_code(session: Session, enterprise: Enterprise) -> str:
    from puhui.receivables.models import Party

    code = session.scalar(select(Party.code).where(Party.enterprise_id == enterprise.id))
    assert code is not None
    return code
