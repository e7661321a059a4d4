"""Pages of the supply products on the receivables log (订单通、仓单通、分销通), read through the
receivables service:

* ``/console/supply`` — dealer programmes per core enterprise (limit, used, available, the
  guarantee / buy-back mode, the recommended dealers with their limits), orders (parties,
  amount, delivery, financing, the certificate it became), warehouse receipts (goods,
  quantity, location, the pledge and its cover);
* ``/console/supply/{kind}/{id}`` — one of them with every statement that touched it (each
  linked to its operation page with the inclusion proof);
* ``/m/supply`` — the borrower's own: a supplier's orders and their financing, a dealer's
  programme limits, a warehouse receipt's pledge; ``/m/supply/{kind}/{id}`` one of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.models import Role
from puhui.core.money import format_fen
from puhui.core.web import DB, UnitOfWorkRoute, request_lang
from puhui.receivables import service as receivables_service
from puhui.receivables.supply_schemas import SupplyItemOut
from puhui.web.pages import render
from puhui.web.staff.receivables import READERS

router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)
STAFF = "/console/supply"
MOBILE = "/m/supply"
KINDS = ("programme", "dealer", "draw", "order", "receipt")

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {
        "programme": ("分销项目", "Dealer programme"),
        "dealer": ("经销商额度", "Dealer limit"),
        "draw": ("经销商融资", "Dealer drawdown"),
        "order": ("订单", "Order"),
        "receipt": ("仓单", "Warehouse receipt"),
    },
    "status": {
        "held": ("在库未质押", "held, not pledged"),
        "pledged": ("已质押", "pledged"),
        "closed": ("已结束", "closed"),
        "pending": ("待供应商确认", "awaiting the supplier"),
        "confirmed": ("已确认", "confirmed"),
        "financed": ("已融资", "financed"),
        "delivered": ("已交货（已转凭证）", "delivered (certificate issued)"),
        "cancelled": ("已取消（待还款）", "cancelled (repayment due)"),
        "outstanding": ("未还", "outstanding"),
        "repaid": ("已还", "repaid"),
        "active": ("有效", "active"),
    },
    "mode": {
        "none": ("无核心企业增信", "no support by the core enterprise"),
        "guarantee": ("核心企业担保", "guaranteed by the core enterprise"),
        "buyback": ("核心企业回购", "buy-back by the core enterprise"),
    },
    "op": {
        "warehouse": ("登记仓储方", "warehouse registered"),
        "receipt": ("签发仓单", "receipt issued"),
        "pledge": ("质押", "pledge"),
        "release": ("解押放货", "release of goods"),
        "order": ("登记订单", "order registered"),
        "order_confirm": ("供应商确认", "supplier confirmed"),
        "order_finance": ("订单融资", "order financed"),
        "order_deliver": ("交货转凭证", "delivered as a certificate"),
        "order_cancel": ("取消订单", "order cancelled"),
        "order_repay": ("融资还款", "financing repaid"),
        "programme": ("分销项目授信", "programme granted"),
        "dealer": ("推荐经销商", "dealer recommended"),
        "dealer_draw": ("经销商融资（受托支付）", "dealer drawdown (paid to the core)"),
        "dealer_repay": ("经销商融资还款", "drawdown repaid"),
    },
    "field": {
        "goods": ("货物", "Goods"),
        "quantity": ("数量", "Quantity"),
        "unit": ("单位", "Unit"),
        "grade": ("等级", "Grade"),
        "location": ("存放地点", "Location"),
        "policy": ("保单", "Insurance policy"),
        "policy_expiry": ("保险到期", "Insurance expiry"),
        "pledgee": ("质权人", "Pledgee"),
        "line": ("担保的授信/贷款", "Line or loan secured"),
        "unit_price_fen": ("单价", "Unit price"),
        "haircut_bp": ("折扣率", "Haircut"),
        "cover_fen": ("所需覆盖", "Required cover"),
        "released": ("已释放数量", "Quantity released"),
        "amount_fen": ("金额", "Amount"),
        "delivery_date": ("交货日", "Delivery date"),
        "maturity_date": ("到期日", "Maturity"),
        "financed_fen": ("融资金额", "Financed"),
        "price_fen": ("实付金额", "Paid out"),
        "rate_bp": ("贴现利率", "Discount rate"),
        "days": ("天数", "Days"),
        "cert": ("应收账款凭证", "Certificate"),
        "repaid_fen": ("已还", "Repaid"),
        "limit_fen": ("额度", "Limit"),
        "outstanding_fen": ("已用", "Used"),
        "sales_fen": ("近 12 个月销售额", "Sales, 12 months"),
        "mode": ("增信方式", "Support"),
        "to": ("对方", "Counterparty"),
        "party": ("企业", "Enterprise"),
        "programme": ("分销项目", "Programme"),
        "order": ("订单", "Order"),
        "receipt": ("仓单", "Receipt"),
        "draw": ("融资编号", "Drawdown"),
        "financier": ("融资银行", "Financing bank"),
        "warehouse": ("仓储方", "Warehouse"),
        "owner": ("货主", "Owner"),
        "buyer": ("买方（核心企业）", "Buyer (core enterprise)"),
        "supplier": ("供应商", "Supplier"),
        "core": ("核心企业", "Core enterprise"),
        "dealer": ("经销商", "Dealer"),
    },
}
PARTY_FIELDS = {
    "pledgee",
    "to",
    "party",
    "financier",
    "warehouse",
    "owner",
    "buyer",
    "supplier",
    "core",
    "dealer",
}
HIDDEN = {"id", "status", "v", "seq", "op", "actor", "at"}


def _percent(bp: int) -> str:
    return f"{(Decimal(bp) / 100).quantize(Decimal('0.01'))}%"


class _View:
    """Labels and value formatting for one request's language."""

    def __init__(self, request: Request, names: dict[str, str]) -> None:
        self.zh = request_lang(request) == "zh"
        self.names = names

    def label(self, kind: str, value: str | None) -> str:
        if value is None:
            return ""
        pair = LABELS.get(kind, {}).get(value)
        return value if pair is None else pair[0 if self.zh else 1]

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if name.endswith("_fen"):
            return format_fen(int(value))
        if name.endswith("_bp"):
            return _percent(int(value))
        if name in PARTY_FIELDS:
            return self.names.get(str(value), str(value))
        if name == "mode":
            return self.label("mode", str(value))
        return str(value)

    def fields(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (self.label("field", k), self.value(k, v)) for k, v in data.items() if k not in HIDDEN
        ]


