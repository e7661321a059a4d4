"""Staff authentication: throttling without lock-out (finding 2), the mandatory second factor
(API and console, enrolment, recovery codes), server-side sessions and their revocation,
applicants' usernames without their mobile number (finding 5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.conftest import PASSWORD, enrol_totp, make_user, totp_code

from puhui.core.clock import FixedClock
from puhui.core.models import Role, User
from puhui.core.runtime import Runtime

TOKEN = "/api/v1/auth/token"


@contextmanager
def client_at(app: Any, ip: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", client=(ip, 50000)) as c:
        yield c


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _console_password(c: TestClient, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    page = c.get("/console/login")
    data = {"username": username, "password": password, "csrf_token": _csrf(page.text), **extra}
    return c.post("/console/login", data=data, follow_redirects=False)


def _console_code(c: TestClient, code: str):  # type: ignore[no-untyped-def]
    page = c.get("/console/login/second-factor")
    assert page.status_code == 200, page.text
    return c.post(
        "/console/login/second-factor",
        data={"code": code, "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )


# --- finding 2: five wrong passwords from any address locked the real user out --------------


def test_a_flood_from_one_address_does_not_lock_the_user_out_elsewhere(
    app: Any, session: Session, runtime: Runtime
) -> None:
    """Fails on the old code: five failures from anywhere → 429 for the real user too."""
    make_user(session, runtime, Role.BORROWER, username="firm.owner")
    with client_at(app, "203.0.113.66") as attacker:
        for _ in range(runtime.settings.login_max_failures * 4):
            attacker.post(TOKEN, json={"username": "firm.owner", "password": "guess-guess-1"})
        slowed = attacker.post(TOKEN, json={"username": "firm.owner", "password": PASSWORD})
        assert slowed.status_code == 429
        assert slowed.headers["content-type"].startswith("application/problem+json")
        assert int(slowed.headers["retry-after"]) > 0
        assert slowed.json()["code"] == "too_many_attempts"
    with client_at(app, "198.51.100.7") as owner:
        r = owner.post(TOKEN, json={"username": "firm.owner", "password": PASSWORD})
        assert r.status_code == 200, r.text


def test_staff_under_a_flood_sign_in_from_their_own_address(
    app: Any, session: Session, runtime: Runtime
) -> None:
    user = make_user(session, runtime, Role.ADMIN, username="adm.flood")
    secret = enrol_totp(session, runtime, user)
    with client_at(app, "203.0.113.66") as attacker:
        for _ in range(30):
            attacker.post(TOKEN, json={"username": "adm.flood", "password": "guess-guess-1"})
    with client_at(app, "198.51.100.7") as owner:
        r = owner.post(
            TOKEN,
            json={
                "username": "adm.flood",
                "password": PASSWORD,
                "code": totp_code(runtime, secret),
            },
        )
        assert r.status_code == 200, r.text


def test_the_pause_doubles_for_the_address_and_ends(
    app: Any, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    make_user(session, runtime, Role.BORROWER, username="firm.two")
    with client_at(app, "203.0.113.9") as c:
        # signed in here before: a known address, not challenged however many failures follow
        assert c.post(TOKEN, json={"username": "firm.two", "password": PASSWORD}).status_code == 200
        clock.advance(timedelta(seconds=1))
        for _ in range(3):  # the free attempts
            assert (
                c.post(TOKEN, json={"username": "firm.two", "password": "x-wrong-1"}).status_code
                == 401
            )
        waits = []
        for _ in range(3):
            r = c.post(TOKEN, json={"username": "firm.two", "password": "x-wrong-1"})
            if r.status_code == 429:
                waits.append(int(r.headers["retry-after"]))
                clock.advance(timedelta(seconds=waits[-1]))
                r = c.post(TOKEN, json={"username": "firm.two", "password": "x-wrong-1"})
            assert r.status_code == 401
        assert waits == [2, 4, 8]
        clock.advance(timedelta(seconds=16))
        assert c.post(TOKEN, json={"username": "firm.two", "password": PASSWORD}).status_code == 200


def test_a_distributed_guess_challenges_staff_for_both_factors_at_once(
    app: Any, session: Session, runtime: Runtime
) -> None:
    user = make_user(session, runtime, Role.CREDIT_OFFICER, username="officer.d")
    secret = enrol_totp(session, runtime, user)
    for i in range(runtime.settings.login_max_failures):
        with client_at(app, f"203.0.113.{10 + i}") as bot:
            bot.post(TOKEN, json={"username": "officer.d", "password": "guess-guess-1"})
    with client_at(app, "198.51.100.20") as new_place:
        # the password alone is not even checked: the form asks for the code with it
        r = _console_password(new_place, "officer.d")
        assert r.status_code == 401 and 'name="code"' in r.text and "动态码" in r.text
        # a wrong password with a right code is not told apart from a right password
        wrong = _console_password(
            new_place, "officer.d", "guess-guess-2", code=totp_code(runtime, secret)
        )
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
        ok = _console_password(new_place, "officer.d", code=totp_code(runtime, secret, 1))
        assert ok.status_code == 303 and ok.headers["location"] == "/console/"
        assert new_place.get("/console/").status_code == 200


def test_borrowers_under_a_distributed_guess_are_sent_to_the_sms_sign_in(
    app: Any, session: Session, runtime: Runtime
) -> None:
    make_user(session, runtime, Role.BORROWER, username="firm.three")
    for i in range(runtime.settings.login_max_failures):
        with client_at(app, f"203.0.113.{40 + i}") as bot:
            bot.post(TOKEN, json={"username": "firm.three", "password": "guess-guess-1"})
    with client_at(app, "198.51.100.30") as c:
        r = c.post(TOKEN, json={"username": "firm.three", "password": PASSWORD})
        assert r.status_code == 401 and r.json()["code"] == "sign_in_by_code_required"


# --- the second factor -------------------------------------------------------------------------


def test_staff_api_tokens_need_the_second_factor(
    client: TestClient, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    user = make_user(session, runtime, Role.RISK_OFFICER, username="risk.api")
    body = {"username": "risk.api", "password": PASSWORD}
    r = client.post(TOKEN, json=body)
    assert r.status_code == 403 and r.json()["code"] == "second_factor_enrolment_required"
    secret = enrol_totp(session, runtime, user)
    r = client.post(TOKEN, json=body)
    assert r.status_code == 401 and r.json()["code"] == "second_factor_required"
    r = client.post(TOKEN, json={**body, "code": "000000"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_second_factor"
    code = totp_code(runtime, secret)
    assert client.post(TOKEN, json={**body, "code": code}).status_code == 200
    replay = client.post(TOKEN, json={**body, "code": code})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_second_factor"
    clock.advance(timedelta(seconds=30))
    assert client.post(TOKEN, json={**body, "code": totp_code(runtime, secret)}).status_code == 200


def test_console_enrolment_recovery_codes_and_the_next_login(
    client: TestClient, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    make_user(session, runtime, Role.AUDITOR, username="auditor.new")
    r = _console_password(client, "auditor.new")
    assert r.status_code == 303 and r.headers["location"] == "/console/login/enrol"
    # owing the second factor, the session opens no page
    owing = client.get("/console/", follow_redirects=False)
    assert owing.status_code == 303 and owing.headers["location"].startswith("/console/login")
    page = client.get("/console/login/enrol")
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret, page.text
    qr = client.get("/console/login/enrol/qr.svg")
    assert qr.status_code == 200 and b"<svg" in qr.content
    bad = client.post(
        "/console/login/enrol", data={"code": "123456", "csrf_token": _csrf(page.text)}
    )
    assert bad.status_code == 401 and 'role="alert"' in bad.text
    done = client.post(
        "/console/login/enrol",
        data={"code": totp_code(runtime, secret.group(1)), "csrf_token": _csrf(page.text)},
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(codes) == 10
    assert client.get("/console/").status_code == 200
    stored = session.scalar(select(User).where(User.username == "auditor.new"))
    assert stored is not None and stored.totp_secret_enc is not None
    assert secret.group(1).encode() not in stored.totp_secret_enc  # encrypted

    client.post("/console/logout", data={"csrf_token": _csrf(client.get("/console/").text)})
    r = _console_password(client, "auditor.new")
    assert r.headers["location"] == "/console/login/second-factor"
    assert _console_code(client, codes[0]).status_code == 303  # a recovery code, once
    assert client.get("/console/").status_code == 200
    client.post("/console/logout", data={"csrf_token": _csrf(client.get("/console/").text)})
    _console_password(client, "auditor.new")
    again = _console_code(client, codes[0])
    assert again.status_code == 401 and "已使用" in again.text
    ok = _console_code(client, totp_code(runtime, secret.group(1), 1))
    assert ok.status_code == 303


# --- sessions ----------------------------------------------------------------------------------


def _signed_in(app: Any, runtime: Runtime, username: str, code: str) -> TestClient:
    c = TestClient(app, base_url="https://testserver")
    assert _console_password(c, username).status_code == 303
    assert _console_code(c, code).status_code == 303
    return c


def test_a_revoked_session_stops_at_once(
    app: Any, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    user = make_user(session, runtime, Role.CUSTOMER_MANAGER, username="mgr.s")
    secret = enrol_totp(session, runtime, user)
    laptop = _signed_in(app, runtime, "mgr.s", totp_code(runtime, secret))
    phone = _signed_in(app, runtime, "mgr.s", totp_code(runtime, secret, 1))
    # the cookie carries the session's secret only, never an API token
    cookie = laptop.cookies.get("puhui_session")
    assert cookie is not None
    page = laptop.get("/console/security")
    assert page.status_code == 200 and "当前会话" in page.text
    ids = re.findall(r"/console/security/sessions/([0-9a-f-]{36})/revoke", page.text)
    assert len(ids) == 1  # the other one (the phone); this one is marked, not offered
    laptop.post(
        f"/console/security/sessions/{ids[0]}/revoke", data={"csrf_token": _csrf(page.text)}
    )
    gone = phone.get("/console/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/console/login")
    assert laptop.get("/console/").status_code == 200


def test_an_administrator_ends_every_session_and_token_of_a_user(
    app: Any, client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    user = make_user(session, runtime, Role.SERVICE_REP, username="rep.s")
    secret = enrol_totp(session, runtime, user)
    console = _signed_in(app, runtime, "rep.s", totp_code(runtime, secret))
    token = client.post(
        TOKEN,
        json={"username": "rep.s", "password": PASSWORD, "code": totp_code(runtime, secret, 1)},
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    listed = client.get("/api/v1/me/sessions", headers=bearer).json()
    assert len(listed) == 1 and listed[0]["method"] == "password"
    r = client.post(f"/api/v1/users/{user.id}/sessions/revoke", headers=headers_for(Role.ADMIN))
    assert r.status_code == 200 and r.json() == {"revoked": 2}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert console.get("/console/", follow_redirects=False).status_code == 303
    other = client.post(
        f"/api/v1/users/{user.id}/sessions/revoke", headers=headers_for(Role.AUDITOR)
    )
    assert other.status_code == 403


def test_an_idle_session_ends(
    app: Any, session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    user = make_user(session, runtime, Role.AUDITOR, username="aud.idle")
    secret = enrol_totp(session, runtime, user)
    c = _signed_in(app, runtime, "aud.idle", totp_code(runtime, secret))
    clock.advance(timedelta(minutes=runtime.settings.session_idle_minutes - 1))
    assert c.get("/console/").status_code == 200  # seen: the idle time starts again
    clock.advance(timedelta(minutes=runtime.settings.session_idle_minutes - 1))
    assert c.get("/console/").status_code == 200
    clock.advance(timedelta(minutes=runtime.settings.session_idle_minutes + 1))
    assert c.get("/console/", follow_redirects=False).status_code == 303


# --- finding 5 (usernames): no mobile number in clear in core_user -----------------------------


def test_sms_sign_in_keeps_the_mobile_out_of_the_username(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    mobile = "13600004321"
    for _ in range(2):  # the second sign-in finds the same user
        client.cookies.clear()
        page = client.get("/m/start")
        sent = client.post("/m/login/send", data={"mobile": mobile, "csrf_token": _csrf(page.text)})
        code = re.search(r'data-testid="sandbox-code">(\d{6})<', sent.text)
        assert code
        ok = client.post(
            "/m/login/verify",
            data={"code": code.group(1), "csrf_token": _csrf(sent.text)},
            follow_redirects=False,
        )
        assert ok.status_code == 303
    rows = session.execute(text("SELECT username, display_name FROM core_user")).all()
    assert not any(mobile in r.username or mobile in r.display_name for r in rows)
    borrowers = session.scalars(select(User).where(User.mobile_enc.is_not(None))).all()
    assert len(borrowers) == 1
    assert runtime.cipher.decrypt(borrowers[0].mobile_enc, "core_user.mobile") == mobile  # type: ignore[arg-type]
    assert borrowers[0].display_name == "136****4321"


def test_a_bogus_security_key_answer_is_refused_and_counted(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    """The full ceremony runs in Chromium (tests/e2e/test_staff_webauthn_browser.py); here the
    refusals: no pending login, an assertion of an unknown key."""
    from puhui.core.models import LoginAttempt

    page = client.get("/console/login")
    headers = {"X-CSRF-Token": _csrf(page.text)}
    assert client.post("/console/login/webauthn/options", headers=headers).status_code == 409
    user = make_user(session, runtime, Role.AUDITOR, username="aud.key")
    enrol_totp(session, runtime, user)
    _console_password(client, "aud.key")
    headers = {"X-CSRF-Token": _csrf(client.get("/console/login/second-factor").text)}
    forged = {"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}}
    r = client.post("/console/login/webauthn", json=forged, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "security_key_refused"
    failures = session.scalars(
        select(LoginAttempt).where(
            LoginAttempt.username == "aud.key", LoginAttempt.succeeded.is_(False)
        )
    ).all()
    assert len(failures) == 1
    assert client.get("/console/", follow_redirects=False).status_code == 303
