"""Orders (订单通), warehouse receipts (仓单通) and dealer programmes (分销通) on the receivables
log — the pure half: the state these statements build and their rules, dispatched to by
:class:`puhui.receivables.state.ReceivablesState` (``apply`` and the verifier's replay), so the
same rules hold in the service and on an auditor's machine. No I/O.

Operations (statement fields besides v, seq, op, actor, at)
    ============  ===================  =====================================================
    op            actor                fields
    ============  ===================  =====================================================
    warehouse     platform             party                  (registers a warehouse operator)
    receipt       warehouse operator   receipt, to (owner), goods, quantity, unit, grade,
                                       location, policy, policy_expiry
    pledge        owner                receipt, to (financier), line, unit_price_fen,
                                       haircut_bp, cover_fen
    release       pledgee (financier)  receipt, quantity, unit_price_fen, cover_fen (the
                                       cover still required after the repayment; 0 ends
                                       the pledge)
    order         core enterprise      order, to (supplier), amount_fen, goods,
                                       delivery_date, maturity_date
    order_confirm supplier             order
    order_finance financier            order, amount_fen, rate_bp, days, price_fen
    order_deliver core enterprise      order, cert            (the certificate it issued)
    order_cancel  core enterprise      order                  (before delivery)
    order_repay   supplier (cancelled) order, amount_fen
                  / platform (delivered, from the paid certificate)
    programme     platform             programme, party (core), limit_fen, mode
    dealer        core enterprise      programme, to (dealer), limit_fen, sales_fen
    dealer_draw   dealer               programme, draw, amount_fen, maturity_date
    dealer_repay  dealer / core        draw, amount_fen       (the core: guarantee or
                  enterprise                                    buy-back, after maturity)
    ============  ===================  =====================================================

Rules
    * Receipt: only a registered warehouse operator issues; the insurance must run past the
      business date. A receipt is pledged at most once at a time (``double_pledge``); the
      value ``quantity × unit price × (1 − haircut)`` (floor, fen) must reach the cover.
      A release takes at most the remaining quantity (``release_exceeds``) and the remainder
      must still cover the cover left; cover 0 ends the pledge; quantity 0 closes the receipt.
    * Order: financed once, after the supplier's confirmation and before the delivery date, up
      to ``Rules.order_max_share_bp`` of the amount, at a discount like a certificate
      (price = amount − amount × rate × days / 360, days to the order's maturity). Delivery
      links a certificate of the core enterprise to the supplier for the order's amount.
      Cancelled after financing: the supplier repays; delivered: the platform repays from the
      paid certificate. A repayment is the financed amount exactly.
    * Programme: per-dealer limits no higher than the programme's; a draw must fit both the
      dealer's and the programme's available limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from puhui.receivables.errors import (
    ActorNotAllowed,
    AlreadyExists,
    InvalidDate,
    MalformedStatement,
    NotAFinancier,
    NotFound,
    PaymentMismatch,
    PriceMismatch,
    SelfTransfer,
)
from puhui.receivables.statements import parse_date
from puhui.receivables.supply_errors import (
    CoverShortfall,
    DealerAboveProgramme,
    DealerLimitExceeded,
    DoublePledge,
    InsuranceExpired,
    NotADealer,
    NotAWarehouse,
    OrderDeliveryMismatch,
    OrderShareExceeded,
    ProgrammeLimitExceeded,
    ReleaseExceeds,
    SupplyStatusInvalid,
)

if TYPE_CHECKING:
    from puhui.receivables.state import ReceivablesState


class ReceiptStatus(StrEnum):
    HELD = "held"
    PLEDGED = "pledged"
    CLOSED = "closed"


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FINANCED = "financed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class DrawStatus(StrEnum):
    OUTSTANDING = "outstanding"
    REPAID = "repaid"


class ProgrammeMode(StrEnum):
    NONE = "none"
    GUARANTEE = "guarantee"
    BUYBACK = "buyback"


RECEIPT_TRANSITIONS = {
    ReceiptStatus.HELD: frozenset({ReceiptStatus.PLEDGED}),
    ReceiptStatus.PLEDGED: frozenset({ReceiptStatus.HELD, ReceiptStatus.CLOSED}),
    ReceiptStatus.CLOSED: frozenset(),
}
ORDER_TRANSITIONS = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset(
        {OrderStatus.FINANCED, OrderStatus.DELIVERED, OrderStatus.CANCELLED}
    ),
    OrderStatus.FINANCED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CLOSED: frozenset(),
}


@dataclass(slots=True)
class Receipt:
    id: str
    warehouse: str
    owner: str
    goods: str
    quantity: int
    unit: str
    grade: str
    location: str
    policy: str
    policy_expiry: str
    status: str = ReceiptStatus.HELD.value
    pledgee: str | None = None
    line: str | None = None
    unit_price_fen: int = 0
    haircut_bp: int = 0
    cover_fen: int = 0
    released: int = 0


@dataclass(slots=True)
class Order:
    id: str
    buyer: str
    supplier: str
    amount_fen: int
    goods: str
    delivery_date: str
    maturity_date: str
    status: str = OrderStatus.PENDING.value
    financier: str | None = None
    financed_fen: int = 0
    price_fen: int = 0
    rate_bp: int = 0
    days: int = 0
    cert: str | None = None
    repaid_fen: int = 0


@dataclass(slots=True)
class Programme:
    id: str
    core: str
    limit_fen: int
    mode: str
    outstanding_fen: int = 0


@dataclass(slots=True)
class Dealer:
    programme: str
    dealer: str
    limit_fen: int
    sales_fen: int
    outstanding_fen: int = 0
    core: str = ""

    @property
    def id(self) -> str:
        return dealer_key(self.programme, self.dealer)


@dataclass(slots=True)
class Draw:
    id: str
    programme: str
    dealer: str
    amount_fen: int
    maturity_date: str
    status: str = DrawStatus.OUTSTANDING.value
    core: str = ""


Item = Receipt | Order | Programme | Dealer | Draw
KINDS: dict[str, type[Any]] = {
    "receipt": Receipt,
    "order": Order,
    "programme": Programme,
    "dealer": Dealer,
    "draw": Draw,
}


def dealer_key(programme: str, dealer: str) -> str:
    return f"{programme}/{dealer}"


def kind_of(item: Item) -> str:
    return type(item).__name__.lower()


def item_to_json(item: Item) -> dict[str, Any]:
    return asdict(item)


def item_from_json(kind: str, data: Mapping[str, Any]) -> Item:
    obj: Item = KINDS[kind](**data)
    return obj


@dataclass(slots=True)
class SupplyBook:
    """The supply-chain products' part of the state (all, on a replay; what one statement
    touches, in the service)."""

    warehouses: set[str] = field(default_factory=set)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    programmes: dict[str, Programme] = field(default_factory=dict)
    dealers: dict[str, Dealer] = field(default_factory=dict)
    draws: dict[str, Draw] = field(default_factory=dict)

    def get(self, item_id: str) -> Item | None:
        for table in (self.receipts, self.orders, self.programmes, self.dealers, self.draws):
            found = table.get(item_id)
            if found is not None:
                return found
        return None

    def put(self, item: Item) -> None:
        table: dict[str, Any] = getattr(self, kind_of(item) + "s")
        table[item.id] = item

    def get_any(self) -> bool:
        return bool(
            self.warehouses or self.receipts or self.orders or self.programmes or self.draws
        )

    def summary(self) -> dict[str, Any]:
        return {
            "warehouses": len(self.warehouses),
            "receipts": len(self.receipts),
            "receipts_pledged": sum(
                r.status == ReceiptStatus.PLEDGED for r in self.receipts.values()
            ),
            "orders": len(self.orders),
            "programmes": len(self.programmes),
            "dealer_draws_outstanding_fen": sum(
                p.outstanding_fen for p in self.programmes.values()
            ),
        }


# ---------------------------------------------------------------------------------------------
# Field validation


def _text(name: str, value: Any) -> None:
    if type(value) is not str or not 0 < len(value) <= 200 or not value.isprintable():
        raise MalformedStatement(
            name, "must be text of 1 to 200 printable characters", "应为 1 到 200 个可打印字符"
        )


def _quantity(name: str, value: Any) -> None:
    if type(value) is not int or not 0 < value <= 10**15:
        raise MalformedStatement(name, "must be a positive whole quantity", "应为正整数数量")


def _bp(name: str, value: Any) -> None:
    if type(value) is not int or not 0 <= value < 10_000:
        raise MalformedStatement(name, "must be basis points 0..9999", "应为 0 到 9999 的基点数")


def _mode(name: str, value: Any) -> None:
    if value not in {m.value for m in ProgrammeMode}:
        raise MalformedStatement(
            name, "must be none, guarantee or buyback", "应为 none、guarantee 或 buyback"
        )


SUPPLY_VALIDATORS: dict[str, Callable[[str, Any], None]] = {
    "goods": _text,
    "unit": _text,
    "grade": _text,
    "location": _text,
    "policy": _text,
    "quantity": _quantity,
    "haircut_bp": _bp,
    "mode": _mode,
}
"""Validators of the new field names (ids, amounts, dates reuse the state's)."""

ID_FIELDS = ("receipt", "order", "programme", "draw", "line")
AMOUNT_FIELDS = ("unit_price_fen",)
AMOUNT_OR_ZERO_FIELDS = ("cover_fen", "sales_fen")
DATE_FIELDS = ("policy_expiry", "delivery_date")

SUPPLY_FIELDS: dict[str, tuple[str, ...]] = {
    "warehouse": ("party",),
    "receipt": (
        "receipt",
        "to",
        "goods",
        "quantity",
        "unit",
        "grade",
        "location",
        "policy",
        "policy_expiry",
    ),
    "pledge": ("receipt", "to", "line", "unit_price_fen", "haircut_bp", "cover_fen"),
    "release": ("receipt", "quantity", "unit_price_fen", "cover_fen"),
    "order": ("order", "to", "amount_fen", "goods", "delivery_date", "maturity_date"),
    "order_confirm": ("order",),
    "order_finance": ("order", "amount_fen", "rate_bp", "days", "price_fen"),
    "order_deliver": ("order", "cert"),
    "order_cancel": ("order",),
    "order_repay": ("order", "amount_fen"),
    "programme": ("programme", "party", "limit_fen", "mode"),
    "dealer": ("programme", "to", "limit_fen", "sales_fen"),
    "dealer_draw": ("programme", "draw", "amount_fen", "maturity_date"),
    "dealer_repay": ("draw", "amount_fen"),
}


def collateral_value(quantity: int, unit_price_fen: int, haircut_bp: int) -> int:
    """quantity × unit price × (1 − haircut), rounded down to the fen (the bank's side)."""
    return quantity * unit_price_fen * (10_000 - haircut_bp) // 10_000


# ---------------------------------------------------------------------------------------------
# Helpers


def _status(item: Item, op: str, kind: str, kind_zh: str, *allowed: str) -> None:
    status: str = getattr(item, "status", "")
    if status not in allowed:
        raise SupplyStatusInvalid(
            kind.split()[0],
            kind=kind,
            kind_zh=kind_zh,
            id=item.id,
            status=status,
            op=op,
            needed="/".join(allowed),
        )


def _actor(stmt: Mapping[str, Any], expected: str, op: str, target: str) -> None:
    if stmt["actor"] != expected:
        raise ActorNotAllowed("actor", actor=stmt["actor"], op=op, target=target, expected=expected)


def _new(st: ReceivablesState, name: str, item_id: str, kind: str, kind_zh: str) -> None:
    if st.supply.get(item_id) is not None or item_id in st.certificates or item_id in st.parts:
        raise AlreadyExists(name, kind=kind, kind_zh=kind_zh, id=item_id)


def _receipt(st: ReceivablesState, stmt: Mapping[str, Any]) -> Receipt:
    found = st.supply.receipts.get(stmt["receipt"])
    if found is None:
        raise NotFound("receipt", kind="warehouse receipt", kind_zh="仓单", id=stmt["receipt"])
    return found


def _order(st: ReceivablesState, stmt: Mapping[str, Any]) -> Order:
    found = st.supply.orders.get(stmt["order"])
    if found is None:
        raise NotFound("order", kind="order", kind_zh="订单", id=stmt["order"])
    return found


def _programme(st: ReceivablesState, programme_id: str) -> Programme:
    found = st.supply.programmes.get(programme_id)
    if found is None:
        raise NotFound("programme", kind="dealer programme", kind_zh="分销项目", id=programme_id)
    return found


def _future(st: ReceivablesState, stmt: Mapping[str, Any], name: str) -> date:
    today = st._business_date(stmt["at"])
    day = parse_date(stmt[name])
    if day <= today:
        raise InvalidDate(
            name,
            date=stmt[name],
            reason=f"must be after the business date {today}",
            reason_zh=f"应晚于业务日 {today}",
        )
    if (day - today).days > st.rules.max_term_days:
        raise InvalidDate(
            name,
            date=stmt[name],
            reason=f"more than {st.rules.max_term_days} days away",
            reason_zh=f"期限超过 {st.rules.max_term_days} 天",
        )
    return day


# ---------------------------------------------------------------------------------------------
# Warehouse receipts


def _warehouse(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    _actor(stmt, st.rules.platform, "warehouse", stmt["party"])
    st.supply.warehouses.add(stmt["party"])
    return ()


def _issue_receipt(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    warehouse, receipt_id = stmt["actor"], stmt["receipt"]
    if warehouse not in st.supply.warehouses:
        raise NotAWarehouse("actor", party=warehouse)
    if stmt["to"] == warehouse:
        raise SelfTransfer("to", party=warehouse)
    _new(st, "receipt", receipt_id, "warehouse receipt", "仓单")
    today = st._business_date(stmt["at"])
    if parse_date(stmt["policy_expiry"]) <= today:
        raise InsuranceExpired(
            "policy_expiry",
            receipt=receipt_id,
            policy=stmt["policy"],
            expiry=stmt["policy_expiry"],
            today=today.isoformat(),
        )
    fields = ("goods", "quantity", "unit", "grade", "location", "policy", "policy_expiry")
    st.supply.put(Receipt(receipt_id, warehouse, stmt["to"], **{k: stmt[k] for k in fields}))
    return (receipt_id,)


def _pledge(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    receipt = _receipt(st, stmt)
    if receipt.status == ReceiptStatus.PLEDGED:
        raise DoublePledge(
            "receipt", receipt=receipt.id, pledgee=receipt.pledgee, line=receipt.line
        )
    _status(receipt, "pledge", "receipt", "仓单", ReceiptStatus.HELD)
    _actor(stmt, receipt.owner, "pledge", receipt.id)
    if stmt["to"] not in st.rules.financiers:
        raise NotAFinancier("to", party=stmt["to"])
    today = st._business_date(stmt["at"])
    if parse_date(receipt.policy_expiry) <= today:
        raise InsuranceExpired(
            "receipt",
            receipt=receipt.id,
            policy=receipt.policy,
            expiry=receipt.policy_expiry,
            today=today.isoformat(),
        )
    value = collateral_value(receipt.quantity, stmt["unit_price_fen"], stmt["haircut_bp"])
    if value < stmt["cover_fen"]:
        raise CoverShortfall(
            "cover_fen", receipt=receipt.id, value_fen=value, cover_fen=stmt["cover_fen"]
        )
    receipt.status = ReceiptStatus.PLEDGED.value
    receipt.pledgee, receipt.line = stmt["to"], stmt["line"]
    receipt.unit_price_fen, receipt.haircut_bp = stmt["unit_price_fen"], stmt["haircut_bp"]
    receipt.cover_fen = stmt["cover_fen"]
    return (receipt.id,)


def _release(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    receipt = _receipt(st, stmt)
    _status(receipt, "release", "receipt", "仓单", ReceiptStatus.PLEDGED)
    assert receipt.pledgee is not None
    _actor(stmt, receipt.pledgee, "release", receipt.id)
    quantity = stmt["quantity"]
    if quantity > receipt.quantity:
        raise ReleaseExceeds(
            "quantity",
            receipt=receipt.id,
            remaining=receipt.quantity,
            quantity=quantity,
            unit=receipt.unit,
        )
    remaining = receipt.quantity - quantity
    value = collateral_value(remaining, stmt["unit_price_fen"], receipt.haircut_bp)
    if value < stmt["cover_fen"]:
        raise CoverShortfall(
            "cover_fen", receipt=receipt.id, value_fen=value, cover_fen=stmt["cover_fen"]
        )
    receipt.quantity = remaining
    receipt.released += quantity
    receipt.unit_price_fen = stmt["unit_price_fen"]
    receipt.cover_fen = stmt["cover_fen"]
    if remaining == 0:
        receipt.status = ReceiptStatus.CLOSED.value
    elif stmt["cover_fen"] == 0:
        receipt.status = ReceiptStatus.HELD.value
        receipt.pledgee = receipt.line = None
    return (receipt.id,)


# ---------------------------------------------------------------------------------------------
# Orders


def _order_new(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    order_id, buyer = stmt["order"], stmt["actor"]
    if stmt["to"] == buyer:
        raise SelfTransfer("to", party=buyer)
    _new(st, "order", order_id, "order", "订单")
    delivery = _future(st, stmt, "delivery_date")
    maturity = _future(st, stmt, "maturity_date")
    if maturity < delivery:
        raise InvalidDate(
            "maturity_date",
            date=stmt["maturity_date"],
            reason=f"before the delivery date {delivery}",
            reason_zh=f"早于交货日 {delivery}",
        )
    st.supply.put(
        Order(
            order_id,
            buyer,
            stmt["to"],
            stmt["amount_fen"],
            stmt["goods"],
            stmt["delivery_date"],
            stmt["maturity_date"],
        )
    )
    return (order_id,)


def _order_confirm(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    order = _order(st, stmt)
    _status(order, "order_confirm", "order", "订单", OrderStatus.PENDING)
    _actor(stmt, order.supplier, "order_confirm", order.id)
    order.status = OrderStatus.CONFIRMED.value
    return (order.id,)


def order_financing_days(order: Order, today: date) -> int:
    return max((parse_date(order.maturity_date) - today).days, 0)


def _order_finance(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    from puhui.receivables.state import discount_price

    financier = stmt["actor"]
    if financier not in st.rules.financiers:
        raise NotAFinancier("actor", party=financier)
    order = _order(st, stmt)
    _status(order, "order_finance", "order", "订单", OrderStatus.CONFIRMED)
    today = st._business_date(stmt["at"])
    if today >= parse_date(order.delivery_date):
        raise InvalidDate(
            "at",
            date=today.isoformat(),
            reason=f"order financing ends before the delivery date {order.delivery_date}",
            reason_zh=f"订单融资须在交货日 {order.delivery_date} 之前",
        )
    share = st.rules.order_max_share_bp
    max_fen = order.amount_fen * share // 10_000
    amount = stmt["amount_fen"]
    if amount > max_fen:
        raise OrderShareExceeded(
            "amount_fen",
            order=order.id,
            order_fen=order.amount_fen,
            max_fen=max_fen,
            share_bp=share,
            amount_fen=amount,
        )
    days = order_financing_days(order, today)
    expected = discount_price(amount, stmt["rate_bp"], days)
    if stmt["days"] != days or stmt["price_fen"] != expected:
        raise PriceMismatch(
            "price_fen" if stmt["days"] == days else "days",
            rate_bp=stmt["rate_bp"],
            days=days,
            expected_fen=expected,
            got_fen=stmt["price_fen"],
        )
    order.status = OrderStatus.FINANCED.value
    order.financier, order.financed_fen, order.price_fen = financier, amount, expected
    order.rate_bp, order.days = stmt["rate_bp"], days
    return (order.id,)


def _order_deliver(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    order = _order(st, stmt)
    _status(order, "order_deliver", "order", "订单", OrderStatus.CONFIRMED, OrderStatus.FINANCED)
    _actor(stmt, order.buyer, "order_deliver", order.id)
    cert = st.certificates.get(stmt["cert"])
    if cert is None:
        raise NotFound("cert", kind="certificate", kind_zh="凭证", id=stmt["cert"])
    problem: tuple[str, str] | None = None
    if (cert.issuer, cert.supplier) != (order.buyer, order.supplier):
        problem = ("issued between other parties", "凭证的签发方或收款方不是订单双方")
    elif cert.face_fen != order.amount_fen:
        problem = (
            f"face {cert.face_fen} fen, order {order.amount_fen} fen",
            f"凭证金额 {cert.face_fen} 分，订单金额 {order.amount_fen} 分",
        )
    elif cert.status.value not in ("pending", "active"):
        problem = (f"certificate is {cert.status.value}", f"凭证状态为 {cert.status.value}")
    elif any(o.cert == cert.id for o in st.supply.orders.values()):
        problem = ("certificate already delivers another order", "该凭证已用于其他订单")
    if problem is not None:
        raise OrderDeliveryMismatch(
            "cert", order=order.id, cert=cert.id, reason=problem[0], reason_zh=problem[1]
        )
    order.status = OrderStatus.DELIVERED.value
    order.cert = cert.id
    return (order.id,)


def _order_cancel(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    order = _order(st, stmt)
    _status(
        order,
        "order_cancel",
        "order",
        "订单",
        OrderStatus.PENDING,
        OrderStatus.CONFIRMED,
        OrderStatus.FINANCED,
    )
    _actor(stmt, order.buyer, "order_cancel", order.id)
    financed = order.status == OrderStatus.FINANCED
    order.status = (OrderStatus.CANCELLED if financed else OrderStatus.CLOSED).value
    return (order.id,)


def _order_repay(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    order = _order(st, stmt)
    _status(order, "order_repay", "order", "订单", OrderStatus.CANCELLED, OrderStatus.DELIVERED)
    if not order.financed_fen:
        raise SupplyStatusInvalid(
            "order",
            kind="order",
            kind_zh="订单",
            id=order.id,
            status=order.status,
            op="order_repay",
            needed="financed",
        )
    if order.status == OrderStatus.CANCELLED:
        _actor(stmt, order.supplier, "order_repay", order.id)
    else:
        _actor(stmt, st.rules.platform, "order_repay", order.id)
        cert = st.certificates.get(order.cert or "")
        if cert is None or cert.status.value not in ("paid", "cleared"):
            raise OrderDeliveryMismatch(
                "order",
                order=order.id,
                cert=order.cert,
                reason="the certificate is not paid yet",
                reason_zh="凭证尚未兑付",
            )
    if stmt["amount_fen"] != order.financed_fen:
        raise PaymentMismatch(
            "amount_fen",
            target=order.id,
            expected_fen=order.financed_fen,
            got_fen=stmt["amount_fen"],
        )
    order.repaid_fen = order.financed_fen
    order.status = OrderStatus.CLOSED.value
    return (order.id,)


# ---------------------------------------------------------------------------------------------
# Dealer programmes


def _programme_op(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    _actor(stmt, st.rules.platform, "programme", stmt["programme"])
    existing = st.supply.programmes.get(stmt["programme"])
    if existing is None:
        _new(st, "programme", stmt["programme"], "dealer programme", "分销项目")
        st.supply.put(Programme(stmt["programme"], stmt["party"], stmt["limit_fen"], stmt["mode"]))
    else:
        if existing.core != stmt["party"]:
            raise AlreadyExists(
                "programme", kind="dealer programme", kind_zh="分销项目", id=existing.id
            )
        existing.limit_fen, existing.mode = stmt["limit_fen"], stmt["mode"]
    return (stmt["programme"],)


def _dealer(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    programme = _programme(st, stmt["programme"])
    _actor(stmt, programme.core, "dealer", programme.id)
    dealer_code = stmt["to"]
    if dealer_code == programme.core:
        raise SelfTransfer("to", party=dealer_code)
    if stmt["limit_fen"] > programme.limit_fen:
        raise DealerAboveProgramme(
            "limit_fen",
            dealer=dealer_code,
            limit_fen=stmt["limit_fen"],
            programme=programme.id,
            programme_fen=programme.limit_fen,
        )
    key = dealer_key(programme.id, dealer_code)
    existing = st.supply.dealers.get(key)
    if existing is None:
        st.supply.put(
            Dealer(
                programme.id, dealer_code, stmt["limit_fen"], stmt["sales_fen"], core=programme.core
            )
        )
    else:
        existing.limit_fen, existing.sales_fen = stmt["limit_fen"], stmt["sales_fen"]
    return (key,)


def _dealer_draw(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    programme = _programme(st, stmt["programme"])
    dealer = st.supply.dealers.get(dealer_key(programme.id, stmt["actor"]))
    if dealer is None:
        raise NotADealer("actor", party=stmt["actor"], programme=programme.id)
    _new(st, "draw", stmt["draw"], "dealer drawdown", "经销商融资")
    _future(st, stmt, "maturity_date")
    amount = stmt["amount_fen"]
    if dealer.outstanding_fen + amount > dealer.limit_fen:
        raise DealerLimitExceeded(
            "amount_fen",
            dealer=dealer.dealer,
            limit_fen=dealer.limit_fen,
            outstanding_fen=dealer.outstanding_fen,
            amount_fen=amount,
        )
    if programme.outstanding_fen + amount > programme.limit_fen:
        raise ProgrammeLimitExceeded(
            "amount_fen",
            programme=programme.id,
            limit_fen=programme.limit_fen,
            outstanding_fen=programme.outstanding_fen,
            amount_fen=amount,
        )
    dealer.outstanding_fen += amount
    programme.outstanding_fen += amount
    draw = Draw(
        stmt["draw"],
        programme.id,
        dealer.dealer,
        amount,
        stmt["maturity_date"],
        core=programme.core,
    )
    st.supply.put(draw)
    return (draw.id, dealer.id, programme.id)


def _dealer_repay(st: ReceivablesState, stmt: Mapping[str, Any]) -> tuple[str, ...]:
    draw = st.supply.draws.get(stmt["draw"])
    if draw is None:
        raise NotFound("draw", kind="dealer drawdown", kind_zh="经销商融资", id=stmt["draw"])
    _status(draw, "dealer_repay", "dealer drawdown", "经销商融资", DrawStatus.OUTSTANDING)
    programme = _programme(st, draw.programme)
    dealer = st.supply.dealers[dealer_key(programme.id, draw.dealer)]
    if stmt["actor"] != draw.dealer:
        today = st._business_date(stmt["at"])
        by_core = (
            stmt["actor"] == programme.core
            and programme.mode != ProgrammeMode.NONE
            and today > parse_date(draw.maturity_date)
        )
        if not by_core:
            _actor(stmt, draw.dealer, "dealer_repay", draw.id)
    if stmt["amount_fen"] != draw.amount_fen:
        raise PaymentMismatch(
            "amount_fen", target=draw.id, expected_fen=draw.amount_fen, got_fen=stmt["amount_fen"]
        )
    draw.status = DrawStatus.REPAID.value
    dealer.outstanding_fen -= draw.amount_fen
    programme.outstanding_fen -= draw.amount_fen
    return (draw.id, dealer.id, programme.id)


SupplyHandler = Callable[["ReceivablesState", Mapping[str, Any]], tuple[str, ...]]
SUPPLY_HANDLERS: dict[str, SupplyHandler] = {
    "warehouse": _warehouse,
    "receipt": _issue_receipt,
    "pledge": _pledge,
    "release": _release,
    "order": _order_new,
    "order_confirm": _order_confirm,
    "order_finance": _order_finance,
    "order_deliver": _order_deliver,
    "order_cancel": _order_cancel,
    "order_repay": _order_repay,
    "programme": _programme_op,
    "dealer": _dealer,
    "dealer_draw": _dealer_draw,
    "dealer_repay": _dealer_repay,
}
assert SUPPLY_HANDLERS.keys() == SUPPLY_FIELDS.keys()