def _codes(items: list[SupplyItemOut]) -> set[str]:
    found: set[str] = set()
    for item in items:
        found |= {item.party, item.counterparty or ""}
        for k, v in item.data.items():
            if k in PARTY_FIELDS and isinstance(v, str):
                found.add(v)
        for event in item.history:
            for k in ("actor", "to", "party"):
                if isinstance(event.get(k), str):
                    found.add(event[k])
    return found - {""}


def _context(request: Request, db: DB, principal: Principal) -> dict[str, Any]:
    items = {k: receivables_service.list_supply(db, principal, k) for k in KINDS}
    names = receivables_service.party_names(db, _codes([i for v in items.values() for i in v]))
    view = _View(request, names)
    dealers_of: dict[str, list[SupplyItemOut]] = {}
    for dealer in items["dealer"]:
        dealers_of.setdefault(str(dealer.parent), []).append(dealer)
    return {
        "programmes": items["programme"],
        "dealers_of": dealers_of,
        "dealer_limits": items["dealer"],
        "draws": items["draw"],
        "orders": items["order"],
        "receipts": items["receipt"],
        "names": names,
        "v": view,
        "label": view.label,
        "own": receivables_service.party_codes(db, principal) if not principal.is_staff else set(),
    }


def _detail(
    request: Request, db: DB, principal: Principal, kind: str, item_id: str
) -> dict[str, Any]:
    item = receivables_service.get_supply(db, principal, kind, item_id)
    names = receivables_service.party_names(db, _codes([item]))
    view = _View(request, names)
    history = [
        {
            "seq": e["seq"],
            "op": view.label("op", e["op"]),
            "actor": names.get(e["actor"], e["actor"]),
            "at": e["at"],
            "fields": view.fields({k: v for k, v in e.items() if k not in HIDDEN}),
        }
        for e in item.history
    ]
    return {
        "item": item,
        "v": view,
        "label": view.label,
        "history": history,
        "fields": view.fields(item.data),
    }


@router.get(STAFF, response_class=HTMLResponse)
def supply_page(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require_page(*READERS))]
) -> Response:
    return render(request, "supply.html", principal, **_context(request, db, principal))


@router.get(STAFF + "/{kind}/{item_id:path}", response_class=HTMLResponse)
def supply_item_page(
    request: Request,
    kind: str,
    item_id: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    ctx = _detail(request, db, principal, kind, item_id)
    return render(request, "supply_item.html", principal, base="/console/supply", **ctx)


def _mrender(request: Request, name: str, principal: Principal, **ctx: Any) -> Response:
    zh = request_lang(request) == "zh"
    return render(
        request,
        name,
        principal,
        large=bool(request.session.get("large")),
        L=lambda a, b: a if zh else b,
        **ctx,
    )


@router.get(MOBILE, response_class=HTMLResponse)
def m_supply_page(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require_page(Role.BORROWER))]
) -> Response:
    """The borrower's orders, receipts and dealer limits."""
    return _mrender(request, "m_supply.html", principal, **_context(request, db, principal))


@router.get(MOBILE + "/{kind}/{item_id:path}", response_class=HTMLResponse)
def m_supply_item_page(
    request: Request,
    kind: str,
    item_id: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.BORROWER))],
) -> Response:
    ctx = _detail(request, db, principal, kind, item_id)
    return _mrender(request, "m_supply_item.html", principal, base="/m/supply", **ctx)
