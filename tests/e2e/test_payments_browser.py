"""Payments in a real browser (large-type mode): a borrower adds a supplier's account and its
own account at another bank, verifies them (account-name check; micro-credit), draws paying the
supplier directly with the invoice (entrusted payment), then switches on trusted payees only,
names a transfer guardian with the representative's code, and a transfer to a non-trusted payee
is sent only after the guardian's code."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select, text
from tests.e2e.conftest import LiveServer, shot
from tests.integration.lending.lending_factories import random_uscc
from tests.integration.payments.payments_factories import record_representative

from puhui.core.clock import SystemClock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.models import User, UserEnterprise
from puhui.lending import service as lending
from puhui.parties import service as parties_service
from puhui.parties.schemas import EnterpriseCreate

MOBILE = "13700001616"
FIRM = "杭州浏览器支付测试有限公司"


def _give_line(live_server: LiveServer) -> uuid.UUID:
    """The signed-in borrower's enterprise with an active line, written into the server's DB."""
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    clock = SystemClock()
    with unit_of_work(make_session_factory(engine)) as session:
        enterprise = parties_service.create_enterprise(
            session,
            clock,
            EnterpriseCreate(
                name=FIRM,
                uscc=random_uscc(),
                industry_section="F",
                region_code="330100",
                region_name="浙江省杭州市",
                registered_capital_fen=100_000_000,
                established_date=date(2018, 3, 1),
                size_class="small",
            ),
        )
        line = lending.create_line_from_offer(
            session,
            clock,
            enterprise_id=enterprise.id,
            product_code="weiyedai",
            limit_fen=50_000_000,
            rate_bp=435,
            term_months=12,
            expiry_date=business_date(clock) + timedelta(days=365),
            decision_id=uuid.uuid4(),
            repayment_method="interest_first",
        )
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
        cipher = FieldCipher.from_master(b"e" * 32)  # the live server's PUHUI_DATA_KEY
        record_representative(session, clock, cipher, enterprise.id, MOBILE)  # type: ignore[arg-type]
        user = session.scalars(
            select(User).where(User.role == "borrower").order_by(User.created_at.desc())
        ).first()
        assert user is not None
        session.add(UserEnterprise(user_id=user.id, enterprise_id=enterprise.id))
        line_id = line.id
    engine.dispose()
    return line_id


def _sign_in(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/m/start")
    page.get_by_label("手机号").fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/m/login/verify$"))
    page.get_by_label("6 位验证码").fill(page.get_by_test_id("sandbox-code").inner_text())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/m/apply$"))


def _register(page, holder: str, number: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("户名").fill(holder)
    page.get_by_label("账号").fill(number)
    page.get_by_label("开户行行号（12 位）").fill("102100099996")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r"/m/payments"))


def _reload_until(page, test_id: str) -> str:  # type: ignore[no-untyped-def]
    for _ in range(30):  # the rails run right after the request committed
        found = page.get_by_test_id(test_id)
        if found.count():
            return str(found.first.inner_text())
        time.sleep(0.3)
        page.reload()
    raise AssertionError(f"{test_id} never appeared")


def test_accounts_entrusted_drawdown_and_a_guardian_confirmed_transfer(  # type: ignore[no-untyped-def]
    live_server: LiveServer, phone
) -> None:
    page = phone
    _sign_in(page, live_server)
    line_id = _give_line(live_server)
    page.goto(f"{live_server.url}/m/settings/large?back=/m/payments")  # large-type mode
    page.wait_for_url(re.compile(r"/m/payments$"))
    expect(page.get_by_test_id("fraud-warning")).to_be_visible()
    _register(page, "宁波浏览器原料有限公司", "6222000012121212")
    supplier = page.get_by_test_id("account-1212")
    supplier.get_by_role("button", name="户名核验").click()
    expect(page.get_by_test_id("account-1212").get_by_test_id("account-status")).to_have_text(
        "已验证"
    )
    _register(page, FIRM, "6222000034343434")
    page.get_by_test_id("account-3434").get_by_role("button", name="小额打款验证").click()
    amount = _reload_until(page, "sandbox-amount").replace("¥", "").replace(",", "")
    page.get_by_label("到账金额（元）").fill(amount)
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_test_id("account-3434").get_by_test_id("account-status")).to_have_text(
        "已验证"
    )
    shot(page, "m-payments-accounts")

    page.goto(f"{live_server.url}/m/lines/{line_id}")
    page.get_by_label("用款金额（元）").fill("30000")
    page.get_by_label("借款用途").select_option("raw_materials")
    page.get_by_test_id("payout-1212").check()
    page.get_by_label("发票号码（受托支付给供应商时填写）").fill("26332000000012345678")
    page.get_by_role("button", name="确认用款").click()
    page.wait_for_url(re.compile(r"/m/loans/"))
    page.goto(f"{live_server.url}/m/payments")
    for _ in range(30):  # the rails run right after the drawdown committed
        if "放款" in page.get_by_test_id("payments").inner_text():
            break
        time.sleep(0.3)
        page.reload()
    expect(page.get_by_test_id("payments")).to_contain_text("宁波浏览器原料有限公司")
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    with engine.connect() as conn:
        entrusted = conn.execute(
            text(
                "SELECT entrusted, invoice_number FROM lending_drawdown_purpose"
                " WHERE payee_name = '宁波浏览器原料有限公司'"
            )
        ).one()
    engine.dispose()
    assert bool(entrusted[0]) and entrusted[1] == "26332000000012345678"  # 受托支付

    # money in the settlement account for a transfer: a second drawdown, paid in-house
    page.goto(f"{live_server.url}/m/lines/{line_id}")
    page.get_by_label("用款金额（元）").fill("20000")
    page.get_by_role("button", name="确认用款").click()
    page.wait_for_url(re.compile(r"/m/loans/"))

    page.goto(f"{live_server.url}/m/payments/guardian")
    # large-type mode: "trusted payees only" is on by default, and says why
    expect(page.get_by_test_id("trusted-only")).to_be_visible()
    expect(page.get_by_test_id("trusted-only-by")).to_have_text("默认开启：使用大字模式")
    page.get_by_role("button", name="向法定代表人手机发送验证码").click()
    code = page.get_by_test_id("sandbox-code").inner_text()
    page.get_by_label("监管人姓名").fill("张女儿")
    page.get_by_label("监管人手机号").fill("13900001717")
    page.get_by_label("法定代表人收到的验证码").fill(code)
    page.get_by_role("button", name="确认监管人").click()
    expect(page.get_by_test_id("guardian")).to_contain_text("139****1717")
    payee = page.locator("#t-payee option", has_text="宁波").get_attribute("value")
    page.get_by_label("收款人").select_option(payee)
    page.get_by_label("金额（元）").fill("5000")
    page.get_by_role("button", name="转账", exact=True).click()
    expect(page.get_by_test_id("transfer-status").first).to_have_text("等待监管人确认")
    guardian_code = page.get_by_test_id("sandbox-code").inner_text()
    shot(page, "m-guardian-waiting")
    page.get_by_label("监管人收到的验证码").fill(guardian_code)
    page.get_by_role("button", name="监管人确认").click()
    expect(page.get_by_test_id("transfer-status").first).to_have_text("已发出")
    shot(page, "m-guardian-confirmed")
