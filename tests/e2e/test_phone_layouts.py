"""Console lists at phone width (issue 21): below 600 px a list's rows are cards, each value with
its column's name, nothing wider than the screen; a loan's schedule shows its status column at
390 px; names are not broken a character per line; times carry their zone; /favicon.ico."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.test_console_staff import _login


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_console_lists_become_cards_on_a_phone(live_server: LiveServer, phone) -> None:  # type: ignore[no-untyped-def]
    page = phone
    _login(page, live_server, "manager")
    page.goto(f"{live_server.url}/console/portfolio")
    loans = page.get_by_test_id("loans")
    expect(loans).to_have_class(re.compile(r"\bcards\b"))
    first = loans.locator("tbody tr").first
    expect(first.locator("td").first).to_have_attribute("data-label", "借据")
    assert _overflow(page) <= 0
    # an enterprise's name keeps whole characters per line: its cell is wider than two of them
    name = first.locator("td").nth(1)
    assert (name.bounding_box() or {"width": 0})["width"] > 100
    shot(page, "phone-console-portfolio")
    first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/console/loans/"))
    status = page.locator("td[data-label='状态']").first
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert _overflow(page) <= 0
    shot(page, "phone-console-loan-schedule")
    assert page.request.get(f"{live_server.url}/favicon.ico").status == 200


def test_times_show_china_time_with_the_zone(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "auditor")
    expect(page.get_by_test_id("card-audit")).to_be_visible()
    page.goto(f"{live_server.url}/console/audit")
    first = page.locator("time").first
    expect(first).to_contain_text("北京时间")
    assert (first.get_attribute("datetime") or "").endswith("Z")
    assert " UTC" not in page.locator("main").inner_text()
