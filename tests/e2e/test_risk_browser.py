"""Early warning in a real browser (issue 14): a customer manager works an alert from the risk
workbench to a proposed freeze, a risk officer approves it, the borrower sees on the phone why
no drawdown is possible; then the line is unfrozen the same way and the alert resolved."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login

from puhui.core.clock import SystemClock, business_date
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.demo.world import DEMO_BORROWER_MOBILE
from puhui.lending import service as lending
from puhui.parties import service as parties
from puhui.risk import alerts
from puhui.risk.models import Level

DEMO_USCC = "91330100799655058B"  # the demo borrower's enterprise (陈示例)
REASON = {"code": "W_ENFORCEMENT", "zh": "新增被执行案件", "en": "New enforcement case"}
HIT = {"code": "enforcement_new", "month": "2026-10-01", "value": 1, "baseline": 0,
       "zh": "本月新增被执行案件 1 件", "en": "1 new enforcement case", "evidence": {}}  # fmt: skip


def _scenario(live_server: LiveServer) -> tuple[str, str]:
    """An active line of the demo enterprise and an orange alert on it, written straight into
    the server's database (as monitoring would): (line id, alert id)."""
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    clock = SystemClock()
    with unit_of_work(make_session_factory(engine)) as session:
        ent = parties.find_enterprise(session, DEMO_USCC)
        assert ent is not None
        line = lending.create_line_from_offer(
            session, clock, enterprise_id=ent.id, product_code="weiyedai",
            limit_fen=30_000_000, rate_bp=435, term_months=12,
            expiry_date=business_date(clock) + timedelta(days=300), decision_id=uuid.uuid4(),
            repayment_method="interest_first",
        )  # fmt: skip
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
        alert, _ = alerts.raise_alert(
            session, clock, enterprise_id=ent.id, signal_code="W_ENFORCEMENT",
            level=Level.ORANGE, reasons=[REASON], evidence={"hits": [HIT]},
            day=business_date(clock),
        )  # fmt: skip
        ids = (str(line.id), str(alert.id))
    engine.dispose()
    return ids


def _propose(page, line_id: str, kind: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    form = page.get_by_test_id("propose-form")
    form.get_by_label("措施").select_option(kind)
    form.get_by_label("授信额度").select_option(line_id)
    form.get_by_label("理由").fill(reason)
    form.get_by_test_id("propose").click()


def _approve(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    staff_login(page, live_server, "risk")
    page.goto(f"{live_server.url}/console/risk")
    page.get_by_test_id("approve-action").first.click()
    page.wait_for_url(re.compile(r"/console/risk"))


def _borrower_sees(phone, live_server: LiveServer, line_id: str) -> str:  # type: ignore[no-untyped-def]
    phone.goto(f"{live_server.url}/m/lines/{line_id}")
    if "/m/start" in phone.url or "/m/login" in phone.url:
        phone.goto(f"{live_server.url}/m/start")
        phone.get_by_label("手机号").fill(DEMO_BORROWER_MOBILE)
        phone.get_by_role("button", name="获取验证码").click()
        phone.wait_for_url(re.compile(r"/m/login/verify$"))
        phone.get_by_label("6 位验证码").fill(phone.get_by_test_id("sandbox-code").inner_text())
        phone.get_by_role("button", name="登录").click()
        phone.wait_for_url(re.compile(r"/m/"))
        phone.goto(f"{live_server.url}/m/lines/{line_id}")
    return phone.content()


def test_a_manager_works_an_alert_to_a_freeze_and_back(
    live_server: LiveServer, desktop, phone
) -> None:  # type: ignore[no-untyped-def]
    line_id, alert_id = _scenario(live_server)
    page = desktop
    staff_login(page, live_server, "manager")
    page.get_by_role("link", name="风险工作台").first.click()
    page.wait_for_url(f"{live_server.url}/console/risk")
    shot(page, "console-risk-workbench")
    page.locator(f'a[href="/console/risk/alerts/{alert_id}"]').click()
    expect(page.get_by_test_id("signal-data")).to_contain_text("本月新增被执行案件 1 件")
    page.get_by_test_id("assign-me").click()
    page.get_by_test_id("investigate").click()
    expect(page.get_by_test_id("alert-status")).to_have_text("核查中")
    _propose(page, line_id, "freeze", "被执行，冻结额度")
    expect(page.locator("body")).to_contain_text("待复核")
    shot(page, "console-risk-alert")

    _approve(page, live_server)
    html = _borrower_sees(phone, live_server, line_id)
    assert 'data-testid="drawdown-refusal"' in html and "被执行，冻结额度" in html
    shot(phone, "m-line-frozen")

    staff_login(page, live_server, "manager")
    page.goto(f"{live_server.url}/console/risk/alerts/{alert_id}")
    _propose(page, line_id, "unfreeze", "案件已结清，解冻")
    _approve(page, live_server)
    html = _borrower_sees(phone, live_server, line_id)
    assert 'data-testid="drawdown-refusal"' not in html and "确认用款" in html

    staff_login(page, live_server, "manager")
    page.goto(f"{live_server.url}/console/risk/alerts/{alert_id}")
    form = page.get_by_test_id("resolve-form")
    form.get_by_label("处置结论").select_option("action_taken")
    form.get_by_label("说明").fill("冻结后已结清被执行案件，已解冻")
    form.get_by_role("button", name="关闭预警").click()
    expect(page.get_by_test_id("alert-status")).to_have_text("已关闭")
