"""The manager's workbench in a real browser (issue 18 item 4): the demo's call campaign (to the
enterprises close to the next size tier) put tasks on the manager's workbench; the manager opens
one enterprise in one click, comes back, records the call outcome, and the task is done."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login


def test_a_manager_goes_from_a_task_to_its_call_outcome(
    live_server: LiveServer,
    desktop,  # type: ignore[no-untyped-def]
) -> None:
    page = desktop
    staff_login(page, live_server, "manager")
    page.get_by_role("link", name="客户跟进", exact=True).click()
    page.wait_for_url(re.compile(r"/console/workbench$"))
    tasks = page.get_by_test_id("task")
    before = tasks.count()
    assert before >= 1
    first = tasks.first
    expect(first).to_contain_text("营销活动")
    expect(first).to_contain_text("话术")
    name = first.get_by_test_id("task-enterprise").inner_text()
    shot(page, "workbench-tasks")
    first.get_by_test_id("task-enterprise").click()  # one click to the enterprise
    page.wait_for_url(re.compile(r"/console/enterprises/"))
    expect(page.locator("h1")).to_contain_text(name)
    page.go_back()
    first = page.get_by_test_id("task").first
    first.get_by_test_id("outcome").select_option("interested")
    first.get_by_label("备注").fill("有提额需求，约下周面谈")
    first.get_by_test_id("record-outcome").click()
    page.wait_for_url(re.compile(r"/console/workbench"))
    expect(page.get_by_test_id("task")).to_have_count(before - 1)
    with sqlite3.connect(live_server.db_path) as db:
        outcome, note = db.execute(
            "SELECT outcome, outcome_note FROM engagement_call_task WHERE done_at IS NOT NULL"
        ).fetchone()
    assert (outcome, note) == ("interested", "有提额需求，约下周面谈")
    # the remote service team's queue: applications approved but not signed
    page.goto(f"{live_server.url}/console/workbench?team=remote")
    expect(page.get_by_test_id("task").first).to_contain_text("申请未完成")
