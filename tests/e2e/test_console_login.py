from __future__ import annotations

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, enter_code, shot

from puhui.demo.world import DEMO_PASSWORD


def test_staff_logs_in_and_switches_language(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    page.goto(f"{live_server.url}/console/")
    assert "/console/login" in page.url  # not logged in: sent to the login page
    page.get_by_label("用户名").fill("officer")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    enter_code(page, live_server, "officer")  # staff: the second factor
    page.wait_for_url(f"{live_server.url}/console/")
    assert "欢迎" in page.content()
    shot(page, "console-home-zh")
    page.get_by_role("link", name="English").click()
    expect(page.locator("body")).to_contain_text("Welcome")  # waits for the new page
    shot(page, "console-home-en")
