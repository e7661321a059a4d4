"""Helpers of the security tests (findings of the outside probe, issue 15)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def console_login(client: TestClient, username: str) -> None:
    page = client.get("/console/login")
    resp = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
