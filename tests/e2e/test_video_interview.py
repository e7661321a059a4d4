"""A video interview in a real browser (Debian Chromium with a fake camera and microphone):
an officer starts it from a referred application's review, the applicant joins from /m in a
second browser context, both consent, the peer connection reaches `connected` (host
candidates, no STUN), the officer answers the checklist, records a few seconds, uploads and
completes; the review page shows the recording's SHA-256 and plays it back."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import CHROMIUM_ARGS, LiveServer, chromium_path, shot, staff_login

from puhui.demo.world import DEMO_PASSWORD

pytestmark = pytest.mark.browser

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="module")
def media_browser(browser):  # type: ignore[no-untyped-def]
    """A second Chromium from the same Playwright, with the fake camera and microphone."""
    b = browser.browser_type.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    try:
        yield b
    finally:
        b.close()


def _context(media_browser, **kw):  # type: ignore[no-untyped-def]
    context = media_browser.new_context(locale="zh-CN", **kw)
    context.grant_permissions(["camera", "microphone"])
    return context


def _login(page, live_server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _open_review_of_the_demo_borrower(live_server: LiveServer) -> str:
    """An open review (the last in the queue, so the other console tests keep theirs) whose
    enterprise the demo user `borrower` is then linked to, as its applicant."""
    with sqlite3.connect(live_server.db_path) as db:
        review_id, enterprise_id = db.execute(
            "SELECT r.id, a.enterprise_id FROM decisioning_review r "
            "JOIN decisioning_application a ON a.id = r.application_id "
            "WHERE r.status = 'open' AND NOT r.green_channel ORDER BY r.due_at DESC LIMIT 1"
        ).fetchone()
        (user_id,) = db.execute("SELECT id FROM core_user WHERE username = 'borrower'").fetchone()
        db.execute(
            "INSERT INTO core_user_enterprise (user_id, enterprise_id) VALUES (?, ?)",
            (user_id, enterprise_id),
        )
    hexed = str(review_id).replace("-", "")
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


@pytest.fixture
def two_parties(media_browser) -> Iterator[tuple[object, object]]:  # type: ignore[no-untyped-def]
    officer = _context(media_browser, viewport={"width": 1366, "height": 900})
    applicant = _context(
        media_browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        yield officer.new_page(), applicant.new_page()
    finally:
        officer.close()
        applicant.close()


def test_officer_and_applicant_hold_a_recorded_video_interview(
    live_server: LiveServer, two_parties
) -> None:  # type: ignore[no-untyped-def]
    officer, applicant = two_parties
    review_id = _open_review_of_the_demo_borrower(live_server)
    review_url = f"{live_server.url}/console/reviews/{review_id}"

    staff_login(officer, live_server, "officer")  # password, then the second factor
    officer.goto(review_url)
    officer.get_by_role("button", name="发起视频面谈").click()
    officer.wait_for_url(re.compile(r"/console/interviews/[0-9a-f-]+$"))
    officer.get_by_label("本人已阅读并同意录音录像").check()
    officer.get_by_role("button", name="同意并进入面谈").click()
    officer.wait_for_load_state()

    _login(applicant, live_server, "borrower")
    applicant.goto(f"{live_server.url}/m/home")
    applicant.get_by_test_id("interviews-link").click()
    applicant.get_by_test_id("join-interview").first.click()
    applicant.get_by_label("本人已阅读并同意录音录像").check()
    applicant.get_by_role("button", name="同意并加入面谈").click()
    applicant.wait_for_load_state()

    for page in (officer, applicant):
        expect(page.get_by_test_id("pc-state")).to_have_attribute(
            "data-state", "connected", timeout=45_000
        )
    expect(officer.get_by_test_id("pc-state")).to_have_text("已连通")
    # the officer's script reported the connection: both rooms show the interview under way
    for page in (officer, applicant):
        expect(page.get_by_test_id("interview-status")).to_have_text("面谈进行中")
    shot(applicant, "m-video-interview")

    for radio in officer.locator("form[data-role=checklist] input[type=radio][value=yes]").all():
        radio.check()
    officer.get_by_placeholder("备注（可选）").first.fill("人证一致，视频中可见营业执照原件")
    officer.get_by_role("button", name="保存核查清单").click()
    expect(officer.get_by_test_id("checklist-state")).to_have_text("已保存")

    record = officer.get_by_role("button", name="开始录制")
    expect(record).to_be_enabled(timeout=10_000)
    record.click()
    expect(officer.get_by_test_id("record-state")).to_have_text("录制中…")
    officer.wait_for_timeout(3_000)
    officer.get_by_role("button", name="停止并上传").click()
    hash_cell = officer.get_by_test_id("recording-hash")
    expect(hash_cell).to_have_text(re.compile(r"^[0-9a-f]{64}$"), timeout=20_000)
    digest = hash_cell.inner_text()
    shot(officer, "console-video-interview")

    officer.get_by_role("button", name="完成面谈").click()
    officer.wait_for_url(review_url)
    panel = officer.get_by_test_id("interviews")
    expect(panel.get_by_test_id("interview-status")).to_have_text(re.compile("已完成"))
    expect(panel.get_by_test_id("interview-hash")).to_have_text(digest)
    assert "人证一致，视频中可见营业执照原件" in panel.inner_text()
    played = officer.request.get(f"{live_server.url}{panel.locator('video').get_attribute('src')}")
    assert played.status == 200 and played.body()[:4] == b"\x1a\x45\xdf\xa3"  # WebM, decrypted
    shot(officer, "console-review-interview-evidence")
    # the applicant's room learns that the interview has ended, and says so after a reload
    expect(applicant.get_by_test_id("pc-state")).to_have_text("面谈已结束")
    expect(applicant.get_by_test_id("interview-status")).to_have_text("已完成")
    applicant.reload()
    expect(applicant.get_by_text("本次面谈已结束")).to_be_visible()
