"""Finding 3: `back` and `next` parameters never send the browser to another site."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import enrol_totp, make_user, totp_code
from tests.integration.security.conftest import csrf_of

from puhui.core.models import Role
from puhui.core.runtime import Runtime

OFF_SITE = [
    "//evil.example/",
    "/\\evil.example/",
    "https://evil.example/",
    "/\t/evil.example/",
    "\\\\evil.example",
]


@pytest.mark.parametrize("back", OFF_SITE)
def test_language_switch_stays_on_site(client: TestClient, back: str) -> None:
    resp = client.get("/console/lang/zh", params={"back": back}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/"


def test_language_switch_keeps_a_same_site_path(client: TestClient) -> None:
    resp = client.get(
        "/console/lang/en", params={"back": "/console/loans?page=2"}, follow_redirects=False
    )
    assert resp.headers["location"] == "/console/loans?page=2"


@pytest.mark.parametrize("back", OFF_SITE)
def test_mobile_settings_stay_on_site(client: TestClient, back: str) -> None:
    resp = client.get("/m/settings/en", params={"back": back}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/m/start"


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_stays_on_site(
    client: TestClient, session: Session, runtime: Runtime, target: str, headers_for: Any
) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER)
    secret = enrol_totp(session, runtime, user)
    page = client.get("/console/login", params={"next": target})
    assert "evil.example" not in page.text
    resp = client.post(
        "/console/login",
        data={
            "username": user.username,
            "password": "Test-password-1",
            "next": target,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    # staff sign in with a second factor: the target is kept for after the code
    assert resp.status_code == 303 and resp.headers["location"] == "/console/login/second-factor"
    step = client.get("/console/login/second-factor")
    done = client.post(
        "/console/login/second-factor",
        data={"code": totp_code(runtime, secret), "csrf_token": csrf_of(step.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/"
