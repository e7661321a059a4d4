"""Pages of the supply products over HTTP: the console lists programmes (with dealers), orders
and receipts with labels, a receipt's page lists its pledge and release; the borrower's /m
pages show a supplier's orders and financing and a dealer's limit; others see nothing of them.
Also the API's pledge through the process's (sandbox) price feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import World, make_enterprise, make_world

from puhui.core.clock import FixedClock, business_date
from puhui.core.models import Role
from puhui.core.runtime import Runtime
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


@pytest.fixture
def supply(session: Session, clock: FixedClock, runtime: Runtime) -> dict[str, Any]:
    world: World = make_world(session, clock, runtime.cipher)
    c, k = clock, runtime.cipher
    today = business_date(clock)
    order = orders.place_order(
        session,
        c,
        k,
        None,
        OrderCreate(
            buyer_enterprise_id=world.core.id,
            supplier_enterprise_id=world.t1.id,
            amount_fen=10_000_000,
            goods="钢材 steel",
            delivery_date=today + timedelta(days=20),
            maturity_date=today + timedelta(days=100),
        ),
    ).item
    assert order is not None
    orders.confirm_order(session, c, k, None, order.id)
    orders.finance_order(
        session,
        c,
        k,
        None,
        order.id,
        OrderFinance(amount_fen=6_000_000),
        idempotency_key=f"page-{order.id}",
    )
    programme = dealers.create_programme(
        session,
        c,
        k,
        ProgrammeCreate(core_enterprise_id=world.core.id, limit_fen=20_000_000, mode="guarantee"),
    ).item
    assert programme is not None
    dealers.recommend_dealer(
        session,
        c,
        k,
        None,
        programme.id,
        DealerRecommend(
            dealer_enterprise_id=world.t2.id, limit_fen=8_000_000, sales_fen=40_000_000
        ),
    )
    dealers.draw(
        session,
        c,
        k,
        None,
        programme.id,
        DealerDraw(
            dealer_enterprise_id=world.t2.id,
            amount_fen=3_000_000,
            maturity_date=today + timedelta(days=60),
        ),
    )
    wh = make_enterprise(session, clock, "页面仓储")
    warehouse.register_warehouse(session, c, k, wh.id)
    receipt = warehouse.issue_receipt(
        session,
        c,
        k,
        None,
        ReceiptIssue(
            warehouse_enterprise_id=wh.id,
            owner_enterprise_id=world.t1.id,
            goods="大豆 soybean",
            quantity=200_000,
            unit="kg",
            grade="A",
            location="大连北良港 5 号仓",
            policy="CPIC-9",
            policy_expiry=today + timedelta(days=300),
        ),
    ).item
    assert receipt is not None
    warehouse.pledge_receipt(
        session,
        c,
        k,
        None,
        receipt.id,
        ReceiptPledge(line_ref="CL-PAGE", cover_fen=40_000_000),
        SandboxPriceFeed(),
        3_000,
    )
    warehouse.release_goods(
        session,
        c,
        k,
        None,
        receipt.id,
        ReceiptRelease(quantity=50_000, cover_fen=20_000_000),
        SandboxPriceFeed(),
    )
    session.commit()
    return {"world": world, "order": order.id, "programme": programme.id, "receipt": receipt.id}


def test_the_console_lists_the_supply_products_with_labels(
    client: TestClient, supply: dict[str, Any], headers_for: Any
) -> None:
    staff = headers_for(Role.CREDIT_OFFICER)
    page = client.get("/console/supply", headers=staff)
    assert page.status_code == 200
    text = page.text
    assert f'data-order="{supply["order"]}"' in text and "已融资" in text
    assert f'data-programme="{supply["programme"]}"' in text and "核心企业担保" in text
    assert f'data-receipt="{supply["receipt"]}"' in text and "已质押" in text
    assert "¥60,000.00" in text  # the order's financing
    assert "guarantee" not in text and "pledged" not in text  # no raw codes in Chinese
    assert 'href="/console/supply"' in client.get("/console/receivables", headers=staff).text
    detail = client.get(f"/console/supply/receipt/{supply['receipt']}", headers=staff)
    assert detail.status_code == 200
    assert "质押" in detail.text and "解押放货" in detail.text and "CL-PAGE" in detail.text
    english = client.get(f"/console/supply/receipt/{supply['receipt']}?lang=en", headers=staff)
    assert "release of goods" in english.text and "Required cover" in english.text
    assert "解押放货" not in english.text
    assert client.get("/console/supply/order/PO0000000000", headers=staff).status_code == 404


def test_borrowers_see_their_orders_and_dealer_limits(
    client: TestClient, supply: dict[str, Any], headers_for: Any
) -> None:
    world: World = supply["world"]
    supplier = headers_for(Role.BORROWER, [world.t1.id])
    page = client.get("/m/supply", headers=supplier)
    assert page.status_code == 200
    assert supply["order"] in page.text and "已融资 ¥60,000.00" in page.text
    assert supply["receipt"] in page.text
    assert 'href="/m/supply"' in client.get("/m/receivables", headers=supplier).text
    dealer = client.get("/m/supply", headers=headers_for(Role.BORROWER, [world.t2.id]))
    assert "可用 ¥50,000.00" in dealer.text and supply["order"] not in dealer.text
    outsider = headers_for(Role.BORROWER, [world.t2b.id])
    assert supply["order"] not in client.get("/m/supply", headers=outsider).text
    assert client.get(f"/m/supply/order/{supply['order']}", headers=outsider).status_code == 404
    assert client.get(f"/m/supply/order/{supply['order']}", headers=supplier).status_code == 200


def test_the_api_pledge_uses_the_sandbox_feed_and_says_so(
    client: TestClient,
    supply: dict[str, Any],
    headers_for: Any,
    session: Session,
    clock: FixedClock,
    runtime: Runtime,
) -> None:
    world: World = supply["world"]
    wh = make_enterprise(session, clock, "接口仓储")
    warehouse.register_warehouse(session, clock, runtime.cipher, wh.id)
    receipt = warehouse.issue_receipt(
        session,
        clock,
        runtime.cipher,
        None,
        ReceiptIssue(
            warehouse_enterprise_id=wh.id,
            owner_enterprise_id=world.t1.id,
            goods="棉花 cotton",
            quantity=10_000,
            unit="kg",
            grade="A",
            location="乌鲁木齐 2 号库",
            policy="P-2",
            policy_expiry=business_date(clock) + timedelta(days=90),
        ),
    ).item
    assert receipt is not None
    session.commit()
    owner = headers_for(Role.BORROWER, [world.t1.id])
    url = f"/api/v1/receivables/receipts/{receipt.id}/pledge"
    out = client.post(url, json={"line_ref": "CL-API", "cover_fen": 5_000_000}, headers=owner)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["price_sandbox"] is True and body["item"]["status"] == "pledged"
    again = client.post(url, json={"line_ref": "CL-X", "cover_fen": 1}, headers=owner)
    assert again.status_code == 409 and again.json()["code"] == "receivables.double_pledge"
    other = headers_for(Role.BORROWER, [world.t2b.id])
    assert (
        client.post(url, json={"line_ref": "CL-Y", "cover_fen": 1}, headers=other).status_code
        == 404
    )
