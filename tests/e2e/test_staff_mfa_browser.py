"""Staff second factor in a real browser: a new staff member enrols an authenticator at the
first login (QR code and key, first code, recovery codes shown once), signs in again with a
code, then with a recovery code; the security page lists the sessions and ends one."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pyotp
from playwright.sync_api import expect
from tests.e2e.conftest import ROOT, LiveServer, shot

PASSWORD = "E2e-enrol-2026"


def _new_staff(live_server: LiveServer, username: str) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "puhui.cli", "users", "create", username,
            "--role", "auditor", "--password", PASSWORD, "--display-name", "新审计",
        ],
        cwd=ROOT,
        env=live_server.env,
        check=True,
        capture_output=True,
    )  # fmt: skip


def _password_step(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/console/login$"))


def test_staff_enrol_an_authenticator_and_sign_in_with_it(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _new_staff(live_server, "auditor.e2e")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _password_step(page, live_server, "auditor.e2e")
    page.wait_for_url(f"{live_server.url}/console/login/enrol")
    qr = page.get_by_role("img", name="身份验证器二维码")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img').naturalWidth") > 0  # the SVG loaded
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    shot(page, "console-mfa-enrol")
    totp = pyotp.TOTP(secret)
    page.get_by_label("App 显示的动态码").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="确认绑定").click()
    expect(page.get_by_role("alert")).to_be_visible()  # a wrong first code is refused
    page.get_by_label("App 显示的动态码").fill(totp.now())
    page.get_by_role("button", name="确认绑定").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    shot(page, "console-mfa-recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(f"{live_server.url}/console/")
    expect(page.locator("body")).to_contain_text("新审计")

    # again: password, then the next step's code (a code counts only once)
    _logout(page)
    _password_step(page, live_server, "auditor.e2e")
    page.wait_for_url(f"{live_server.url}/console/login/second-factor")
    shot(page, "console-mfa-code")
    page.get_by_label("动态码").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(f"{live_server.url}/console/")

    # a lost phone: a recovery code, once
    second = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    other = second.new_page()
    _password_step(other, live_server, "auditor.e2e")
    other.get_by_label("动态码").fill(codes[0])
    other.get_by_role("button", name="验证").click()
    other.wait_for_url(f"{live_server.url}/console/")

    # two sessions now: the first browser ends the other one, which is signed out at once
    page.get_by_role("link", name="账号安全").click()
    sessions = page.get_by_test_id("sessions")
    expect(sessions.get_by_role("row")).to_have_count(3)  # header + two sessions
    expect(sessions).to_contain_text("当前会话")
    shot(page, "console-my-sessions")
    sessions.get_by_role("button", name="注销").click()
    expect(sessions.get_by_role("row")).to_have_count(2)
    other.goto(f"{live_server.url}/console/")
    assert "/console/login" in other.url
    second.close()
    context.close()
