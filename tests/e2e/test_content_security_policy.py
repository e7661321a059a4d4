"""Finding 8 in a real browser: the console, the cockpit's ECharts and the mobile web run under
the Content-Security-Policy without a single violation, and a page cannot be framed."""

from __future__ import annotations

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, staff_login

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_pages_run_under_the_policy(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    page.add_init_script(RECORD_VIOLATIONS)
    staff_login(page, live_server, "risk")  # password, then the second factor
    assert page.evaluate("window.__cspViolations") == []
    page.goto(f"{live_server.url}/console/cockpit")
    page.wait_for_function("() => window.puhuiCockpit !== undefined")
    for chart in ("c-days", "c-mix", "c-vintage", "c-reasons"):
        expect(page.locator(f"#{chart} canvas").first).to_be_attached()
    page.locator("#c-mix canvas").first.hover()  # a tooltip (inline styles) appears
    assert page.evaluate("window.__cspViolations") == []
    page.goto(f"{live_server.url}/m/start")
    assert page.evaluate("window.__cspViolations") == []


def test_the_console_cannot_be_framed(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    page.goto(f"{live_server.url}/health")
    page.set_content(f'<iframe id="f" src="{live_server.url}/console/login"></iframe>')
    page.wait_for_timeout(1000)
    frame = page.frame_locator("#f")
    assert frame.locator("input[name=username]").count() == 0
