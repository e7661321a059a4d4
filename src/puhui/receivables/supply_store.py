"""The supply products' objects in the database: loaded into a fresh state for one statement
(with what they refer to: a drawdown's programme and dealer, an order's certificate) and
written back after it, with the statement in the object's history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.receivables.models import SupplyItem
from puhui.receivables.state import ReceivablesState
from puhui.receivables.supply_state import (
    Dealer,
    Draw,
    Item,
    Order,
    Programme,
    Receipt,
    dealer_key,
    item_from_json,
    item_to_json,
    kind_of,
)

WAREHOUSE = "warehouse"


def warehouse_id(party: str) -> str:
    return f"WH:{party}"


def load(
    session: Session,
    state: ReceivablesState,
    ids: Iterable[str],
    rows: dict[str, SupplyItem],
    warehouse: str | None = None,
) -> list[str]:
    """Put the items ``ids`` (locked) and what they refer to into ``state.supply``; return the
    certificates they refer to (the caller loads those)."""
    certs: list[str] = []
    pending = [i for i in ids if i]
    while pending:
        item_id = pending.pop()
        if item_id in rows:
            continue
        row = session.execute(
            select(SupplyItem)
            .where(SupplyItem.id == item_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None:
            continue
        rows[item_id] = row
        item = item_from_json(row.kind, row.data)
        state.supply.put(item)
        if isinstance(item, Draw):
            pending += [item.programme, dealer_key(item.programme, item.dealer)]
        elif isinstance(item, Dealer):
            pending.append(item.programme)
        elif isinstance(item, Order) and item.cert:
            certs.append(item.cert)
    if warehouse is not None and session.get(SupplyItem, warehouse_id(warehouse)) is not None:
        state.supply.warehouses.add(warehouse)
    return certs


def _columns(item: Item) -> dict[str, Any]:
    if isinstance(item, Receipt):
        return {
            "party": item.owner,
            "counterparty": item.warehouse,
            "parent": item.line,
            "amount_fen": item.cover_fen,
        }
    if isinstance(item, Order):
        return {
            "party": item.buyer,
            "counterparty": item.supplier,
            "parent": item.cert,
            "amount_fen": item.amount_fen,
        }
    if isinstance(item, Programme):
        return {
            "party": item.core,
            "counterparty": None,
            "parent": None,
            "amount_fen": item.limit_fen,
        }
    if isinstance(item, Dealer):
        return {
            "party": item.dealer,
            "counterparty": item.core,
            "parent": item.programme,
            "amount_fen": item.limit_fen,
        }
    return {
        "party": item.dealer,
        "counterparty": item.core,
        "parent": item.programme,
        "amount_fen": item.amount_fen,
    }


def _status(item: Item) -> str:
    return str(getattr(item, "status", "active"))


def persist(
    session: Session,
    state: ReceivablesState,
    rows: dict[str, SupplyItem],
    touched: Iterable[str],
    stmt: Mapping[str, Any],
    now: datetime,
) -> None:
    """Write the touched items back, each with this statement added to its history."""
    seq = int(stmt["seq"])
    event = {k: v for k, v in stmt.items() if k != "v"}
    if stmt["op"] == "warehouse":
        party = str(stmt["party"])
        if session.get(SupplyItem, warehouse_id(party)) is None:
            session.add(
                SupplyItem(
                    id=warehouse_id(party),
                    kind=WAREHOUSE,
                    status="active",
                    party=party,
                    counterparty=None,
                    parent=None,
                    amount_fen=0,
                    data={},
                    history=[event],
                    created_seq=seq,
                    updated_seq=seq,
                    updated_at=now,
                )
            )
        return
    for item_id in touched:
        item = state.supply.get(item_id)
        assert item is not None
        row = rows.get(item_id)
        if row is None:
            row = SupplyItem(
                id=item_id,
                kind=kind_of(item),
                history=[],
                created_seq=seq,
                **_columns(item),
                status=_status(item),
                data=item_to_json(item),
                updated_seq=seq,
                updated_at=now,
            )
            session.add(row)
            rows[item_id] = row
        else:
            for name, value in _columns(item).items():
                setattr(row, name, value)
            row.status = _status(item)
            row.data = item_to_json(item)
            row.updated_seq = seq
            row.updated_at = now
        row.history = [*row.history, event]
