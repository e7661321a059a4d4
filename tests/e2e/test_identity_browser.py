"""Real-name verification in Chromium (fake camera): a new enterprise from a photo of its
business licence (OCR prefill, registry cross-check) to a decision, the legal representative's
face check recorded with getUserMedia + MediaRecorder; and an agent acting under the legal
representative's authorisation (and refused outside its scope)."""

from __future__ import annotations

import re

import pytest
from tests.e2e.conftest import LiveServer, shot
from tests.licence_image import licence_png

from puhui.demo.world import journey_firms

pytestmark = pytest.mark.browser

AGENT = "13700137077"


def _sign_in(page, base: str, mobile: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/m/start")
    page.get_by_label("手机号").fill(mobile)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/m/login/verify$"))
    code = page.get_by_test_id("sandbox-code").inner_text()
    page.get_by_label("6 位验证码").fill(code)
    page.get_by_role("button", name="登录").click()


def test_new_enterprise_from_a_licence_photo_and_a_face_check_to_a_decision(
    live_server: LiveServer, phone, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    firm = journey_firms()[1]
    page = phone
    _sign_in(page, live_server.url, firm.mobile)
    page.wait_for_url(re.compile(r"/m/apply$"))
    photo = tmp_path / "licence.png"
    photo.write_bytes(licence_png(firm.uscc, firm.name, firm.rep_name))
    page.get_by_label("拍摄营业执照，自动填写").set_input_files(str(photo))
    page.get_by_role("button", name="识别执照").click()
    page.wait_for_url(re.compile(r"licence=read"), timeout=30_000)
    assert "与工商登记一致" in page.get_by_test_id("licence-read").inner_text()
    assert page.get_by_label("统一社会信用代码").input_value() == firm.uscc
    assert page.get_by_label("法定代表人姓名").input_value() == firm.rep_name
    shot(page, "m-identity-1-licence-read")
    page.get_by_label("法定代表人身份证号").fill(firm.resident_id)
    page.get_by_label("申请金额（元）").fill("150000")
    page.get_by_label("我已阅读并同意以上全部授权").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/m/applications/"))
    assert page.get_by_test_id("status").inner_text()
    shot(page, "m-identity-2-decision")

    page.goto(f"{live_server.url}/m/identity/face?next=/m/home")
    assert "沙箱" in page.content()  # the sandbox provider says so
    page.get_by_role("button", name="开始录制并核验").click()
    page.wait_for_url(re.compile(r"/m/home$"), timeout=20_000)
    shot(page, "m-identity-3-face-passed")


def test_an_agent_acts_only_under_the_legal_representative_s_authorisation(
    live_server: LiveServer, phone
) -> None:  # type: ignore[no-untyped-def]
    firm = journey_firms()[2]
    page = phone
    _sign_in(page, live_server.url, firm.mobile)
    page.wait_for_url(re.compile(r"/m/apply$"))
    page.get_by_label("统一社会信用代码").fill(firm.uscc)
    page.get_by_label("法定代表人姓名").fill(firm.rep_name)
    page.get_by_label("法定代表人身份证号").fill(firm.resident_id)
    page.get_by_label("申请金额（元）").fill("100000")
    page.get_by_label("我已阅读并同意以上全部授权").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/m/applications/"))

    page.goto(f"{live_server.url}/m/identity/agents")
    page.get_by_label("经办人姓名").fill("李经办")
    page.get_by_label("经办人手机号").fill(AGENT)
    page.get_by_label("申请授信").check()
    page.get_by_role("button", name="授权").click()
    page.wait_for_url(re.compile(r"granted=1"))
    assert "李经办" in page.get_by_test_id("grant").first.inner_text()
    shot(page, "m-identity-4-agent-granted")

    _sign_in(page, live_server.url, AGENT)
    page.goto(f"{live_server.url}/m/identity/agents")
    page.get_by_role("button", name="开始代办").click()
    page.wait_for_url(re.compile(r"/m/home$"))
    page.goto(f"{live_server.url}/m/apply")
    page.get_by_label("申请金额（元）").fill("80000")
    page.get_by_label("我已阅读并同意以上全部授权").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/m/applications/"))
    shot(page, "m-identity-5-agent-applied")
