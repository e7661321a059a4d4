"""Issue 21: the portfolio and the cockpit read one model (`reporting.book`), so their totals
are equal — for everyone's book and for one manager's — and each figure says what it counts
(its definition on hover, zh and en)."""

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
from puhui.reporting import book, lists
from puhui.reporting.cockpit import Scope, cockpit_data


def _figure(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]+)<', html)
    assert match, testid
    return match.group(1).strip()


def test_portfolio_and_cockpit_totals_are_equal(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    session.commit()
    manager = session.get(User, world.managers["b"])
    assert manager is not None
    for manager_id, headers in (
        (None, headers_for(Role.ADMIN)),
        (manager.id, {"Authorization": f"Bearer {token_for(session, runtime, manager)}"}),
    ):
        cockpit = cockpit_data(session, runtime.clock, Scope(manager_id=manager_id))
        totals = lists.portfolio_totals(session, manager_id)
        assert totals.applications == cockpit["applications"]
        assert totals.balance_fen == cockpit["balance_fen"]
        assert totals.overdue_fen == cockpit["overdue_fen"]
        assert totals.loans == cockpit["loans"]
        page = client.get("/console/portfolio", headers=headers).text
        assert _figure(page, "total-applications") == str(cockpit["applications"])
        assert _figure(page, "total-balance") == format_fen(cockpit["balance_fen"])
        assert _figure(page, "total-overdue") == format_fen(cockpit["overdue_fen"])
        # the loans listed are the loans counted
        assert lists.loans(session, manager_id=manager_id, size=500).total == cockpit["loans"]


def test_every_figure_shows_its_definition_in_both_languages(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    cockpit_world.build(session, runtime.clock)
    session.commit()
    admin = headers_for(Role.ADMIN)
    for lang in ("zh", "en"):
        client.get(f"/console/lang/{lang}", headers=admin)
        for path in ("/console/portfolio", "/console/cockpit"):
            html = client.get(path, headers=admin).text
            for key in ("applications", "balance_fen", "overdue_fen"):
                assert f'title="{book.definition(key, lang)}"' in html, (path, lang, key)
    assert all(zh and en and zh != en for zh, en in book.DEFINITIONS.values())
