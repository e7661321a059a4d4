"""Issue 22, item 6: a risk officer runs the month's model monitoring from the console and the
monitoring report renders (ECharts charts and the tables), in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.test_console_staff import _login


def test_the_monitoring_report_renders(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    page = desktop
    _login(page, live_server, "risk")
    page.get_by_role("link", name="模型监控").first.click()
    page.wait_for_url(f"{live_server.url}/console/models")
    page.get_by_role("button", name="运行监控").click()
    page.wait_for_url(re.compile(r"/console/models(#runs)?$"))
    page.locator("a[data-testid^='run-']").first.click()
    page.wait_for_url(re.compile(r"/console/models/runs/"))
    expect(page.get_by_test_id("monitoring-title")).to_contain_text("sme-pd")
    expect(page.get_by_test_id("score-psi")).not_to_have_text("—")
    page.wait_for_function("() => window.puhuiMonitoring && window.puhuiMonitoring.bands.length")
    assert page.locator("#c-bands canvas").count() >= 1  # ECharts drew the score bands
    expect(page.get_by_role("table", name="CSI")).to_be_visible()
    shot(page, "console-model-monitoring")
