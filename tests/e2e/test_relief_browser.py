"""Relief in the browser (issue 17): a borrower asks for a deferral on /m and sees the credit
officer's decision; an officer decides a renewal with the fresh credit decision shown."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.ux_helpers import apply_for, console_login, mobile_sign_in, sign_and_draw

from puhui.demo.world import journey_firms

FIRM = 5  # a reserved sandbox firm the policy approves; its line serves both tests


@pytest.fixture(scope="module")
def line_url(live_server: LiveServer, browser) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The firm signs in, is approved (¥60,000), signs the contract and draws once."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        mobile_sign_in(page, live_server, journey_firms()[FIRM].mobile)
        apply_for(page, live_server, FIRM, "60000")
        sign_and_draw(page, live_server, "10000")
        page.goto(f"{live_server.url}/m/home")
        yield page.locator("a[href^='/m/lines/']").first.get_attribute("href") or ""
    finally:
        context.close()


def _borrower_with_a_loan(page, live_server: LiveServer, line: str) -> str:  # type: ignore[no-untyped-def]
    """The firm's borrower signs in and draws ¥10,000 on its line; the new loan's id."""
    mobile_sign_in(page, live_server, journey_firms()[FIRM].mobile)
    page.goto(f"{live_server.url}{line}")
    page.locator("#amount_yuan").fill("10000")
    page.locator("form[action$='/drawdowns'] button").click()
    page.wait_for_url(re.compile(r"/m/loans/"))
    return page.url.rsplit("/", 1)[-1].split("?")[0]


def _officer_decides(desktop, live_server: LiveServer, reference: str, note: str) -> None:  # type: ignore[no-untyped-def]
    console_login(desktop, live_server, "officer")
    desktop.goto(f"{live_server.url}/console/servicing/relief")
    desktop.get_by_role("link", name=reference).click()
    desktop.wait_for_url(re.compile(r"/console/servicing/relief/"))
    desktop.locator("#note").fill(note)
    desktop.get_by_test_id("relief-approve").click()
    expect(desktop.get_by_test_id("relief-status")).to_have_attribute("data-status", "approved")


def test_a_borrower_requests_a_deferral_and_sees_the_officer_s_decision(
    live_server: LiveServer, line_url: str, phone, desktop, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    page = phone
    loan_id = _borrower_with_a_loan(page, live_server, line_url)
    page.goto(f"{live_server.url}/m/home")
    page.get_by_test_id("relief-link").click()
    page.locator(f"a[href='/m/loans/{loan_id}/relief?kind=deferral']").click()
    page.wait_for_url(re.compile(r"/relief\?kind=deferral"))
    page.get_by_label("延期月数").fill("3")
    page.get_by_label("申请理由").fill("主要客户回款推迟两个月，申请延期还本付息")
    letter = tmp_path / "回款推迟说明.txt"
    letter.write_text("客户回款推迟说明", encoding="utf-8")
    page.get_by_label("证明材料（可选，512 KB 以内）").set_input_files(str(letter))
    shot(page, "m-relief-1-deferral-form")
    page.get_by_test_id("relief-submit").click()
    page.wait_for_url(re.compile(r"/m/relief/[0-9a-f-]+$"))
    expect(page.get_by_test_id("relief-status")).to_have_attribute("data-status", "submitted")
    reference = page.locator("h1").inner_text().split("·")[-1].strip()

    _officer_decides(desktop, live_server, reference, "核实回款推迟属实，同意延期三个月")
    shot(desktop, "console-relief-deferral-approved")

    page.reload()
    expect(page.get_by_test_id("relief-status")).to_have_attribute("data-status", "approved")
    assert "同意延期三个月" in page.get_by_test_id("officer-note").inner_text()
    assert page.get_by_test_id("new-maturity").inner_text()
    shot(page, "m-relief-2-deferral-approved")


def test_an_officer_decides_a_renewal_with_the_fresh_decision_shown(
    live_server: LiveServer, line_url: str, phone, desktop
) -> None:  # type: ignore[no-untyped-def]
    page = phone
    loan_id = _borrower_with_a_loan(page, live_server, line_url)
    # the loan matures in 20 days (a short loan: the end of its term moved forward)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with sqlite3.connect(live_server.db_path) as con:
        con.execute(
            "UPDATE lending_loan SET maturity_date = ? WHERE id = ?",
            ((today + timedelta(days=20)).isoformat(), loan_id.replace("-", "")),
        )
    page.goto(f"{live_server.url}/m/home")
    banner = page.get_by_test_id("maturity-banner")
    expect(banner).to_be_visible()
    banner.locator(f"a[href='/m/loans/{loan_id}/relief?kind=renewal']").click()
    page.wait_for_url(re.compile(r"/relief\?kind=renewal"))
    page.get_by_label("申请理由").fill("订单周期较长，到期后仍需周转资金，申请无还本续贷")
    page.get_by_label("我已阅读并同意以上全部授权").check()
    page.get_by_test_id("relief-submit").click()
    page.wait_for_url(re.compile(r"/m/relief/[0-9a-f-]+$"))
    reference = page.locator("h1").inner_text().split("·")[-1].strip()

    console_login(desktop, live_server, "officer")
    desktop.goto(f"{live_server.url}/console/servicing/relief")
    desktop.get_by_role("link", name=reference).click()
    fresh = desktop.get_by_test_id("fresh-decision")
    expect(fresh).to_be_visible()
    assert desktop.get_by_test_id("fresh-outcome").inner_text().startswith("批准")
    shot(desktop, "console-relief-renewal-fresh-decision")
    desktop.locator("#note").fill("新审批通过，同意续贷")
    desktop.get_by_test_id("relief-approve").click()
    expect(desktop.get_by_test_id("relief-status")).to_have_attribute("data-status", "approved")

    page.reload()
    expect(page.get_by_test_id("relief-status")).to_have_attribute("data-status", "approved")
