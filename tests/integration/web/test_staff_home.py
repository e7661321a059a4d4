"""Issue 21: the staff home (工作台) is worth opening — each role sees today's work with links:
a credit officer the reviews due with their SLA in hours or days, a risk officer policies
awaiting approval and overdue loans, a manager their own book, an auditor the audit trail; the
day's numbers use the cockpit's definitions; times in China time with the zone."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import token_for
from tests.integration.reporting import cockpit_world

from puhui.core.models import Role, User
from puhui.core.money import format_fen
from puhui.core.runtime import Runtime
from puhui.reporting import book
from puhui.reporting.home import Card, Text, card, cards_for


def _cards(html: str) -> list[str]:
    return re.findall(r'data-testid="card-([a-z_]+)"', html)


def test_each_role_sees_its_work(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    session.commit()
    officer = client.get("/console/", headers=headers_for(Role.CREDIT_OFFICER)).text
    assert _cards(officer)[:2] == ["reviews", "policies"]
    assert 'data-testid="count-reviews">' in officer
    assert re.search(r"(还剩|已超时) \d+ (分钟|小时|天)", officer)  # SLA in words (reporting.sla)
    assert "/console/reviews/" in officer and "北京时间" in officer
    risk = client.get("/console/", headers=headers_for(Role.RISK_OFFICER)).text
    assert {"reviews", "policies", "receivables", "alerts", "numbers"} <= set(_cards(risk))
    auditor = client.get("/console/", headers=headers_for(Role.AUDITOR)).text
    assert "audit" in _cards(auditor) and "/console/audit" in auditor
    service = client.get("/console/", headers=headers_for(Role.SERVICE_REP)).text
    assert _cards(service)[0] == "service"
    # a manager's numbers are their own book, as the portfolio and the cockpit count it
    manager = session.get(User, world.managers["b"])
    assert manager is not None
    mine = client.get(
        "/console/", headers={"Authorization": f"Bearer {token_for(session, runtime, manager)}"}
    ).text
    totals = book.book_totals(session, book.Scope(manager_id=manager.id))
    assert format_fen(totals.balance_fen) in mine and "reviews" not in _cards(mine)
    client.get("/console/lang/en", headers=headers_for(Role.RISK_OFFICER))
    english = client.get("/console/", headers=headers_for(Role.RISK_OFFICER)).text
    assert "Approved / declined today" in english and "China time" in english


def test_a_domain_adds_its_own_card(
    session: Session, runtime: Runtime, headers_for: Any, client: TestClient
) -> None:
    @card(Role.SERVICE_REP, order=1)
    def tickets(session: Any, clock: Any, principal: Any) -> Card:
        return Card("tickets", Text("工单", "Tickets"), 3)

    try:
        html = client.get("/console/", headers=headers_for(Role.SERVICE_REP)).text
        assert _cards(html)[0] == "tickets" and 'data-testid="count-tickets">3<' in html
    finally:
        from puhui.reporting import home

        home._REGISTRY[:] = [r for r in home._REGISTRY if r.provider is not tickets]
    assert cards_for is not None
