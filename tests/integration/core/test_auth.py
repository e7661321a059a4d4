from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import PASSWORD, enrol_totp, make_user, totp_code
from tests.support.sql import statements

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime


def test_login_token_and_expiry(
    client: TestClient, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    user = make_user(session, runtime, Role.RISK_OFFICER, username="risk1")
    code = totp_code(runtime, enrol_totp(session, runtime, user))  # staff: a second factor
    r = client.post(
        "/api/v1/auth/token", json={"username": "risk1", "password": PASSWORD, "code": code}
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "risk_officer"
    clock.advance(timedelta(minutes=runtime.settings.token_ttl_minutes + 1))
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and expired.json()["code"] == "not_authenticated"


def test_wrong_password_message_and_throttling(
    client: TestClient, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    """Failures from one address slow that address (exponential pauses, 429 with Retry-After);
    the account is not locked (tests/integration/core/test_staff_auth.py: other addresses)."""
    user = make_user(session, runtime, Role.ADMIN, username="adm")
    secret = enrol_totp(session, runtime, user)
    for _ in range(3):
        r = client.post("/api/v1/auth/token", json={"username": "adm", "password": "wrong-pass1"})
        assert r.status_code == 401
        assert r.json()["detail"] == "用户名或密码错误。"
    r = client.post("/api/v1/auth/token", json={"username": "adm", "password": "wrong-pass1"})
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    clock.advance(timedelta(seconds=2))
    r = client.post("/api/v1/auth/token", json={"username": "adm", "password": "wrong-pass1"})
    assert r.status_code == 401
    # Slowed now, even with the right password, from this address.
    r = client.post(
        "/api/v1/auth/token",
        json={"username": "adm", "password": PASSWORD, "code": totp_code(runtime, secret)},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 429 and "Too many failed attempts" in r.json()["detail"]
    assert r.headers["retry-after"] == "4"
    clock.advance(timedelta(seconds=4))
    r = client.post(
        "/api/v1/auth/token",
        json={"username": "adm", "password": PASSWORD, "code": totp_code(runtime, secret)},
    )
    assert r.status_code == 200


def test_logout_revokes_token(client: TestClient, headers_for: Any) -> None:
    h = headers_for(Role.AUDITOR)
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_weak_password_refused(client: TestClient, headers_for: Any) -> None:
    r = client.post(
        "/api/v1/users",
        json={"username": "new.user", "password": "short", "role": "auditor"},
        headers=headers_for(Role.ADMIN),
    )
    assert r.status_code == 422 and r.json()["code"] == "password_too_weak"


def test_console_login_with_csrf(client: TestClient, session: Session, runtime: Runtime) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER, username="officer1")
    secret = enrol_totp(session, runtime, user)
    page = client.get("/console/login")
    assert page.status_code == 200 and "登录" in page.text
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    no_csrf = client.post("/console/login", data={"username": "officer1", "password": PASSWORD})
    assert no_csrf.status_code == 403
    ok = client.post(
        "/console/login",
        data={"username": "officer1", "password": PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console/login/second-factor"
    assert "secure" in ok.headers["set-cookie"].lower()
    assert "httponly" in ok.headers["set-cookie"].lower()
    step = client.get("/console/login/second-factor")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', step.text)
    assert csrf
    no_csrf = client.post("/console/login/second-factor", data={"code": "123456"})
    assert no_csrf.status_code == 403
    done = client.post(
        "/console/login/second-factor",
        data={"code": totp_code(runtime, secret), "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200 and "审批员" in home.text


def test_principal_for_token_reads_token_user_and_links_in_one_query(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    import uuid

    from puhui.core import auth

    links = [uuid.uuid4(), uuid.uuid4()]
    borrower = make_user(session, runtime, Role.BORROWER, enterprise_ids=links)
    staff = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    tokens = {}
    for user in (borrower, staff):
        tokens[user.id], _ = auth.issue_token(session, clock, user, 60)
    session.commit()
    with statements(session.get_bind()) as seen:  # type: ignore[arg-type]
        found = auth.principal_for_token(session, clock, tokens[borrower.id])
    assert len(seen) == 1
    assert "core_api_token" in seen[0] and "core_user_enterprise" in seen[0]
    assert found == auth.principal_of(borrower)
    assert found is not None and found.enterprise_ids == frozenset(links)
    assert auth.principal_for_token(session, clock, tokens[staff.id]) == auth.principal_of(staff)
    assert auth.principal_for_token(session, clock, "not-a-token") is None
    staff.is_active = False
    session.commit()
    assert auth.principal_for_token(session, clock, tokens[staff.id]) is None
    auth.revoke_token(session, clock, tokens[borrower.id])
    session.commit()
    assert auth.principal_for_token(session, clock, tokens[borrower.id]) is None


def test_a_failed_login_is_remembered_although_the_request_is_refused(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    import re

    from sqlalchemy import select

    from puhui.core.models import ApiToken, LoginAttempt

    user = make_user(session, runtime, Role.ADMIN, username="adm2")
    r = client.post("/api/v1/auth/token", json={"username": "adm2", "password": "wrong-pass1"})
    assert r.status_code == 401
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    form = client.post(
        "/console/login",
        data={"username": "adm2", "password": "wrong-pass2", "csrf_token": csrf.group(1)},
    )
    assert (
        form.status_code == 401 and "用户名或密码错误" in form.text and 'value="adm2"' in form.text
    )
    attempts = session.scalars(select(LoginAttempt).where(LoginAttempt.username == "adm2")).all()
    assert [a.succeeded for a in attempts] == [False, False]
    # nothing else of the refusals stays
    assert session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
