"""A security key (WebAuthn) as the alternative second factor, in Chromium with a virtual
authenticator (DevTools protocol `WebAuthn.enable` / `addVirtualAuthenticator`): registered on
the security page, then used at login instead of the code. The page is opened as `localhost`:
WebAuthn refuses an IP address as relying party."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login

from puhui.demo.world import DEMO_PASSWORD


def test_a_security_key_registers_and_signs_in(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    staff_login(page, live_server, "service", base)
    page.goto(f"{base}/console/security")
    page.get_by_label("密钥名称").fill("虚拟密钥 virtual key")
    page.get_by_role("button", name="注册安全密钥").click()
    expect(page.get_by_test_id("security-keys")).to_contain_text("虚拟密钥 virtual key")
    shot(page, "console-security-key")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/console/login$"))
    page.get_by_label("用户名").fill("service")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/console/login/second-factor")
    page.get_by_role("button", name="使用安全密钥").click()
    page.wait_for_url(f"{base}/console/")
    expect(page.locator("body")).to_contain_text("钱客服")
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert after["credentials"][0]["signCount"] >= 1
    context.close()
