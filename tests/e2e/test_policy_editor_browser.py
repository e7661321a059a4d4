"""The policy editor in a real browser (issue 21): a risk officer changes one cell of a decision
table, checks it (the embedded test cases run), submits it; the diff shows that cell; the same
officer cannot approve it; a second risk officer approves and the new version is active."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.test_console_staff import _login

CELL = "cell-knockouts-ko_enforcement-t_knockouts_in_7"  # 未结被执行 >= 2


def test_a_risk_officer_changes_one_cell_through_approval(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "risk")
    page.get_by_role("link", name="授信政策").click()
    page.get_by_role("link", name="用表格编辑决策表").click()
    page.wait_for_url(f"{live_server.url}/console/policies/editor")
    cell = page.get_by_test_id(CELL)
    expect(cell).to_have_value(">= 2")
    cell.fill(">= 3 and")  # does not parse: named by table, row and column
    page.get_by_role("button", name="检查").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("决策表「硬性拒绝规则」 · 第 8 行 · 列「未结被执行」")
    expect(page.get_by_test_id(CELL)).to_have_attribute("aria-invalid", "true")
    shot(page, "console-policy-editor-problem")
    page.get_by_test_id(CELL).fill(">= 3")
    page.get_by_role("button", name="检查").click()
    expect(page.get_by_test_id("tests-summary")).to_contain_text("通过")
    expect(page.get_by_test_id("tests")).not_to_contain_text("未通过")
    page.get_by_label("变更说明").fill("未结被执行案件由两件放宽为三件")
    page.get_by_role("button", name="提交审批").click()
    page.wait_for_url(re.compile(r"/console/policies(#pending)?$"))
    newest = page.locator("article.policy").first
    version = (newest.get_attribute("data-testid") or "").removeprefix("policy-")
    assert version.isdigit() and int(version) >= 2
    diff = page.get_by_role("table", name=f"diff v{version}")
    expect(diff).to_contain_text(">= 3")
    expect(diff).to_contain_text(">= 2")
    shot(page, "console-policy-editor-diff")
    # the maker cannot approve their own version
    page.get_by_label("审批意见").fill("自批")
    page.get_by_role("button", name="批准生效（第二人）").click()
    expect(page.get_by_role("alert")).to_be_visible()

    _login(page, live_server, "risk2")
    page.goto(f"{live_server.url}/console/policies")
    page.get_by_label("审批意见").fill("同意，风险委员会已审议")
    page.get_by_role("button", name="批准生效（第二人）").click()
    expect(page.get_by_test_id(f"policy-status-{version}")).to_have_text(re.compile(r"active|生效"))
    page.goto(f"{live_server.url}/console/policies/editor")
    expect(page.get_by_test_id(CELL)).to_have_value(">= 3")  # the active version is the new one
