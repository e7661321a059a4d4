"""The API reference works offline: /docs references no external URL, its assets load from
/static/vendor; /favicon.ico answers; in production the reference and /openapi.json ask for a
staff login (a bearer token opens them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support.production import production_settings

from puhui.core.models import Role
from puhui.core.runtime import Runtime, build_runtime


def test_docs_page_is_offline_and_its_assets_load(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "SwaggerUIBundle" in html
    external = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", html)
    assert external == [], "the docs page loads something from another host"
    assert "cdn" not in html.lower() and '"validatorUrl": null' in html
    assets = re.findall(r"""(?:src|href)\s*=\s*["'](/[^"']+)["']""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "paths" in client.get("/openapi.json").json()
    assert client.get("/redoc").status_code == 404  # the CDN-backed ReDoc is gone


def test_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"


@pytest.fixture
def production_client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from puhui.app import create_app

    settings = production_settings(runtime.settings, monkeypatch)
    prod = build_runtime(
        settings, clock=runtime.clock, engine=runtime.engine,
        session_factory=runtime.session_factory,
    )  # fmt: skip
    with TestClient(create_app(prod), base_url="https://testserver") as c:
        yield c


def test_production_docs_need_a_staff_login(
    production_client: TestClient, headers_for: Any
) -> None:
    anon = production_client.get("/docs", follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/console/login")
    assert production_client.get("/openapi.json", follow_redirects=False).status_code == 303
    staff = headers_for(Role.CREDIT_OFFICER)
    assert production_client.get("/docs", headers=staff).status_code == 200
    assert "paths" in production_client.get("/openapi.json", headers=staff).json()
    borrower = headers_for(Role.BORROWER)
    assert production_client.get("/openapi.json", headers=borrower).status_code == 403
