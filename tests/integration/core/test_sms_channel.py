"""The SMS channel (issue 15, finding 1): the HTTP gateway adapter against a local server, the
sandbox refused outside development/demo/test, and codes never printed in a page outside it.

`test_production_refuses_to_start_with_the_sandbox_sms_channel` fails on the code before this
change: the sandbox channel was the default whatever the environment, and pages printed its code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.local_http import LocalServer
from tests.support.production import production_settings

from puhui.core import outbox, sms
from puhui.core.config import Settings
from puhui.core.models import AuditEvent, OneTimeCode
from puhui.core.outbox import ChannelError, OutgoingMessage
from puhui.core.runtime import Runtime, build_runtime


def _message(body: str = "【普惠】验证码 123456") -> OutgoingMessage:
    return OutgoingMessage(
        id=uuid.uuid4(),
        channel="sms",
        topic="mobile.login_otp",
        recipient="13600001111",
        recipient_masked="136****1111",
        body=body,
        payload={},
    )


def test_the_gateway_posts_each_message_with_its_id_as_idempotency_key() -> None:
    with LocalServer(lambda *_: (200, {"id": "gw-1"})) as server:
        gateway = sms.HttpSmsGateway(server.url + "/send", "k-123")
        message = _message()
        delivery = gateway.send(message)
    assert delivery.provider_ref == "gateway:gw-1"
    (seen,) = server.seen
    assert seen.method == "POST" and seen.path == "/send"
    assert seen.headers["authorization"] == "Bearer k-123"
    assert seen.headers["idempotency-key"] == str(message.id)
    assert seen.json() == {
        "message_id": str(message.id),
        "to": "13600001111",
        "topic": "mobile.login_otp",
        "text": "【普惠】验证码 123456",
    }


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (400, False)])
def test_gateway_errors_are_retryable_only_when_they_may_pass(status: int, retryable: bool) -> None:
    with LocalServer(lambda *_: (status, {"error": "x"})) as server:
        gateway = sms.HttpSmsGateway(server.url, "")
        with pytest.raises(ChannelError) as caught:
            gateway.send(_message())
    assert caught.value.retryable is retryable


def test_an_unreachable_gateway_is_retryable() -> None:
    with LocalServer(lambda *_: (200, {})) as server:
        url = server.url
    with pytest.raises(ChannelError) as caught:
        sms.HttpSmsGateway(url, "", timeout_s=0.5).send(_message())
    assert caught.value.retryable


def test_production_refuses_to_start_with_the_sandbox_sms_channel(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from puhui.app import create_app

    production = production_settings(settings, monkeypatch, sms_channel="sandbox")
    runtime = build_runtime(production)
    with pytest.raises(sms.SandboxNotAllowed):
        create_app(runtime)


@pytest.mark.parametrize("environment", ["development", "demo", "test"])
def test_the_sandbox_runs_in_development_demo_and_test(
    settings: Settings, environment: str
) -> None:
    allowed = settings.model_copy(update={"environment": environment})
    runtime = build_runtime(allowed)
    channels = sms.build_channels(allowed, runtime.cipher, runtime.clock)
    assert sms.is_sandbox(channels[outbox.SMS])


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(lambda *_: (200, {"id": "gw"})) as server:
        yield server


@pytest.fixture
def production_client(
    settings: Settings, runtime: Runtime, gateway: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    from puhui.app import create_app

    # production refuses every sandbox: the identity provider and the seal are real ones too
    real = production_settings(
        settings,
        monkeypatch,
        sms_gateway_url=gateway.url + "/sms",
        sms_gateway_key="secret",
    )
    monkeypatch.setenv("PUHUI_IDENTITY_BASE_URL", gateway.url + "/identity")
    rt = Runtime(real, runtime.clock, runtime.cipher, runtime.engine, runtime.session_factory)
    with TestClient(create_app(rt), base_url="https://testserver") as client:
        yield client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_with_the_gateway_the_sign_in_code_goes_to_the_phone_and_never_into_the_page(
    production_client: TestClient, gateway: LocalServer, session: Session, runtime: Runtime
) -> None:
    start = production_client.get("/m/start")
    page = production_client.post(
        "/m/login/send", data={"mobile": "13600003333", "csrf_token": _csrf(start.text)}
    )
    assert page.status_code == 200
    (sent,) = [s.json() for s in gateway.seen]
    assert sent["to"] == "13600003333"
    code = re.search(r"(\d{6})", sent["text"])
    assert code is not None
    assert code.group(1) not in page.text
    assert "沙箱" not in page.text
    done = production_client.post(
        "/m/login/verify", data={"code": code.group(1), "csrf_token": _csrf(page.text)}
    )
    assert done.status_code == 200 and "/m/apply" in str(done.url)
    # finding 5: the subject of the code (the mobile) is stored as a keyed hash only
    rows = session.scalars(select(OneTimeCode)).all()
    assert rows and all("13600003333" not in r.subject for r in rows)
    assert rows[0].subject == runtime.cipher.lookup_hash("mobile.login|13600003333", "otp_subject")
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.like("otp.%"))):
        assert "13600003333" not in str(event.after)
