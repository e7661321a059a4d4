"""The payments pages over HTTP: a borrower registers another bank's account, verifies it by a
micro-credit, draws to it; staff see the payment with its messages and reconcile the day."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise, make_line
from tests.integration.payments.payments_factories import OTHER_BANK

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.payments import accounts
from puhui.payments import service as payments
from puhui.payments.rails import SandboxRail, use_rail


def test_borrower_verifies_an_account_by_micro_credit_and_draws_to_it(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    enterprise = make_enterprise(session, runtime.clock)
    line = make_line(session, runtime.clock, enterprise.id)
    session.commit()
    me = headers_for(Role.BORROWER, [enterprise.id])
    with use_rail(SandboxRail()):
        page = client.get("/m/payments", headers=me)
        assert page.status_code == 200 and "沙箱" in page.text and "谨防诈骗" in page.text
        added = client.post(
            "/m/payments/accounts",
            data={
                "holder_name": "杭州测试贸易有限公司",
                "number": "6222 0000 1111 7777",
                "bank_code": OTHER_BANK,
                "bank_name": "某某银行",
            },
            headers=me,
        )
        assert added.status_code == 200
        [account] = accounts.accounts_of(session, enterprise.id)
        assert account.number_masked == "6222 **** **** 7777"
        assert "6222000011117777" not in added.text
        client.post(f"/m/payments/accounts/{account.id}/micro-credit", headers=me)
        page = client.get("/m/payments", headers=me)
        shown = re.search(r'data-testid="sandbox-amount">([^<]+)<', page.text)
        assert shown is not None, page.text
        amount = shown.group(1).replace("¥", "").replace("元", "").replace(",", "").strip()
        wrong = client.post(
            f"/m/payments/accounts/{account.id}/confirm", data={"amount_yuan": "5.55"}, headers=me
        )
        assert "还可尝试 2 次" in wrong.text or "2 tries left" in wrong.text
        client.post(
            f"/m/payments/accounts/{account.id}/confirm", data={"amount_yuan": amount}, headers=me
        )
        session.refresh(account)
        assert account.status == "verified"
        line_page = client.get(f"/m/lines/{line.id}", headers=me)
        assert 'data-testid="payout-7777"' in line_page.text
        drawn = client.post(
            f"/m/lines/{line.id}/drawdowns",
            data={
                "key": uuid.uuid4().hex,
                "amount_yuan": "20000",
                "payout_account_id": str(account.id),
            },
            headers=me,
        )
        assert drawn.status_code == 200
        mine = payments.payments_of(session, enterprise.id)
        assert {p.source_type: p.status for p in mine} == {
            "drawdown": "settled",
            "verification": "settled",
        }
        staff = headers_for(Role.RISK_OFFICER)
        listing = client.get("/console/payments", headers=staff)
        assert listing.status_code == 200 and "已到账" in listing.text
        drawdown = next(p for p in mine if p.source_type == "drawdown")
        detail = client.get(f"/console/payments/{drawdown.id}", headers=staff)
        assert "付款指令 pain.001" in detail.text and "CstmrCdtTrfInitn" in detail.text
        recon = client.post(
            "/console/reconciliation", data={"day": str(drawdown.business_date)}, headers=staff
        )
        assert recon.status_code == 200 and "无差错" in recon.text
