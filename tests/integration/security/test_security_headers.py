"""Finding 8: security headers on every response (pages, API, errors, static files)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.integration.security.conftest import console_login

from puhui.core.models import Role

PATHS = ["/console/login", "/m/start", "/api/v1/me", "/no-such-page", "/static/puhui.css"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    resp = client.get(path, follow_redirects=False)
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[^']+'", csp)
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["strict-transport-security"].startswith("max-age=")
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"])


def test_a_clients_request_id_is_echoed_and_a_bad_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/health", headers={"X-Request-ID": "<script>" * 20})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


def test_no_hsts_without_secure_cookies(runtime: Any) -> None:
    from puhui.app import create_app

    runtime.settings.cookie_secure = False
    with TestClient(create_app(runtime), base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/console/login").headers


def test_the_cockpit_script_runs_under_the_policy(
    client: TestClient, session: Any, runtime: Any
) -> None:
    """The page's one inline script carries this response's nonce; everything else is a file."""
    from tests.conftest import make_user

    user = make_user(session, runtime, Role.RISK_OFFICER)
    console_login(client, user.username)
    resp = client.get("/console/cockpit")
    assert resp.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", resp.text)
    assert scripts
    for attrs in scripts:
        assert 'src="/static/' in attrs or f'nonce="{nonce}"' in attrs, attrs
    assert not re.search(r"\son[a-z]+=", resp.text)  # no inline event handlers
