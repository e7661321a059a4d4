"""The demo's supply chain (供应链应收款): two core enterprises, their suppliers and nine
certificates over the demo's days, made by the receivables services only.

A heavy-machinery group (grade AA, cash to spare) and a construction group (grade A, short of
cash) get a supply-chain limit from a risk officer. Their certificates go to tier-1 suppliers
— the demo's own ``borrower`` (杭州示例精密机械, so a borrower login sees some under
``/m/receivables``) and two firms of the demo portfolio that drew on their lines — which accept
them, split them, pass parts on to tier-2 suppliers (other portfolio firms) and discount some
with the bank. The receivables day job runs after the lending end of day for every business
day: one certificate matures and is paid by auto-debit and cleared to its two holders, one of
the construction group's goes overdue (signed ``overdue``, early-warning signal, penalty), and
a signed checkpoint covers each day's operations.

The plan is fixed (no randomness); only the dates follow the demo's clock. Operations happen at
10:00 Shanghai time a few minutes apart and the day job at 23:30, after the lending end of day,
so the statements' times never go backwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, auth
from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date, shanghai_midnight_utc
from puhui.core.codes import org_code_check_char, uscc_check_char
from puhui.core.db import unit_of_work
from puhui.core.models import User
from puhui.lending import service as lending
from puhui.parties import service as parties
from puhui.parties.schemas import EnterpriseCreate, SizeClass
from puhui.receivables import eod as receivables_eod
from puhui.receivables import service as receivables
from puhui.receivables.schemas import IssueRequest, LimitGrant, PartOut

WAN = 1_000_000  # 1 万元 in fen


@dataclass(frozen=True)
class Core:
    name: str
    org_code: str  # the 8-character body of its organization code (the USCC is derived)
    industry_section: str
    grade: str
    limit_wan: int
    cash_wan: int  # deposited in its settlement account on the first day


CORES = (
    Core("浙江示例重工集团有限公司", "79965511", "C", "AA", 3000, 800),
    Core("杭州示例建工集团有限公司", "79965512", "E", "A", 1500, 30),
)

Step = tuple[int, str, Any]  # (days after issue, operation, argument)


@dataclass(frozen=True)
class Cert:
    """One certificate's life. Suppliers: ``S`` the demo borrower's firm, ``B1``/``B2`` demo
    portfolio borrowers (tier 1), ``T1``..``T4`` other portfolio firms (tier 2). Parts are
    named by their amount in 万元 (unique among a certificate's live parts)."""

    core: int
    supplier: str
    face_wan: int
    day: int  # issue day, counted from the demo's first business day
    term_days: int
    steps: tuple[Step, ...] = ()


PLAN = (
    Cert(
        0,
        "S",
        200,
        0,
        90,
        (
            (0, "accept", None),
            (2, "split", (120, 80)),
            (3, "transfer", (80, "T1")),
            (4, "accept_transfer", 80),
            (6, "finance", 120),
        ),
    ),
    Cert(  # matures on day 15: paid by auto-debit, cleared to B1 and T2
        0,
        "B1",
        50,
        1,
        14,
        (
            (0, "accept", None),
            (2, "split", (30, 20)),
            (3, "transfer", (20, "T2")),
            (4, "accept_transfer", 20),
        ),
    ),
    Cert(  # matures on day 24, the construction group cannot pay: overdue from day 25
        1,
        "B2",
        100,
        3,
        21,
        (
            (0, "accept", None),
            (2, "split", (60, 40)),
            (3, "transfer", (40, "T4")),
            (4, "accept_transfer", 40),
        ),
    ),
    Cert(
        0,
        "B1",
        150,
        5,
        120,
        (
            (1, "accept", None),
            (3, "transfer", (150, "T3")),
            (4, "accept_transfer", 150),
            (7, "finance", 150),
        ),
    ),
    Cert(1, "B2", 120, 9, 180, ((0, "accept", None), (2, "finance", 120))),
    Cert(0, "S", 80, 10, 60, ((0, "accept", None),)),
    Cert(
        0,
        "B2",
        90,
        16,
        75,
        (
            (1, "accept", None),
            (2, "split", (50, 40)),
            (4, "transfer", (40, "T1")),
            (5, "accept_transfer", 40),
        ),
    ),
    Cert(1, "S", 60, 20, 90, ((1, "accept", None),)),
    Cert(0, "B1", 40, 27, 60),  # left pending: the supplier has not accepted it yet (待签收)
)


def core_uscc(core: Core) -> str:
    first17 = "91330100" + core.org_code + org_code_check_char(core.org_code)
    return first17 + uscc_check_char(first17)


class SupplyChain:
    """Drives :data:`PLAN` from the demo's day loop: :meth:`morning` before the lending work of
    a day, :meth:`evening` after its end of day."""

    def __init__(self, rt: Any, users: dict[str, uuid.UUID], borrower_lines: list[uuid.UUID]):
        self.rt = rt
        self.users = users
        self.borrower_lines = borrower_lines
        self.first: date | None = None
        self.clock = FixedClock(shanghai_midnight_utc(date(2000, 1, 1)))
        self.cores: list[uuid.UUID] = []
        self.firms: dict[str, uuid.UUID] = {}
        self.cert_ids: dict[int, str] = {}
        self.codes: dict[str, uuid.UUID] = {}  # party code (USCC) → enterprise
        self.borrower: Principal | None = None
        self.staff: Principal | None = None

    # -- the day loop -----------------------------------------------------------------------

    def morning(self, day: date) -> None:
        if self.first is None:
            self.first = day
            self._at(day, 9)
            with unit_of_work(self.rt.session_factory) as session:
                if not self._setup(session):
                    print("demo: too few firms for the supply chain, no receivables")
                    self.first = date.max
                    return
        index = (day - self.first).days
        todo = [(c.day, n, 0, "issue", None) for n, c in enumerate(PLAN) if c.day == index]
        todo += [
            (c.day, n, k + 1, op, arg)
            for n, c in enumerate(PLAN)
            for k, (offset, op, arg) in enumerate(c.steps)
            if c.day + offset == index
        ]
        if not todo:
            return
        self._at(day, 10)
        with unit_of_work(self.rt.session_factory) as session:
            audit.set_clock(session, self.clock)
            for _, n, _, op, arg in sorted(todo):
                try:
                    with session.begin_nested():
                        self._step(session, n, op, arg)
                except Exception as exc:  # like the rest of the demo: report, carry on
                    print(f"demo: receivables {op} skipped: {type(exc).__name__}: {exc}")
                self.clock.advance(timedelta(minutes=7))

    def evening(self, day: date) -> None:
        """The receivables day job (maturity, amortization, signed checkpoint) for ``day``."""
        if self.first is None or self.first > day:
            return
        self._at(day, 23, 30)
        receivables_eod.run_eod(self.rt.session_factory, self.clock, self.rt.cipher, day)

    # -- steps ------------------------------------------------------------------------------

    def _at(self, day: date, hour: int, minute: int = 0) -> None:
        """``hour``:``minute`` Shanghai time on business date ``day``."""
        self.clock.set(shanghai_midnight_utc(day) + timedelta(hours=hour, minutes=minute))

    def _setup(self, session: Session) -> bool:
        """The core enterprises with cash and a limit; the suppliers picked from the demo."""
        audit.set_clock(session, self.clock)
        user = session.scalar(select(User).where(User.username == "borrower"))
        if user is None:
            return False
        self.borrower = auth.principal_of(user)
        admin = session.get(User, self.users["admin"])
        assert admin is not None
        self.staff = auth.principal_of(admin)
        borrowers = list(
            dict.fromkeys(
                lending.get_line(session, line).enterprise_id for line in self.borrower_lines
            )
        )
        own = set(self.borrower.enterprise_ids)
        others = [
            e
            for e in parties.enterprise_ids_oldest_first(session)
            if e not in own and e not in borrowers
        ]
        pool = borrowers[:2] + others
        if not own or len(pool) < 6:
            return False
        self.firms = {"S": min(own)} | dict(
            zip(("B1", "B2", "T1", "T2", "T3", "T4"), pool[:6], strict=True)
        )
        for firm in self.firms.values():
            self.codes[parties.get_enterprise(session, firm).uscc] = firm
        risk = session.get(User, self.users["risk"])
        assert risk is not None
        for core in CORES:
            ent = parties.create_enterprise(
                session,
                self.clock,
                EnterpriseCreate(
                    name=core.name,
                    uscc=core_uscc(core),
                    industry_section=core.industry_section,
                    region_code="330100",
                    region_name="浙江省杭州市",
                    registered_capital_fen=200_000 * WAN,
                    established_date=date(2003, 3, 18),
                    size_class=SizeClass.LARGE,
                ),
            )
            self.cores.append(ent.id)
            lending.deposit(
                session,
                self.clock,
                ent.id,
                core.cash_wan * WAN,
                idempotency_key=f"demo-core-cash-{ent.uscc}",
                memo="核心企业结算账户入账",
            )
            audit.set_actor(session, audit.Actor(risk.id, risk.username, risk.role, "127.0.0.1"))
            receivables.grant_limit(
                session,
                self.clock,
                self.rt.cipher,
                auth.principal_of(risk),
                LimitGrant(
                    enterprise_id=ent.id,
                    limit_fen=core.limit_wan * WAN,
                    grade=core.grade,
                    reason="年度供应链授信审批（演示）",
                ),
            )
            audit.set_actor(session, audit.SYSTEM)
        try:
            with session.begin_nested():
                self._supply_products(session)
        except Exception as exc:  # like the rest of the demo: report, carry on
            print(f"demo: supply products skipped: {type(exc).__name__}: {exc}")
        return True

    def _supply_products(self, session: Session) -> None:
        """订单通、仓单通、分销通 on the same log: the demo borrower's order from the machinery
        group, financed before delivery; its copper in a warehouse, pledged and partly
        released; the group's dealer programme with the borrower as a dealer."""
        from puhui.receivables import dealers, orders, warehouse
        from puhui.receivables.prices import SandboxPriceFeed
        from puhui.receivables.supply_schemas import (
            DealerDraw,
            DealerRecommend,
            OrderCreate,
            OrderFinance,
            ProgrammeCreate,
            ReceiptIssue,
            ReceiptPledge,
            ReceiptRelease,
        )

        cipher, clock, today = self.rt.cipher, self.clock, business_date(self.clock)
        me, core = self.firms["S"], self.cores[0]
        ids: list[str] = []
        for buyer, supplier, wan in ((core, me, 60), (self.cores[1], self.firms["T1"], 30)):
            order = orders.place_order(
                session,
                clock,
                cipher,
                None,
                OrderCreate(
                    buyer_enterprise_id=buyer,
                    supplier_enterprise_id=supplier,
                    amount_fen=wan * WAN,
                    goods="数控机床零部件 CNC parts",
                    delivery_date=today + timedelta(days=30),
                    maturity_date=today + timedelta(days=120),
                ),
            )
            assert order.item is not None
            ids.append(order.item.id)
        first = ids[0]
        orders.confirm_order(session, clock, cipher, self._acting(session, me), first)
        orders.finance_order(
            session,
            clock,
            cipher,
            self._acting(session, me),
            first,
            OrderFinance(amount_fen=40 * WAN),
            idempotency_key="demo-order-1",
        )
        wh = self.firms["T3"]
        warehouse.register_warehouse(session, clock, cipher, wh)
        receipt = warehouse.issue_receipt(
            session,
            clock,
            cipher,
            None,
            ReceiptIssue(
                warehouse_enterprise_id=wh,
                owner_enterprise_id=me,
                goods="电解铜 copper cathode",
                quantity=50_000,
                unit="kg",
                grade="A",
                location="宁波北仑保税仓 2 号库",
                policy="PICC-DEMO-001",
                policy_expiry=today + timedelta(days=365),
            ),
        ).item
        assert receipt is not None
        feed = SandboxPriceFeed()
        warehouse.pledge_receipt(
            session,
            clock,
            cipher,
            self._acting(session, me),
            receipt.id,
            ReceiptPledge(line_ref="演示授信", cover_fen=200 * WAN),
            feed,
            3_000,
        )
        warehouse.release_goods(
            session,
            clock,
            cipher,
            None,
            receipt.id,
            ReceiptRelease(quantity=10_000, cover_fen=150 * WAN),
            feed,
        )
        programme = dealers.create_programme(
            session,
            clock,
            cipher,
            ProgrammeCreate(core_enterprise_id=core, limit_fen=500 * WAN, mode="buyback"),
        ).item
        assert programme is not None
        for dealer, limit, sales in ((me, 200, 800), (self.firms["T2"], 150, 500)):
            dealers.recommend_dealer(
                session,
                clock,
                cipher,
                None,
                programme.id,
                DealerRecommend(
                    dealer_enterprise_id=dealer, limit_fen=limit * WAN, sales_fen=sales * WAN
                ),
            )
        dealers.draw(
            session,
            clock,
            cipher,
            self._acting(session, me),
            programme.id,
            DealerDraw(
                dealer_enterprise_id=me,
                amount_fen=80 * WAN,
                maturity_date=today + timedelta(days=90),
            ),
        )
        audit.set_actor(session, audit.SYSTEM)

    def _acting(self, session: Session, enterprise_id: uuid.UUID | None) -> Principal | None:
        """The demo borrower acts for its own firm; the others through the platform's
        custodial keys (no principal). The audit trail names who acted."""
        if self.borrower is not None and enterprise_id in self.borrower.enterprise_ids:
            b = self.borrower
            audit.set_actor(session, audit.Actor(b.user_id, b.username, b.role, "127.0.0.1"))
            return b
        audit.set_actor(session, audit.SYSTEM)
        return None

    def _part(self, session: Session, cert_id: str, amount_wan: int, status: str) -> PartOut:
        assert self.staff is not None
        cert = receivables.get_certificate(session, self.staff, cert_id)
        for part in cert.parts:
            if part.amount_fen == amount_wan * WAN and part.status == status:
                return part
        raise LookupError(f"{cert_id}: no {status} part of {amount_wan} 万元")

    def _step(self, session: Session, n: int, op: str, arg: Any) -> None:
        plan = PLAN[n]
        cipher, clock = self.rt.cipher, self.clock
        if op == "issue":
            supplier = self.firms[plan.supplier]
            issuer = self.cores[plan.core]
            today = business_date(clock)
            ref = f"{today:%Y%m%d}{n + 1:02d}"
            out = receivables.issue(
                session,
                clock,
                cipher,
                self._acting(session, issuer),
                IssueRequest(
                    issuer_enterprise_id=issuer,
                    supplier_enterprise_id=supplier,
                    face_fen=plan.face_wan * WAN,
                    maturity_date=today + timedelta(days=plan.term_days),
                    contract_no=f"CG-{ref}",
                    invoice_no=f"FP-33{ref}",
                    invoice_amount_fen=plan.face_wan * WAN,
                ),
            )
            assert out.certificate is not None
            self.cert_ids[n] = out.certificate.id
            return
        cert_id = self.cert_ids[n]
        if op == "accept":
            principal = self._acting(session, self.firms[plan.supplier])
            receivables.accept(session, clock, cipher, principal, cert_id)
        elif op == "split":
            part = self._part(session, cert_id, sum(arg), "held")
            principal = self._acting(session, part.holder_enterprise_id)
            amounts = [a * WAN for a in arg]
            receivables.split(session, clock, cipher, principal, part.id, amounts)
        elif op == "transfer":
            amount, to = arg
            part = self._part(session, cert_id, amount, "held")
            principal = self._acting(session, part.holder_enterprise_id)
            receivables.transfer(session, clock, cipher, principal, part.id, self.firms[to])
        elif op == "accept_transfer":
            part = self._part(session, cert_id, arg, "pending_transfer")
            principal = self._acting(session, self.codes.get(part.pending_to or ""))
            receivables.accept_transfer(session, clock, cipher, principal, part.id)
        elif op == "finance":
            part = self._part(session, cert_id, arg, "held")
            principal = self._acting(session, part.holder_enterprise_id)
            receivables.finance(
                session,
                clock,
                cipher,
                principal,
                part.id,
                idempotency_key=f"demo-finance-{part.id}",
            )
        else:  # pragma: no cover - a typo in PLAN
            raise ValueError(op)
        audit.set_actor(session, audit.SYSTEM)


def certificate_count(session: Session) -> int:
    """How many certificates the demo database holds (for the demo's closing summary)."""
    return receivables.certificate_count(session)
