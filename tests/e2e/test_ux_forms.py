"""The applicant's forms in a real browser (issue 21): a resend within the cool-down, a toggle
after a form error, an unknown page, a reduced limit's note, a repayment above the balance, a
settled loan. Each fails on the code before issue 21 (JSON pages, the POST URL kept after an
error, a silent cap behind 还款成功, no 已结清)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.ux_helpers import apply_for, console_login, mobile_sign_in, sign_and_draw

from puhui.demo.world import journey_firms

pytestmark = pytest.mark.browser


def _phone(browser):  # type: ignore[no-untyped-def]
    return browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )


def test_resend_within_the_cool_down_shows_the_seconds_left(
    live_server: LiveServer, browser
) -> None:  # type: ignore[no-untyped-def]
    context = _phone(browser)
    page = context.new_page()
    try:
        mobile_sign_in(page, live_server, journey_firms()[7].mobile)
        apply_for(page, live_server, 7, "60000")
        page.locator("form[action$='/contract'] button").click()
        page.wait_for_url(re.compile(r"/m/contracts/"))
        page.locator("form[action$='/send'] button").click()
        page.wait_for_load_state()
        resend = page.get_by_test_id("resend")
        expect(resend).to_be_disabled()
        assert re.search(r"\d+ 秒后可重发", resend.inner_text())
        # a resend forced through (the button re-enabled by hand) is refused in words, not JSON
        resend.evaluate("b => { b.disabled = false; }")
        resend.click()
        page.wait_for_url(re.compile(r"/m/contracts/[^/]+$"))
        assert page.get_by_role("alert").inner_text()
        assert "otp_too_soon" not in page.content()
        expect(page.get_by_test_id("resend")).to_be_disabled()
        shot(page, "ux-resend-cool-down")
    finally:
        context.close()


def test_a_toggle_after_a_form_error_keeps_everything_typed(
    live_server: LiveServer, browser
) -> None:  # type: ignore[no-untyped-def]
    context = _phone(browser)
    page = context.new_page()
    firm = journey_firms()[8]
    try:
        mobile_sign_in(page, live_server, firm.mobile)
        page.goto(f"{live_server.url}/m/apply")
        page.locator("#uscc").fill(firm.uscc)
        page.locator("#rep_name").fill(firm.rep_name)
        page.locator("#rep_resident_id").fill(firm.resident_id)
        page.locator("#amount_yuan").fill("abc")
        page.locator("#agree").check()
        page.locator("form[action='/m/apply'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/m/apply$"))  # back on the form's page (PRG)
        assert page.get_by_role("alert").count() >= 1
        assert page.locator("#rep_resident_id").input_value() == firm.resident_id
        assert page.locator("#agree").is_checked()
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url.endswith("/m/apply") and "problem" not in page.content()
        page.get_by_role("link", name="Large text").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\bsimple\b"))
        page.reload()
        expect(page.locator("#amount_yuan")).to_be_visible()
        shot(page, "ux-toggle-after-error")
    finally:
        context.close()


def test_an_unknown_page_and_a_forbidden_one_are_pages(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    context = _phone(browser)
    page = context.new_page()
    try:
        for path in ("/m/anything", "/console/anything"):
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 404
            assert response.headers["content-type"].startswith("text/html")
            expect(page.get_by_test_id("problem")).to_contain_text("页面不存在")
            assert page.get_by_role("link", name=re.compile("返回")).count() >= 1
        shot(page, "ux-unknown-page")
        # a role without access: a service rep opening the review queue reads why
        console_login(page, live_server, "service")
        response = page.goto(f"{live_server.url}/console/reviews")
        assert response is not None and response.status == 403
        expect(page.get_by_test_id("problem")).to_contain_text("无权")
        shot(page, "ux-forbidden-page")
    finally:
        context.close()


def test_a_reduced_limit_says_so_and_why(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    context = _phone(browser)
    page = context.new_page()
    try:
        # firm 12: a reserved sandbox firm the policy approves, its limit set by its sales
        mobile_sign_in(page, live_server, journey_firms()[12].mobile)
        apply_for(page, live_server, 12, "20000000")
        assert page.get_by_test_id("status").inner_text() == "已批准"
        note = page.get_by_test_id("limit-note").inner_text()
        assert "低于申请金额 ¥20,000,000.00" in note and "依据为" in note
        shot(page, "ux-reduced-limit")
    finally:
        context.close()


def test_repayment_above_the_balance_then_a_settled_loan(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    context = _phone(browser)
    page = context.new_page()
    try:
        mobile_sign_in(page, live_server, journey_firms()[10].mobile)
        apply_for(page, live_server, 10, "80000")
        loan_url = sign_and_draw(page, live_server, "20000")
        page.locator("#amount_yuan").fill("9999999")
        expect(page.get_by_test_id("amount-hint")).to_contain_text("= ¥9,999,999.00")
        page.locator("form[action$='/repayments'] button").click()
        page.wait_for_url(re.compile(r"repaid=1"))
        result = page.get_by_test_id("repayment-result").inner_text()
        assert "您填写了 ¥9,999,999.00" in result and "已还款 ¥20," in result
        # settled: 已结清 with its date, the schedule, no repayment form
        assert page.get_by_test_id("settled").inner_text() == "已结清"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.get_by_test_id("settled-on").inner_text())
        schedule = page.get_by_role("table", name="还款计划")
        assert schedule.get_by_role("row").count() >= 13  # the 12 instalments, not an empty table
        assert "已提前还款" in schedule.inner_text()
        assert page.locator("form[action$='/repayments']").count() == 0
        page.goto(loan_url)
        assert page.locator("form[action$='/repayments']").count() == 0
        shot(page, "ux-settled-loan")
    finally:
        context.close()
