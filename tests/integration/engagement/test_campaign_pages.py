"""Campaigns, the /m inbox and landing, and the workbench over HTTP (issue 18 items 3, 4)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import business_date
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.engagement import service as engagement
from puhui.engagement import workbench
from puhui.engagement.models import Campaign, CampaignTouch


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_a_campaign_is_drafted_approved_by_another_sent_and_lands_on_m(
    client: TestClient, headers_for: Any, session: Session, runtime: Runtime
) -> None:
    ent = make_enterprise(session, runtime.clock, "页面测试贸易有限公司")  # type: ignore[arg-type]
    borrower = make_user(session, runtime, Role.BORROWER, enterprise_ids=[ent.id])
    engagement.run_segments(session, runtime.clock, business_date(runtime.clock))
    session.commit()
    manager, risk = headers_for(Role.CUSTOMER_MANAGER), headers_for(Role.RISK_OFFICER)
    page = client.get("/console/campaigns", headers=manager)
    assert page.status_code == 200 and "起草营销活动" in page.text
    form = {
        "csrf_token": _csrf(page.text), "name": "新开户欢迎", "audience_kind": "segment",
        "segment": "new_account", "channel": "in_app", "scheduled_at": "2026-11-23T09:00",
        "template": "{name}您好，欢迎使用线上经营贷，详情 {link}",
    }  # fmt: skip
    resp = client.post("/console/campaigns", headers=manager, data=form, follow_redirects=False)
    assert resp.status_code == 303
    url = resp.headers["location"]
    assert "草稿" in client.get(url, headers=manager).text
    # the author cannot approve (not a compliance role, and maker-checker besides)
    assert client.post(f"{url}/approve", headers=manager, follow_redirects=False).status_code == 403
    resp = client.post(f"{url}/approve", headers=risk, follow_redirects=False)
    assert resp.status_code == 303
    resp = client.post(f"{url}/send", headers=manager, follow_redirects=False)
    assert resp.status_code == 303
    shown = client.get(url, headers=manager).text
    assert "已发送" in shown and 'data-testid="funnel"' in shown and "已触达" in shown
    campaign_id = uuid.UUID(url.rsplit("/", 1)[1])
    token = session.scalars(
        select(CampaignTouch.token).where(
            CampaignTouch.campaign_id == campaign_id, CampaignTouch.enterprise_id == ent.id
        )
    ).one()
    from tests.conftest import token_for

    mine = {"Authorization": f"Bearer {token_for(session, runtime, borrower)}"}
    inbox = client.get("/m/inbox", headers=mine).text
    assert "页面测试贸易有限公司您好" in inbox and f"/m/c/{token}" in inbox
    for _ in range(2):  # the landing counts the visit once
        resp = client.get(f"/m/c/{token}", headers=mine, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/m/apply"
    funnel = client.get(url, headers=manager).text
    assert re.search(r"访问</th><td class=\"num\">1<", funnel)
    session.expire_all()
    assert session.get(Campaign, campaign_id).status == "sent"  # type: ignore[union-attr]


def test_the_workbench_from_task_to_call_outcome(
    client: TestClient, headers_for: Any, session: Session, runtime: Runtime
) -> None:
    ent = make_enterprise(session, runtime.clock, "续贷测试贸易有限公司")  # type: ignore[arg-type]
    make_line(session, runtime.clock, ent.id, expiry_days=15)  # type: ignore[arg-type]
    day = business_date(runtime.clock)
    engagement.run_segments(session, runtime.clock, day)
    assert workbench.build_tasks(session, runtime.clock, day) == 2  # renewal + never drawn
    session.commit()
    manager = headers_for(Role.CUSTOMER_MANAGER)
    home = client.get("/console/", headers=manager).text
    assert "今日到期" in home and "/console/workbench?team=manager" in home  # the home card
    page = client.get("/console/workbench", headers=manager).text
    assert "续贷测试贸易有限公司" in page and "到期续贷" in page
    assert f"/console/enterprises/{ent.id}" in page
    task_id = re.search(r"/console/workbench/([0-9a-f-]{36})/outcome", page).group(1)  # type: ignore[union-attr]
    resp = client.post(
        f"/console/workbench/{task_id}/outcome", headers=manager,
        data={"csrf_token": _csrf(page), "outcome": "interested", "note": "下周来签约"},
        follow_redirects=False,
    )  # fmt: skip
    assert resp.status_code == 303
    assert 'data-testid="no-tasks"' in client.get("/console/workbench", headers=manager).text
    remote = client.get("/console/workbench?team=remote", headers=headers_for(Role.SERVICE_REP))
    assert "指导完成线上提款" in remote.text


def test_a_customer_manager_sees_their_own_clients_tasks_and_the_unassigned(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    """The manager's workbench is per manager: their clients' tasks and those of enterprises no
    manager holds; another manager's clients only under 全部客户. The home card counts the same."""
    from tests.conftest import token_for
    from tests.integration.lending.servicing_factories import decision_for

    from puhui.decisioning.models import Application, Decision
    from puhui.engagement.models import CallTask

    clock = runtime.clock
    me = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    other = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    day = business_date(clock)

    def client_of(manager: Any, name: str) -> uuid.UUID:
        ent = make_enterprise(session, clock, name)  # type: ignore[arg-type]
        if manager is not None:
            decision = session.get(Decision, decision_for(session, clock, ent.id))  # type: ignore[arg-type]
            app = session.get(Application, decision.application_id)  # type: ignore[union-attr]
            app.manager_user_id = manager.id  # type: ignore[union-attr]
        task = CallTask(enterprise_id=ent.id, source="renewal", team="manager",
                        value_fen=10_000_000, due_date=day, created_at=clock.now())  # fmt: skip
        session.add(task)
        return ent.id

    client_of(me, "我的客户贸易有限公司")
    client_of(None, "未分配客户贸易有限公司")
    client_of(other, "别人客户贸易有限公司")
    session.commit()
    own = workbench.open_tasks(session, workbench.CallTeam.MANAGER, day, manager_id=me.id)
    assert len(own) == 2

    mine = {"Authorization": f"Bearer {token_for(session, runtime, me)}"}
    page = client.get("/console/workbench", headers=mine).text
    assert "我的客户贸易有限公司" in page and "未分配客户贸易有限公司" in page
    assert "别人客户贸易有限公司" not in page and 'data-testid="task-scope"' in page
    everyone = client.get("/console/workbench?team=manager&scope=all", headers=mine).text
    assert "别人客户贸易有限公司" in everyone
    home = client.get("/console/", headers=mine).text
    card = home[home.index('data-testid="card-follow_ups"') :]
    assert re.search(r"今日到期.{0,200}?>2<", card, re.S), card[:600]
