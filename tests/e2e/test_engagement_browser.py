"""Proactive service in the browser (issue 18): a dealer invited by the demo's pre-screening
finds the campaign's in-app invitation in the /m inbox, follows its link to the pre-approved
invitation, applies from it (the invitation is used once, the campaign counts the visit and the
application once), and opts out of marketing."""

from __future__ import annotations

import re
import sqlite3

from tests.e2e.conftest import LiveServer, shot
from tests.e2e.ux_helpers import mobile_sign_in

from puhui.demo.engagement import DEALER_FIRMS
from puhui.demo.world import journey_firms


def test_a_borrower_sees_a_pre_approved_invitation_and_applies_from_it(
    live_server: LiveServer, phone
) -> None:  # type: ignore[no-untyped-def]
    firm = journey_firms()[DEALER_FIRMS[0]]
    page = phone
    mobile_sign_in(page, live_server, firm.mobile)
    page.goto(f"{live_server.url}/m/home")
    page.get_by_test_id("inbox-link").click()  # the demo's in-app campaign to the dealers
    page.wait_for_url(re.compile(r"/m/inbox$"))
    message = page.get_by_test_id("inbox-message")
    assert message.count() == 1 and firm.name in message.inner_text()
    shot(page, "m-inbox-campaign")
    message.get_by_test_id("inbox-open").click()
    page.wait_for_url(re.compile(r"/m/offers$"))
    offer = page.get_by_test_id("offer")
    assert offer.count() == 1
    assert firm.name in offer.inner_text()
    assert "预授信" in page.get_by_test_id("offer-notice").inner_text()
    assert "绿色企业" in offer.inner_text()  # a solar-power dealer (GB/T 4754 4416)
    limit = page.get_by_test_id("offer-limit").inner_text()
    assert limit.startswith("¥")
    shot(page, "m-offer-invitation")
    page.get_by_test_id("apply-from-offer").click()
    page.wait_for_url(re.compile(r"/m/apply$"))
    # the form is prefilled from the invitation; the applicant adds who they are and consents
    assert page.locator("#uscc").input_value() == firm.uscc
    amount = int(page.locator("#amount_yuan").input_value())
    assert amount * 100 == int(re.sub(r"[^\d]", "", limit.split(".")[0])) * 100
    page.locator("#rep_name").fill(firm.rep_name)
    page.locator("#rep_resident_id").fill(firm.resident_id)
    page.locator("#agree").check()
    page.locator("form[action='/m/apply'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/m/applications/"))
    application_id = page.url.rsplit("/", 1)[1]
    with sqlite3.connect(live_server.db_path) as db:
        state, applied = db.execute(
            "SELECT state, application_id FROM engagement_offer WHERE enterprise_key = ?",
            (firm.uscc,),
        ).fetchone()
        stages = [r[0] for r in db.execute(
            "SELECT stage FROM engagement_conversion ORDER BY stage")]  # fmt: skip
    assert state == "applied"
    assert applied.replace("-", "") == application_id.replace("-", "")
    assert stages == ["application", "visit"]  # counted once each
    # used once: the invitation is gone from the list
    page.goto(f"{live_server.url}/m/offers")
    assert page.get_by_test_id("offer").count() == 0
    # marketing consent is separate: saying no is one click, and it holds at once
    page.get_by_test_id("opt-out").click()
    page.wait_for_url(re.compile(r"/m/offers$"))
    assert "不再接收营销信息" in page.get_by_test_id("opted-out").inner_text()
    page.goto(f"{live_server.url}/m/inbox")  # the campaign's message goes at once
    assert page.get_by_test_id("inbox-message").count() == 0
