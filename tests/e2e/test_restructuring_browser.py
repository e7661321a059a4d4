"""Restructuring in the browser (issue 17 item 7): a credit officer proposes new terms for a
demo loan on the console, sees that a second officer must decide, and — the proposal made by a
colleague — decides it with the schedule before and after and the classification consequence
shown; the loan is then restructured."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.ux_helpers import apply_for, console_login, mobile_sign_in, sign_and_draw

from puhui.demo.world import journey_firms

pytestmark = pytest.mark.browser

LOAN = """SELECT l.reference, l.repayment_method, l.term_months, l.rate_bp, p.min_rate_bp
FROM lending_loan l JOIN lending_product p ON p.code = l.product_code
WHERE l.status = 'active' ORDER BY l.revolving, l.reference LIMIT 1"""
FIRM = 11  # a reserved sandbox firm no other journey uses: draws a loan if the demo has none


def _a_loan(live_server: LiveServer, phone) -> tuple[str, str, int, int, int]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(live_server.db_path) as con:
        row = con.execute(LOAN).fetchone()
    if row is None:
        mobile_sign_in(phone, live_server, journey_firms()[FIRM].mobile)
        apply_for(phone, live_server, FIRM, "60000")
        sign_and_draw(phone, live_server, "10000")
        with sqlite3.connect(live_server.db_path) as con:
            row = con.execute(LOAN).fetchone()
    assert row is not None
    return row


def test_an_officer_decides_a_restructuring_with_the_schedule_before_and_after(
    live_server: LiveServer, desktop, phone
) -> None:  # type: ignore[no-untyped-def]
    reference, method, term, rate_bp, min_rate_bp = _a_loan(live_server, phone)
    new_rate = max(min_rate_bp, rate_bp - 50)

    page = desktop
    console_login(page, live_server, "officer")
    page.goto(f"{live_server.url}/console/servicing/restructuring")
    form = page.get_by_test_id("restructure-form")
    form.locator("#loan_reference").fill(reference)
    form.locator("#rate_percent").fill(f"{new_rate / 100:.2f}")
    form.locator("#term_months").fill(str(term))
    form.locator("#method").select_option(method)
    form.locator("#reason").fill("主要客户回款周期拉长，下调利率以减轻月供")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/servicing/restructuring/[0-9a-f-]+$"))
    expect(page.get_by_test_id("restructuring-status")).to_have_text("待复核")
    expect(page.get_by_text("须由另一位审批员复核。")).to_be_visible()  # not the maker
    proposal_id = page.url.rsplit("/", 1)[-1]

    # the demo has one credit officer: the proposal is attributed to a colleague, as in a branch
    with sqlite3.connect(live_server.db_path) as con:
        con.execute(
            "UPDATE lending_restructuring SET proposed_by_id = NULL, proposed_by_name = ? "
            "WHERE id = ?",
            ("王审批（同事）", proposal_id.replace("-", "")),
        )
    page.reload()
    expect(page.get_by_test_id("schedule-before")).to_be_visible()
    after = page.get_by_test_id("schedule-after").locator("tbody tr")
    expect(after).to_have_count(1 if method == "bullet" else term)
    expect(page.get_by_test_id("class-consequence")).to_contain_text("至少为“关注”")
    shot(page, "console-restructuring-before-after")
    page.get_by_test_id("restructuring-approve").click()
    expect(page.get_by_test_id("restructuring-status")).to_have_text("已执行")
    assert "王审批（同事）" in page.content()
