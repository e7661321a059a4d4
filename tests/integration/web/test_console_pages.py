"""Console and mobile pages over HTTP (TestClient): guards, the SMS sign-in, QR codes, the
cockpit JSON, and borrower isolation (a borrower sees only their own enterprise's objects)."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.demo.world import journey_firms
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.parties.schemas import EnterpriseCreate


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_mobile_pages_send_anonymous_visitors_to_the_sms_sign_in(client: TestClient) -> None:
    resp = client.get("/m/home", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/console/login?next=/m/home")
    resp = client.get("/console/login?next=/m/home", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/m/start"
    assert client.get("/m/start").status_code == 200


def test_staff_cannot_open_borrower_pages(client: TestClient, headers_for: Any) -> None:
    resp = client.get("/m/home", headers=headers_for(Role.CUSTOMER_MANAGER))
    assert resp.status_code == 403


def test_sms_sign_in_creates_a_borrower_and_shows_the_sandbox_code(client: TestClient) -> None:
    page = client.get("/m/start")
    resp = client.post(
        "/m/login/send",
        data={"mobile": "13600001111", "csrf_token": _csrf(page.text)},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "沙箱" in resp.text
    code = re.search(r'data-testid="sandbox-code">(\d{6})<', resp.text)
    assert code is not None
    wrong = client.post(
        "/m/login/verify",
        data={
            "code": "000000" if code.group(1) != "000000" else "111111",
            "csrf_token": _csrf(resp.text),
        },
        follow_redirects=False,
    )
    # Post/Redirect/Get: the refusal goes back to the form's page, which shows the message
    assert wrong.status_code == 303 and wrong.headers["location"] == "/m/login/verify"
    assert 'role="alert"' in client.get("/m/login/verify").text
    ok = client.post(
        "/m/login/verify",
        data={"code": code.group(1), "csrf_token": _csrf(resp.text)},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/m/apply"
    apply_page = client.get("/m/apply")
    assert apply_page.status_code == 200
    assert apply_page.text.count('<label for="') >= 4  # every field has a label


def test_bad_mobile_number_is_refused_with_a_message(client: TestClient) -> None:
    page = client.get("/m/start")
    resp = client.post("/m/login/send", data={"mobile": "12345", "csrf_token": _csrf(page.text)})
    assert resp.history[0].status_code == 303 and resp.url.path == "/m/start"  # PRG
    assert 'role="alert"' in resp.text and 'value="12345"' in resp.text


def test_manager_qr_codes(client: TestClient, headers_for: Any) -> None:
    headers = headers_for(Role.CUSTOMER_MANAGER)
    png = client.get("/console/qr/me.png", headers=headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get("/console/qr/me.svg", headers=headers)
    assert svg.status_code == 200 and b"<svg" in svg.content
    page = client.get("/console/qr", headers=headers)
    assert "/m/start?ref=M" in page.text
    assert client.get("/console/qr/me.png", headers=headers_for(Role.AUDITOR)).status_code == 403


def test_cockpit_json_has_numbers(client: TestClient, headers_for: Any) -> None:
    resp = client.get("/console/cockpit/data.json", headers=headers_for(Role.RISK_OFFICER))
    assert resp.status_code == 200
    data = resp.json()
    assert isinstance(data["applications"], int)
    assert len(data["days"]) == len(data["applications_per_day"]) == 30
    assert [c["class"] for c in data["five_category"]][:5] == [
        "normal",
        "special_mention",
        "substandard",
        "doubtful",
        "loss",
    ]
    assert (
        client.get("/console/cockpit/data.json", headers=headers_for(Role.AUDITOR)).status_code
        == 403
    )


def _apply(client: TestClient, headers_for: Any, uscc: str, key: str) -> Any:
    """A customer manager's application for ¥200,000 of 微业贷 through the API."""
    return client.post(
        "/api/v1/applications",
        json={
            "uscc": uscc,
            "product_code": "weiyedai",
            "requested_amount_fen": 20_000_000,
            "consent": {"agree": True},
        },
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Idempotency-Key": key},
    )


