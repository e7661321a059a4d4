"""Staff console in a real browser: a review approved by two officers (maker-checker), a policy
change (submit → diff → second approval), the cockpit drawing its charts from the JSON."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login


def _login(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    staff_login(page, live_server, username)  # password, then the second factor


def test_review_approved_by_two_officers(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "officer")
    page.get_by_role("link", name="审批队列").click()
    queue = page.get_by_test_id("queue")
    first = queue.get_by_role("row").nth(1)
    assert "绿色通道" in first.inner_text()  # green channel first
    shot(page, "console-review-queue")
    first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/console/reviews/"))
    review_url = page.url
    # the reason is mandatory: an empty one is refused by the form
    page.get_by_label("结论").select_option("approve")
    page.get_by_label("理由（必填）").fill("经营稳定，开票连续，同意授信")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute(
        "data-status", "awaiting_confirmation"
    )  # the page shows its label (待复核); the code stays in data-status
    shot(page, "console-review-maker")
    # the same officer cannot confirm their own decision
    page.get_by_label("理由（必填）").fill("自己复核")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("alert")).to_be_visible()

    _login(page, live_server, "officer2")
    page.goto(review_url)
    page.get_by_label("复核意见").select_option("yes")
    page.get_by_label("理由（必填）").fill("复核同意")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_test_id("review-status")).to_have_attribute(
        "data-status", re.compile(r"^(approved|closed)$")
    )
    shot(page, "console-review-checker")


def test_policy_change_needs_a_second_risk_officer(
    live_server: LiveServer, desktop, browser
) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "risk")
    page.get_by_role("link", name="授信政策").click()
    page.get_by_text("高级：提交完整的政策文件（JSON）").click()  # the table editor is the default
    document = page.get_by_label("政策文件（JSON）")
    text = document.input_value()
    assert '"review_sla_hours": 24' in text
    document.fill(text.replace('"review_sla_hours": 24', '"review_sla_hours": 12'))
    page.get_by_label("变更说明").fill("人工审批时限缩短至 12 小时")
    page.get_by_role("button", name="提交审批").click()
    page.wait_for_url(f"{live_server.url}/console/policies")
    assert page.get_by_test_id("policy-status-2").get_attribute("data-status") == "pending_approval"
    diff = page.get_by_role("table", name="diff v2")
    assert "review_sla_hours" in diff.inner_text()
    assert "12" in diff.inner_text()
    shot(page, "console-policy-diff")
    # the submitter cannot approve their own version
    page.get_by_label("审批意见").fill("自批")
    page.get_by_role("button", name="批准生效（第二人）").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.get_by_test_id("policy-status-2").get_attribute("data-status") == "pending_approval"

    # a second risk officer (the demo has two) approves
    _login(page, live_server, "risk2")
    page.goto(f"{live_server.url}/console/policies")
    page.get_by_label("审批意见").fill("同意，风险委员会已审议")
    page.get_by_role("button", name="批准生效（第二人）").click()
    # the form posts back to the page it is on: wait for the new status, not for the URL
    expect(page.get_by_test_id("policy-status-2")).to_have_attribute("data-status", "active")
    shot(page, "console-policy-approved")


def test_cockpit_draws_charts_from_the_json(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "risk")
    page.get_by_role("link", name="驾驶舱").click()
    page.wait_for_function("() => window.puhuiCockpit !== undefined")
    for chart in ("c-days", "c-mix", "c-vintage", "c-reasons"):
        expect(page.locator(f"#{chart} canvas").first).to_be_attached()
    data = page.evaluate("window.puhuiCockpit")
    assert data["applications"] > 0 and isinstance(data["applications"], int)
    assert 0 < sum(data["applications_per_day"]) <= data["applications"]
    assert 0 < data["approval_rate_bp"] <= 10_000
    assert data["balance_fen"] > 0 and data["loans"] > 0
    assert isinstance(data["decision_ms_p50"], int)
    assert data["top_decline_reasons"] and data["top_decline_reasons"][0]["count"] > 0
    assert page.locator("#k-apps").inner_text() == str(data["applications"])
    shot(page, "console-cockpit")
    resp = page.request.get(f"{live_server.url}/console/cockpit/data.json?product=jingyingdai")
    assert resp.status == 200
    assert resp.json()["applications"] < data["applications"]
