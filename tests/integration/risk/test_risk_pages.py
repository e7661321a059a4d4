"""The risk workbench and API over HTTP: a manager works an alert to a proposed freeze, a risk
officer approves it, the borrower's line page says why no drawdown is possible; the API
refuses a resolution without a disposition and a self-approval."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock, business_date
from puhui.core.models import Role
from puhui.lending import service as lending
from puhui.risk import alerts
from puhui.risk.models import Level

REASONS = [{"code": "W_ENFORCEMENT", "zh": "新增被执行案件", "en": "New enforcement case"}]
HITS = [{"code": "enforcement_new", "month": "2026-10-01", "value": 1, "baseline": 0,
         "zh": "新增被执行案件 1 件", "en": "1 new enforcement case", "evidence": {}}]  # fmt: skip


def _alert(session: Session, clock: FixedClock, enterprise_id: Any) -> Any:
    alert, _ = alerts.raise_alert(
        session, clock, enterprise_id=enterprise_id, signal_code="W_ENFORCEMENT",
        level=Level.ORANGE, reasons=REASONS, evidence={"hits": HITS}, day=business_date(clock),
    )  # fmt: skip
    session.commit()
    return alert


def test_a_manager_works_an_alert_to_a_freeze_and_the_borrower_sees_why(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock, name="宁波预警测试有限公司")
    line = make_line(session, clock, ent.id)
    alert = _alert(session, clock, ent.id)
    manager = headers_for(Role.CUSTOMER_MANAGER)
    officer = headers_for(Role.RISK_OFFICER)

    bench = client.get("/console/risk", headers=manager)
    assert bench.status_code == 200 and "宁波预警测试有限公司" in bench.text
    assert "新增被执行案件" in bench.text and 'data-level="orange"' in bench.text
    assert "W_ENFORCEMENT" not in bench.text  # words, never codes
    home = client.get("/console/", headers=headers_for(Role.RISK_OFFICER))
    assert 'data-testid="card-risk_warnings"' in home.text and "橙色预警 1" in home.text
    assert "1 天内 1" in home.text
    page = client.get(f"/console/risk/alerts/{alert.id}", headers=manager)
    assert "新增被执行案件 1 件" in page.text  # the data behind the signal

    for step in ("assign", "investigate"):
        r = client.post(f"/console/risk/alerts/{alert.id}/{step}", headers=manager)
        assert r.status_code == 200 and r.history[0].status_code == 303
    r = client.post(
        "/console/risk/actions",
        data={"enterprise_id": str(ent.id), "alert_id": str(alert.id), "kind": "freeze",
              "line_id": str(line.id), "reason": "被执行，冻结额度"},
        headers=manager,
    )  # fmt: skip
    assert r.status_code == 200 and "待复核" in r.text
    session.expire_all()
    assert lending.get_line(session, line.id).status == "active"  # not before the checker

    pending = client.get("/api/v1/risk/actions", headers=officer).json()
    assert [p["kind"] for p in pending] == ["freeze"]
    approved = client.post(f"/console/risk/actions/{pending[0]['id']}/approve", headers=officer)
    assert approved.status_code == 200
    session.expire_all()
    assert lending.get_line(session, line.id).status == "frozen"

    borrower = headers_for(Role.BORROWER, [ent.id])
    mine = client.get(f"/m/lines/{line.id}", headers=borrower)
    assert 'data-testid="drawdown-refusal"' in mine.text and "被执行，冻结额度" in mine.text

    resolved = client.post(
        f"/console/risk/alerts/{alert.id}/resolve",
        data={"disposition": "action_taken", "note": "已冻结额度"},
        headers=manager,
    )
    assert resolved.status_code == 200
    timeline = client.get(f"/console/risk/enterprises/{ent.id}", headers=manager)
    assert "冻结额度" in timeline.text and "已关闭" in timeline.text


def test_the_api_refuses_a_resolution_without_disposition_and_a_self_approval(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    alert = _alert(session, clock, ent.id)
    officer = headers_for(Role.RISK_OFFICER)
    r = client.post(f"/api/v1/risk/alerts/{alert.id}/resolve", json={"note": "x"}, headers=officer)
    assert r.status_code == 422
    proposed = client.post(
        "/api/v1/risk/actions",
        json={"enterprise_id": str(ent.id), "kind": "limit_cut", "line_id": str(line.id),
              "reason": "压降", "new_limit_fen": 10_000_000},
        headers=officer,
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    own = client.post(f"/api/v1/risk/actions/{proposed.json()['id']}/approve", json={},
                      headers=officer)  # fmt: skip
    assert own.status_code == 409 and own.json()["code"] == "risk_action_same_officer"
    other = client.post(f"/api/v1/risk/actions/{proposed.json()['id']}/approve", json={},
                        headers=headers_for(Role.ADMIN))  # fmt: skip
    assert other.status_code == 200 and other.json()["status"] == "executed"
    session.expire_all()
    assert lending.get_line(session, line.id).limit_fen == 10_000_000
    borrower = client.get("/api/v1/risk/alerts", headers=headers_for(Role.BORROWER, [ent.id]))
    assert borrower.status_code == 403


def test_rules_are_submitted_replayed_and_approved_on_the_console(
    client: TestClient, headers_for: Any, session: Session, clock: FixedClock
) -> None:
    import json

    from puhui.risk import governance

    maker = headers_for(Role.RISK_OFFICER)
    page = client.get("/console/risk/rules", headers=maker)
    assert page.status_code == 200 and 'data-testid="rules-1"' in page.text and "生效" in page.text
    document = governance.active_rules(session, clock).document
    edited = {**document, "version": 2, "title_zh": "预警规则（收紧）"}
    r = client.post(
        "/console/risk/rules",
        data={"document": json.dumps(edited, ensure_ascii=False), "note": "收紧标题"},
        headers=maker,
    )
    assert r.status_code == 200 and 'data-testid="replay-2"' in r.text and "待审批" in r.text
    assert "approve" not in r.text.split('data-testid="rules-2"')[1].split("</article>")[0]
    checker = headers_for(Role.ADMIN)  # not a rules editor: refused
    assert client.post(f"/console/risk/rules/{governance.list_rules(session)[0].id}/approve",
                       data={"note": "ok"}, headers=checker).status_code == 403  # fmt: skip