def test_borrower_sees_only_their_own_enterprise(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    resp = _apply(client, headers_for, journey_firms()[-1].uscc, "console-iso-1")
    assert resp.status_code == 201, resp.text
    app = resp.json()
    other = parties_service.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name="杭州另一家有限公司",
            uscc="91330100799655058B",
            industry_section="C",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=100_000_000,
            established_date=date(2018, 1, 1),
            size_class="micro",
        ),
    )
    session.commit()
    owner = headers_for(Role.BORROWER, [uuid.UUID(app["enterprise_id"])])
    stranger = headers_for(Role.BORROWER, [other.id])
    assert client.get(f"/m/applications/{app['id']}", headers=owner).status_code == 200
    assert client.get(f"/m/applications/{app['id']}", headers=stranger).status_code == 404
    if app["credit_line_id"]:
        line = app["credit_line_id"]
        assert client.get(f"/m/lines/{line}", headers=owner).status_code == 200
        assert client.get(f"/m/lines/{line}", headers=stranger).status_code == 404
    home = client.get("/m/home", headers=stranger)
    assert app["reference"] not in home.text
    timeline = client.get("/m/timeline", headers=stranger)
    assert app["reference"] not in timeline.text


def test_team_qr_code_resolves_to_its_team_and_a_member_manager(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    from sqlalchemy import select

    from puhui.core.models import AuditEvent
    from puhui.web import qr

    headers = headers_for(Role.CUSTOMER_MANAGER)
    resp = client.post(
        "/console/qr/teams", data={"name": "浙江海康集团"}, headers=headers, follow_redirects=False
    )
    assert resp.status_code == 303
    session.expire_all()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == qr.TEAM_ACTION)).one()
    code = str(event.entity_id)
    found = qr.resolve_ref(session, code)
    assert found is not None and found.team_code == code and found.team_name == "浙江海康集团"
    assert found.manager_user_id is not None
    svg = client.get(f"/console/qr/team/{code}.svg", headers=headers)
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert qr.resolve_ref(session, "Tnope") is None
    assert qr.resolve_ref(session, "Mnot-a-uuid") is None


def test_application_without_consent_is_refused_and_changes_nothing(
    client: TestClient, headers_for: Any
) -> None:
    headers = headers_for(Role.BORROWER)
    page = client.get("/m/apply", headers=headers)
    assert page.status_code == 200
    firm = journey_firms()[1]
    resp = client.post(
        "/m/apply",
        data={
            "key": "no-consent",
            "uscc": firm.uscc,
            "amount_yuan": "100000",
        },
        headers=headers,
    )
    assert resp.history[0].status_code == 303 and resp.url.path == "/m/apply"  # PRG
    assert 'role="alert"' in resp.text and f'value="{firm.uscc}"' in resp.text
    assert client.get("/m/home", headers=headers).text.count("/m/applications/") == 0
    bad = client.post(
        "/m/apply",
        data={"key": "bad-amount", "uscc": firm.uscc, "amount_yuan": "12.345", "agree": "yes"},
        headers=headers,
    )
    assert bad.history[0].status_code == 303 and bad.url.path == "/m/apply"
    assert "“金额（元）”填写有误，请检查后重新提交。" in bad.text  # the label, not the field name
    assert "amount_yuan 的值" not in bad.text


def test_a_lapsed_offer_says_so_and_offers_no_drawdown(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    # the browser journey's firm: approved
    resp = _apply(client, headers_for, journey_firms()[0].uscc, "console-lapse-1")
    app = resp.json()
    assert resp.status_code == 201 and app["status"] == "approved", resp.text
    owner = headers_for(Role.BORROWER, [uuid.UUID(app["enterprise_id"])])
    page = client.get(f"/m/applications/{app['id']}", headers=owner).text
    assert "查看并签署合同" in page and 'data-testid="offer-note"' not in page
    line = lending_service.get_line(session, uuid.UUID(app["credit_line_id"]))
    assert lending_service.expire_offers(session, runtime.clock, line.expiry_date) == 1
    session.commit()
    page = client.get(f"/m/applications/{app['id']}", headers=owner).text
    assert "授信要约已过有效期，未签约" in page
    assert "查看并签署合同" not in page and "去用款" not in page
