"""Every console list pages and searches: 1,000 enterprises (page 1, the last page reached by
its link, a search that narrows), the portfolio's applications and loans, the review queue,
the receivable certificates, the audit trail; and a list page issues as many SQL statements for
many rows as for few (no query per row)."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import token_for
from tests.integration.receivables.receivables_world import FACE, make_world
from tests.integration.reporting import cockpit_world
from tests.integration.reporting.test_reporting_cockpit import _statements

from puhui.core.db import table_insert
from puhui.core.ids import new_id
from puhui.core.models import Role, User
from puhui.core.runtime import Runtime
from puhui.decisioning.models import Application
from puhui.parties.models import Enterprise
from puhui.reporting import lists
from puhui.reporting.sql import like_pattern


def _enterprises(session: Session, n: int, prefix: str = "分页测试企业") -> list[dict[str, Any]]:
    """`n` enterprises named prefix0001…, registered in that order (ids are time-sortable)."""
    ids = [new_id() for _ in range(n)]
    rows = [
        {
            "id": ids[i - 1],
            "name": f"{prefix}{i:04d}",
            "uscc": f"91{ids[i - 1].hex[-16:]}".upper(),
            "industry_section": "F",
            "region_code": "330100",
            "region_name": "浙江省杭州市",
            "registered_capital_fen": 100_000_000,
            "established_date": date(2018, 3, 1),
            "size_class": "small",
            "branch": None,
            "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        }
        for i in range(1, n + 1)
    ]
    session.execute(table_insert(Enterprise), rows)
    return rows


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/console/enterprises/[^"]+">([^<]+)</a>', page)


def _position(page: str, testid: str = "pager") -> str:
    match = re.search(rf'data-testid="{testid}-position">([^<]+)<', page)
    assert match is not None, testid
    return match.group(1)


def _link(page: str, rel: str, testid: str = "pager") -> str:
    nav = re.search(rf'data-testid="{testid}".*?</nav>', page, re.S)
    assert nav is not None
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', nav.group(0))
    assert match is not None, rel
    return html.unescape(match.group(1))


def test_1000_enterprises_page_by_page(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    before = session.scalar(select(func.count()).select_from(Enterprise)) or 0
    rows = _enterprises(session, 1_000)
    session.commit()
    staff = headers_for(Role.CREDIT_OFFICER)
    total = before + 1_000
    pages = -(-total // 50)

    first = client.get("/console/enterprises", headers=staff)
    assert first.status_code == 200
    assert _position(first.text) == f"第 1 / {pages} 页"
    assert f"共 {total} 条" in first.text
    assert len(_names(first.text)) == 50
    if before == 0:
        assert _names(first.text) == [r["name"] for r in rows[:50]]
    assert 'rel="prev"' not in first.text  # nothing before the first page

    last = client.get(_link(first.text, "last"), headers=staff)
    assert last.status_code == 200
    assert _position(last.text) == f"第 {pages} / {pages} 页"
    shown = _names(last.text)
    assert shown == [r["name"] for r in rows[-len(shown) :]]
    assert shown[-1] == "分页测试企业1000"
    assert 'rel="next"' not in last.text
    previous = client.get(_link(last.text, "prev"), headers=staff)
    assert _position(previous.text) == f"第 {pages - 1} / {pages} 页"

    # beyond the last page: the last page
    beyond = client.get(f"/console/enterprises?page={pages + 5}", headers=staff)
    assert _position(beyond.text) == f"第 {pages} / {pages} 页"

    # the search narrows: by name, by USCC, by part of a name (then it pages too)
    one = client.get("/console/enterprises", params={"q": "分页测试企业0777"}, headers=staff)
    assert _names(one.text) == ["分页测试企业0777"]
    assert _position(one.text) == "第 1 / 1 页"
    by_code = client.get("/console/enterprises", params={"q": rows[41]["uscc"]}, headers=staff)
    assert _names(by_code.text) == ["分页测试企业0042"]
    some = client.get("/console/enterprises", params={"q": "分页测试企业09"}, headers=staff)
    assert _position(some.text) == "第 1 / 2 页" and "共 100 条" in some.text
    second = client.get(_link(some.text, "next"), headers=staff)
    assert "q=" in _link(some.text, "next")  # the search is kept while paging
    assert _names(second.text) == [f"分页测试企业{i:04d}" for i in range(950, 1000)]
    none = client.get("/console/enterprises", params={"q": "没有这家企业"}, headers=staff)
    assert _names(none.text) == [] and "没有符合条件的记录" in none.text

    english = client.get("/console/enterprises?lang=en", headers=staff)
    assert f"Page 1 of {pages}" in english.text and "Last" in english.text


def test_the_search_takes_wildcards_literally(session: Session) -> None:
    _enterprises(session, 3, prefix="通配_测试%")
    _enterprises(session, 2, prefix="通配X测试Y")
    assert like_pattern(" 50%_\\ ") == "%50\\%\\_\\\\%"
    found = lists.enterprises(session, q="通配_测试%")
    assert found.total == 3 and found.pages == 1
    assert lists.enterprises(session, q="_").total >= 3


def test_portfolio_pages_and_searches_applications_and_loans(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    session.commit()
    admin = headers_for(Role.ADMIN)
    page = client.get("/console/portfolio", headers=admin)
    assert page.status_code == 200
    assert _position(page.text, "applications-pager") == "第 1 / 1 页"
    assert 'data-testid="total-applications">10<' in page.text
    assert page.text.count("/console/loans/") == 7  # the loans under the applications' lines

    reference = session.scalar(
        select(Application.reference).where(Application.id == world.apps["referred"])
    )
    assert reference is not None
    found = client.get("/console/portfolio", params={"q": reference.lower()}, headers=admin)
    assert found.text.count(reference) == 1
    assert "没有符合条件的记录" in found.text  # no loan has that reference

    # a customer manager sees their own only
    manager = session.get(User, world.managers["b"])
    token = token_for(session, runtime, manager)
    mine = client.get("/console/portfolio", headers={"Authorization": f"Bearer {token}"})
    assert 'data-testid="total-applications">4<' in mine.text
    assert mine.text.count("/console/loans/") == 2


def test_portfolio_pages_at_fifty_rows_with_the_same_statements(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, headers_for: Any
) -> None:
    """The old portfolio looked up each application's enterprise and each line's loans."""
    admin = headers_for(Role.ADMIN)
    counts = {}
    for n in (5, 120):
        have = session.scalar(select(func.count()).select_from(Application)) or 0
        firms = _enterprises(session, n - have, prefix=f"组合{n}-")
        session.execute(
            table_insert(Application),
            [_application(f["id"], i, runtime.clock.now()) for i, f in enumerate(firms)],
        )
        session.commit()
        client.get("/console/portfolio", headers=admin)
        with _statements(engine) as seen:
            page = client.get("/console/portfolio?page=3", headers=admin)
        counts[n] = len(seen)
        assert page.status_code == 200
    assert _position(page.text, "applications-pager") == "第 3 / 3 页"
    assert page.text.count("<td>APP-") == 20
    assert counts[5] == counts[120], counts


def _application(enterprise_id: uuid.UUID, i: int, now: datetime) -> dict[str, Any]:
    app_id = new_id()
    return {
        "id": app_id,
        "reference": f"APP-{app_id.hex[-12:]}".upper(),
        "enterprise_id": enterprise_id,
        "product_code": "weiyedai",
        "requested_amount_fen": 10_000_000 + i,
        "requested_term_months": None,
        "declared_annual_revenue_fen": None,
        "status": "submitted",
        "applicant_user_id": None,
        "applicant_role": "customer_manager",
        "legal_rep_person_id": None,
        "contact_mobile_hash": None,
        "manager_user_id": None,
        "team_code": None,
        "channel_key": "test",
        "green_channel": False,
        "latest_decision_id": None,
        "credit_line_id": None,
        "created_at": now,
        "updated_at": now,
        "decided_at": None,
    }


def test_the_review_queue_pages_and_searches(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    session.commit()
    officer = headers_for(Role.CREDIT_OFFICER)
    reference = session.scalar(
        select(Application.reference).where(Application.id == world.apps["referred"])
    )
    assert reference is not None
    queue = client.get("/console/reviews", headers=officer)
    assert queue.status_code == 200 and reference in queue.text
    assert _position(queue.text).startswith("第 1 / 1 页")
    found = client.get("/console/reviews", params={"q": reference}, headers=officer)
    assert reference in found.text and "共 1 条" in found.text
    none = client.get("/console/reviews", params={"q": "NOPE-0000"}, headers=officer)
    assert reference not in none.text and "没有符合条件的记录" in none.text


def test_certificates_page_and_search(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = make_world(session, runtime.clock, runtime.cipher)
    certs = [world.active(FACE // 10) for _ in range(3)]
    session.commit()
    staff = headers_for(Role.AUDITOR)
    page = client.get("/console/receivables", headers=staff)
    assert page.status_code == 200
    assert all(c in page.text for c in certs)
    assert _position(page.text) == "第 1 / 1 页"
    one = client.get("/console/receivables", params={"q": certs[1]}, headers=staff)
    assert certs[1] in one.text and certs[0] not in one.text and "共 1 条" in one.text
    by_issuer = client.get("/console/receivables", params={"q": world.core.name}, headers=staff)
    assert all(c in by_issuer.text for c in certs)
    none = client.get("/console/receivables", params={"q": "不存在的核心企业"}, headers=staff)
    assert certs[0] not in none.text and "没有符合条件的记录" in none.text
    found = lists.certificates(session, status="active", q=world.t1.name)
    assert {r.id for r in found.rows} >= set(certs)
    assert all(r.live_parts == 1 and r.live_fen == FACE // 10 for r in found.rows)


def test_the_audit_trail_pages(client: TestClient, session: Session, headers_for: Any) -> None:
    _enterprises(session, 1)
    session.commit()
    auditor = headers_for(Role.AUDITOR)
    page = client.get("/console/audit", headers=auditor)
    assert page.status_code == 200 and _position(page.text).startswith("第 1 / ")
    total = lists.audit_events(session).total
    assert f"共 {total} 条" in page.text
