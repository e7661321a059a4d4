"""Shared steps of the UX browser tests (issue 21): sign in on /m by SMS code (sandbox), apply
for a sandbox firm, sign its contract and draw; sign in to the console by role."""

from __future__ import annotations

import re
import sqlite3

from tests.e2e.conftest import LiveServer, staff_login

from puhui.demo.world import journey_firms


def console_login(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    staff_login(page, live_server, username)  # password, then the second factor


def mobile_sign_in(page, live_server: LiveServer, mobile: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/m/start")
    page.locator("#mobile").fill(mobile)
    page.locator("form[action='/m/login/send'] button").click()
    page.wait_for_url(re.compile(r"/m/login/verify$"))
    code = page.get_by_test_id("sandbox-code").inner_text()
    page.locator("#code").fill(code)
    page.locator("form[action='/m/login/verify'] button").click()
    page.wait_for_load_state()


def apply_for(page, live_server: LiveServer, firm_index: int, amount: str) -> None:  # type: ignore[no-untyped-def]
    """On /m/apply: a new enterprise (a reserved sandbox firm), the consents, submit."""
    firm = journey_firms()[firm_index]
    page.goto(f"{live_server.url}/m/apply")
    page.locator("#uscc").fill(firm.uscc)
    page.locator("#rep_name").fill(firm.rep_name)
    page.locator("#rep_resident_id").fill(firm.resident_id)
    page.locator("#amount_yuan").fill(amount)
    page.locator("#agree").check()
    page.locator("form[action='/m/apply'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/m/applications/"))


def sign_and_draw(page, live_server: LiveServer, amount: str) -> str:  # type: ignore[no-untyped-def]
    """From the approved decision's page: contract, code, sign, draw; returns the loan URL."""
    page.locator("form[action$='/contract'] button").click()
    page.wait_for_url(re.compile(r"/m/contracts/"))
    page.locator("form[action$='/send'] button").click()
    page.wait_for_load_state()
    code = page.get_by_test_id("sandbox-code").inner_text()
    page.locator("#code").fill(code)
    page.locator("form[action$='/sign'] button").click()
    page.wait_for_load_state()
    if page.get_by_test_id("face-link").count():  # a first credit: the face check (issue 15)
        page.get_by_test_id("face-link").click()
        page.wait_for_url(re.compile(r"/m/identity/face"))
        page.locator("#record").click()
        page.wait_for_url(re.compile(r"/m/contracts/"), timeout=20_000)
        page.locator("#code").fill(code)
        page.locator("form[action$='/sign'] button").click()
    page.wait_for_url(re.compile(r"/m/lines/"))
    page.locator("#amount_yuan").fill(amount)
    page.locator("form[action$='/drawdowns'] button").click()
    page.wait_for_url(re.compile(r"/m/loans/"))
    return str(page.url)


def manager_ref(live_server: LiveServer) -> str:
    with sqlite3.connect(live_server.db_path) as con:
        (user_id,) = con.execute("select id from core_user where username = 'manager'").fetchone()
    return "M" + str(user_id).replace("-", "")
