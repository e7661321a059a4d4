"""The console's servicing pages render in words (no raw codes) for the roles that read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import draw, make_enterprise, make_line

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending.servicing import eod as servicing_eod
from puhui.lending.servicing import pricing
from puhui.lending.servicing import service as servicing


def test_servicing_overview_and_relief_queue(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, term_months=3)
    loan = draw(session, clock, line.id, 1_000_000, term_months=3)
    borrower = principal_of(make_user(session, runtime, Role.BORROWER, enterprise_ids=[ent.id]))
    req = servicing.submit(
        session, clock, borrower, loan.id, kind=servicing.ReliefRequestKind.DEFERRAL, months=2,
        reason="资金周转困难",
    )  # fmt: skip
    maker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    pricing.enter_lpr(
        session, clock, maker, published_date=date(2026, 11, 20), tenor="1y", rate_bp=300
    )
    servicing_eod.maturity_notices(session, clock, loan.maturity_date - date.resolution * 30)
    session.commit()
    officer = headers_for(Role.CREDIT_OFFICER)
    page = client.get("/console/servicing", headers=officer)
    assert page.status_code == 200, page.text
    for words in ("借款到期提醒", "待复核", "1 年期", "3.00%", "今日试算", "账龄分布"):
        assert words in page.text, words
    for code in ("loan_maturity", ">pending<", ">1y<"):
        assert code not in page.text, code
    queue = client.get("/console/servicing/relief", headers=officer)
    assert queue.status_code == 200 and req.reference in queue.text and "延期还本付息" in queue.text
    detail = client.get(f"/console/servicing/relief/{req.id}", headers=officer)
    assert detail.status_code == 200 and "资金周转困难" in detail.text
    assert ">deferral<" not in detail.text and ">submitted<" not in detail.text
    assert client.get("/console/servicing", headers=headers_for(Role.AUDITOR)).status_code == 403

    export = client.get("/console/servicing/export.csv", headers=headers_for(Role.CUSTOMER_MANAGER))
    assert export.status_code == 200 and export.content.decode("utf-8-sig").startswith("借据编号")
    assert ent.uscc not in export.content.decode("utf-8-sig")  # masked for a manager
    xlsx = client.get("/console/servicing/export.xlsx", headers=headers_for(Role.RISK_OFFICER))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
