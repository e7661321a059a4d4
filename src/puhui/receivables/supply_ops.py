"""What the supply products' services share: who signs for the caller, one statement on the
locked log, the result, reading items as the caller may see them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.errors import DomainError
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef
from puhui.receivables import accounts
from puhui.receivables.access import party_codes, party_names
from puhui.receivables.errors import NotFound
from puhui.receivables.log import Log, audit_ops
from puhui.receivables.models import SupplyItem
from puhui.receivables.reading import entry_out, hex_of
from puhui.receivables.supply_schemas import SupplyItemOut, SupplyOperationOut

KIND_ZH = {
    "order": "订单",
    "receipt": "仓单",
    "programme": "分销项目",
    "dealer": "经销商",
    "draw": "经销商融资",
}


def item_not_found(kind: str, item_id: str) -> NotFound:
    return NotFound(kind, kind=kind, kind_zh=KIND_ZH.get(kind, kind), id=item_id)


def visible(session: Session, principal: Principal | None, row: SupplyItem) -> bool:
    """Staff and the platform see everything; an enterprise its own items (either side)."""
    if principal is None or principal.is_staff:
        return True
    codes = party_codes(session, principal)
    return row.party in codes or (row.counterparty or "") in codes


def get_item(session: Session, principal: Principal | None, kind: str, item_id: str) -> SupplyItem:
    row = session.get(SupplyItem, item_id)
    if row is None or row.kind != kind or not visible(session, principal, row):
        raise item_not_found(kind, item_id)
    return row


def actor_for(session: Session, principal: Principal | None, expected: str, row: SupplyItem) -> str:
    """The party that signs: the expected one if the caller may act for it; otherwise the
    caller's own party to the item (the rules then refuse it by name); 404 for others."""
    if principal is None or principal.is_staff:
        return expected
    codes = party_codes(session, principal)
    if expected in codes:
        return expected
    mine = sorted(codes & {row.party, row.counterparty or ""})
    if not mine:
        raise item_not_found(row.kind, row.id)
    return mine[0]


def run(log: Log, op: str, actor: str, req: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """One statement on the locked log; returns it and the main item it touched."""
    stmt, applied = log.run(op, actor, req)
    audit_ops(log.session, log, None)
    return stmt, (applied.supply[0] if applied.supply else None)


def item_out(session: Session, row: SupplyItem) -> SupplyItemOut:
    names = party_names(session, [c for c in (row.party, row.counterparty) if c])
    return SupplyItemOut(
        id=row.id,
        kind=row.kind,
        status=row.status,
        party=row.party,
        party_name=names.get(row.party, row.party),
        counterparty=row.counterparty,
        counterparty_name=names.get(row.counterparty, row.counterparty)
        if row.counterparty
        else None,
        parent=row.parent,
        amount_fen=row.amount_fen,
        data=dict(row.data),
        history=list(row.history),
        created_seq=row.created_seq,
        updated_at=row.updated_at,
    )


def result(log: Log, item_id: str | None, **extra: Any) -> SupplyOperationOut:
    row = log.session.get(SupplyItem, item_id) if item_id else None
    return SupplyOperationOut(
        operations=[entry_out(e) for e in log.entries],
        item=item_out(log.session, row) if row is not None else None,
        ledger=list(log.moves),
        tree_size=log.head.size,
        root=hex_of(log.head.root),
        **extra,
    )


def list_items(
    session: Session,
    principal: Principal | None,
    kind: str,
    *,
    parent: str | None = None,
    limit: int = 200,
) -> list[SupplyItemOut]:
    """Items of a kind the caller may see, newest first."""
    query = select(SupplyItem).where(SupplyItem.kind == kind)
    if parent is not None:
        query = query.where(SupplyItem.parent == parent)
    if principal is not None and not principal.is_staff:
        codes = sorted(party_codes(session, principal))
        query = query.where(or_(SupplyItem.party.in_(codes), SupplyItem.counterparty.in_(codes)))
    rows = session.scalars(query.order_by(SupplyItem.created_seq.desc()).limit(limit))
    return [item_out(session, r) for r in rows]


class InsufficientFunds(DomainError):
    code = "receivables.insufficient_funds"
    status = 409
    title_zh = "结算账户余额不足"
    title_en = "Insufficient settlement balance"
    message_zh = "{what_zh} 需付 {due_fen} 分，结算账户可用 {available_fen} 分。"
    message_en = "{what} needs {due_fen} fen; the settlement account has {available_fen} fen."


def financed(kind: str, item_id: str) -> AccountRef:
    """The bank's financing of an order or a dealer's drawdown, at its amount."""
    return ledger_service.owned("receivable_financed", f"receivables_{kind}", item_id)


def unearned(kind: str, item_id: str) -> AccountRef:
    return ledger_service.owned("discount_unearned", f"receivables_{kind}", item_id)


def require_balance(log: Log, enterprise_id: uuid.UUID, due: int, what: str, what_zh: str) -> None:
    available = ledger_service.balance_fen(log.session, accounts.settlement(enterprise_id))
    if available < due:
        raise InsufficientFunds(what=what, what_zh=what_zh, due_fen=due, available_fen=available)


def get_supply(
    session: Session, principal: Principal | None, kind: str, item_id: str
) -> SupplyItemOut:
    """One order, receipt, programme, dealer or draw as the caller may see it (404 otherwise)."""
    return item_out(session, get_item(session, principal, kind, item_id))
