"""Finding 10: the session cookie carries no API token and cannot be read; production needs
PUHUI_SECRET_KEY; database and secret files are private (0600)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import TEST_KEY, make_user
from tests.integration.security.conftest import console_login
from tests.support.production import production_settings

from puhui.core.config import Settings
from puhui.core.db import make_engine
from puhui.core.hardening import SecretKeyMissing
from puhui.core.models import ApiToken, Role, UserSession
from puhui.core.runtime import Runtime


def _cookie_bytes(client: TestClient) -> bytes:
    value = client.cookies["puhui_session"]
    head = value.split(".", 1)[0]
    try:
        return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except ValueError:
        return value.encode()


def test_the_cookie_carries_no_token_usable_on_the_api(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER)
    console_login(client, user.username)
    assert client.get("/console/").status_code == 200
    raw = _cookie_bytes(client)
    assert b"token" not in raw and b"sid" not in raw  # encrypted: no readable keys
    # every string the server issued for this user: none works as a bearer token
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 1  # the server-side session; no API token was issued for the console
    assert not session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    stranger = TestClient(client.app, base_url="https://testserver")
    candidate = client.cookies["puhui_session"]
    resp = stranger.get("/api/v1/me", headers={"Authorization": f"Bearer {candidate}"})
    assert resp.status_code == 401


def test_a_tampered_cookie_is_an_empty_session(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER)
    console_login(client, user.username)
    value = client.cookies["puhui_session"]
    flipped = value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:]
    client.cookies.clear()
    client.cookies.set("puhui_session", flipped, domain="testserver.local")
    resp = client.get("/console/", follow_redirects=False)
    assert resp.status_code == 303 and "/console/login" in resp.headers["location"]


def test_logout_revokes_the_server_side_session(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER)
    console_login(client, user.username)
    old = client.cookies["puhui_session"]
    page = client.get("/console/")
    from tests.integration.security.conftest import csrf_of

    client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    replay = TestClient(client.app, base_url="https://testserver")
    replay.cookies.set("puhui_session", old, domain="testserver.local")
    resp = replay.get("/console/", follow_redirects=False)
    assert resp.status_code == 303


def test_production_refuses_to_start_without_a_secret_key(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from puhui.app import create_app
    from puhui.core.runtime import build_runtime

    base = Settings(database_url=db_url, var_dir=tmp_path, data_key=TEST_KEY)
    settings = production_settings(base, monkeypatch, secret_key="")
    with pytest.raises(SecretKeyMissing, match="PUHUI_SECRET_KEY"):
        create_app(build_runtime(settings))
    assert not (tmp_path / "secret.key").exists()


def test_database_and_secret_files_are_private(tmp_path: Path, runtime: Any) -> None:
    from puhui.app import create_app
    from puhui.core.migrate import upgrade

    path = tmp_path / "private" / "puhui.db"
    upgrade(f"sqlite:///{path}")
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    runtime.settings.secret_key = ""
    runtime.settings.var_dir = tmp_path / "var"
    create_app(runtime)
    assert stat.S_IMODE((tmp_path / "var" / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
