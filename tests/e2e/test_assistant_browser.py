"""The assistant's hand-off, both sides in a real browser: a customer on the phone asks for a
person, a service rep signs in to the console desk, finds the conversation in the queue with
its transcript and replies; the reply reaches the phone by htmx polling; the customer ends the
conversation with a rating."""

from __future__ import annotations

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login


def test_a_handed_off_customer_gets_the_reps_reply_on_the_phone(
    live_server: LiveServer,
    phone,
    desktop,  # type: ignore[no-untyped-def]
) -> None:
    phone.goto(f"{live_server.url}/m/assistant")
    phone.get_by_label("您的问题").fill("提前还款要收违约金吗")
    phone.get_by_role("button", name="发送").click()
    # the first message of the server's life trains the recogniser (tens of seconds on 2 cores)
    expect(phone.locator("li.msg.assistant").last).to_contain_text("提前还款", timeout=180_000)
    phone.get_by_label("您的问题").fill("我要找真人客服")
    phone.get_by_role("button", name="发送").click()
    expect(phone.locator("li.msg.system").last).to_contain_text("人工客服")
    reference = phone.locator("#chat-messages small").first.inner_text().split(" ")[1]
    shot(phone, "assistant-phone-1-handed-off")

    staff_login(desktop, live_server, "service")
    desktop.goto(f"{live_server.url}/console/desk")
    desktop.get_by_role("link", name=reference).click()
    expect(desktop.get_by_test_id("transcript")).to_contain_text("提前还款要收违约金吗")
    desktop.get_by_label("回复客户").fill(
        "您好，我是人工客服，提前还款按合同约定收费，我帮您查一下。"
    )
    desktop.get_by_role("button", name="发送").click()
    expect(desktop.get_by_test_id("transcript")).to_contain_text("我帮您查一下")
    shot(desktop, "assistant-desk-conversation")

    # the phone polls every 3 s while a rep is on the line
    expect(phone.locator("li.msg.agent").last).to_contain_text("我帮您查一下", timeout=15_000)
    phone.get_by_label("结束会话并评分").select_option("5")
    phone.get_by_role("button", name="结束").click()
    expect(phone.get_by_role("status")).to_contain_text("感谢您的评价")
    shot(phone, "assistant-phone-2-rated")

    desktop.reload()
    expect(desktop.get_by_test_id("conv-status")).to_contain_text("已结束")
    expect(desktop.locator("dl.facts")).to_contain_text("★★★★★")
