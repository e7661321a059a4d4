"""Findings 6, 7 and 9 of the outside probe, over HTTP: integers beyond int64 (500 before),
money coerced from other JSON types, invalid text, dates and resident IDs stored, bodies
without Content-Type parsed as JSON, no size limit, plain-text 500s."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise, make_line, random_uscc

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.parties.models import Enterprise, Person

ENTERPRISE: dict[str, Any] = {
    "name": "杭州边界测试有限公司",
    "industry_section": "C",
    "region_code": "330100",
    "region_name": "浙江省杭州市",
    "registered_capital_fen": 500_000_000,
    "established_date": "2015-06-01",
    "size_class": "small",
}
PERSON = {"name": "陈测试", "resident_id": "11010519491231002X", "mobile": "13800138000"}


def _problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    return body


# --- finding 6: integers beyond int64 -------------------------------------------------------


@pytest.mark.parametrize("value", [2**63, 2**64, 10**30, -(2**63) - 1])
def test_registered_capital_beyond_int64_is_422(
    client: TestClient, headers_for: Any, value: int
) -> None:
    body = {**ENTERPRISE, "uscc": random_uscc(), "registered_capital_fen": value}
    resp = client.post("/api/v1/enterprises", json=body, headers=headers_for(Role.CUSTOMER_MANAGER))
    assert _problem(resp, 422)["errors"][0]["field"] == "registered_capital_fen"


def test_drawdown_and_replay_integers_beyond_int64_are_422(
    client: TestClient, headers_for: Any, session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock, "杭州大数测试有限公司")
    line = make_line(session, clock, ent.id)
    session.commit()
    headers = {**headers_for(Role.BORROWER, [ent.id]), "Idempotency-Key": "big-1"}
    resp = client.post(
        f"/api/v1/credit-lines/{line.id}/drawdowns",
        content=f'{{"amount_fen": {2**64}}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert _problem(resp, 422)["errors"][0]["field"] == "amount_fen"
    resp = client.post(
        f"/api/v1/policies/{uuid.uuid4()}/replay",
        params={"made_under": 2**63},
        headers=headers_for(Role.RISK_OFFICER),
    )
    assert _problem(resp, 422)["errors"][0]["field"] == "made_under"
    resp = client.get(
        f"/api/v1/receivables/operations/{2**64}", headers=headers_for(Role.RISK_OFFICER)
    )
    _problem(resp, 422)


# --- finding 7: money is a JSON integer --------------------------------------------------------


@pytest.mark.parametrize("amount", ['"100000"', "true", "100000.0", "1e5"])
def test_money_fields_do_not_coerce(
    client: TestClient, headers_for: Any, session: Session, clock: FixedClock, amount: str
) -> None:
    ent = make_enterprise(session, clock, "杭州类型测试有限公司")
    line = make_line(session, clock, ent.id)
    session.commit()
    headers = {
        **headers_for(Role.BORROWER, [ent.id]),
        "Idempotency-Key": f"coerce-{amount}",
        "Content-Type": "application/json",
    }
    resp = client.post(
        f"/api/v1/credit-lines/{line.id}/drawdowns",
        content='{"amount_fen": ' + amount + "}",
        headers=headers,
    )
    problem = _problem(resp, 422)
    assert problem["errors"][0]["field"] == "amount_fen"
    body = {**ENTERPRISE, "uscc": random_uscc()}
    text = json.dumps(body).replace("500000000", amount)
    resp = client.post(
        "/api/v1/enterprises",
        content=text,
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Content-Type": "application/json"},
    )
    assert _problem(resp, 422)["errors"][0]["field"] == "registered_capital_fen"


# --- finding 9: invalid values are refused, not stored -----------------------------------------

BAD_NAMES = [
    "杭州\x00测试有限公司",
    "杭州测试\u202e司公限有",
    "杭州测试\r\n有限公司",
    "杭州\x07测试有限公司",
    "\u200b\u200b\u200b",
    "\u2066杭州测试有限公司\u2069",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_control_bidi_or_invisible_characters_are_refused(
    client: TestClient, headers_for: Any, session: Session, name: str
) -> None:
    before = session.scalar(select(func.count()).select_from(Enterprise))
    body = {**ENTERPRISE, "uscc": random_uscc(), "name": name}
    resp = client.post("/api/v1/enterprises", json=body, headers=headers_for(Role.CUSTOMER_MANAGER))
    problem = _problem(resp, 422)
    assert problem["errors"][0] == {
        "field": "name",
        "code": "text_invalid",
        "message": problem["errors"][0]["message"],
    }
    person = client.post(
        "/api/v1/people", json={**PERSON, "name": name}, headers=headers_for(Role.CUSTOMER_MANAGER)
    )
    _problem(person, 422)
    assert session.scalar(select(func.count()).select_from(Enterprise)) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_implausible_dates_are_refused(client: TestClient, headers_for: Any, day: str) -> None:
    body = {**ENTERPRISE, "uscc": random_uscc(), "established_date": day}
    resp = client.post("/api/v1/enterprises", json=body, headers=headers_for(Role.CUSTOMER_MANAGER))
    assert _problem(resp, 422)["errors"][0]["code"] == "date_implausible"


def _resident_id(birth: str) -> str:
    from puhui.core.codes import resident_id_check_char

    first17 = f"110105{birth}002"
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize("birth", ["18000101", "20990101", "20200101"])
def test_resident_ids_with_implausible_birth_dates_are_refused(
    client: TestClient, headers_for: Any, session: Session, birth: str
) -> None:
    before = session.scalar(select(func.count()).select_from(Person))
    body = {**PERSON, "resident_id": _resident_id(birth)}
    resp = client.post("/api/v1/people", json=body, headers=headers_for(Role.CUSTOMER_MANAGER))
    problem = _problem(resp, 422)
    assert problem["errors"][0]["field"] == "resident_id"
    assert problem["errors"][0]["code"] == "birth_date_implausible"
    assert session.scalar(select(func.count()).select_from(Person)) == before


def test_a_body_without_content_type_is_415_not_parsed_as_json(
    client: TestClient, headers_for: Any, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Enterprise))
    body = json.dumps({**ENTERPRISE, "uscc": random_uscc()}).encode()
    for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
        headers = dict(headers_for(Role.CUSTOMER_MANAGER))
        if content_type:
            headers["Content-Type"] = content_type
        resp = client.post("/api/v1/enterprises", content=body, headers=headers)
        problem = _problem(resp, 415)
        assert problem["code"] == "unsupported_media_type"
        assert re.fullmatch(r"[0-9a-f]{32}", problem["request_id"])
    assert session.scalar(select(func.count()).select_from(Enterprise)) == before


def test_a_large_body_is_413_before_it_is_read(client: TestClient, headers_for: Any) -> None:
    big = b'{"name": "' + b"x" * 20_000_000 + b'"}'
    resp = client.post(
        "/api/v1/enterprises",
        content=big,
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Content-Type": "application/json"},
    )
    assert _problem(resp, 413)["code"] == "payload_too_large"

    def chunks() -> Any:  # no Content-Length: refused once the stream passes the limit
        for _ in range(30):
            yield b"x" * 100_000

    resp = client.post(
        "/api/v1/enterprises",
        content=chunks(),
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Content-Type": "application/json"},
    )
    _problem(resp, 413)


def test_an_unexpected_error_is_a_problem_with_the_request_id(app: Any) -> None:
    from fastapi import APIRouter

    boom = APIRouter()

    @boom.get("/api/v1/boom-for-test")
    def _boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    app.include_router(boom)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        resp = c.get("/api/v1/boom-for-test", headers={"X-Request-ID": "probe-500"})
    problem = _problem(resp, 500)
    assert problem["code"] == "internal_error" and problem["request_id"] == "probe-500"
    assert resp.headers["x-request-id"] == "probe-500"
    assert "internal detail" not in resp.text
    assert resp.headers["x-frame-options"] == "DENY"
