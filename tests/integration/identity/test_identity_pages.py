"""The /m identity flow through the pages: the legal representative verified inline when
applying, an agent acting under (and refused outside) an authorisation, and the contract-signing
code sent to the verified mobile and never shown in the page outside the sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.integration.decisioning.decisioning_world import clean_index
from tests.local_http import LocalServer

from puhui.core.config import Settings
from puhui.core.runtime import Runtime
from puhui.datahub.sandbox import default_provider

AGENT = "13700137001"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _rep(index: int) -> dict[str, Any]:
    world = default_provider().world
    row = world.enterprises.row(index, named=True)
    rep = world.people.row(row["legal_rep_person_id"], named=True)
    return {"uscc": row["uscc"], **{k: rep[k] for k in ("name", "resident_id", "mobile")}}


def _sign_in(client: TestClient, mobile: str, code_of: Any = None) -> str:
    client.cookies.clear()
    start = client.get("/m/start")
    page = client.post("/m/login/send", data={"mobile": mobile, "csrf_token": _csrf(start.text)})
    code = code_of() if code_of else re.search(r'sandbox-code">(\d{6})<', page.text).group(1)  # type: ignore[union-attr]
    done = client.post("/m/login/verify", data={"code": code, "csrf_token": _csrf(page.text)})
    assert done.status_code == 200
    return done.text


def _apply(client: TestClient, html: str, **form: str) -> Any:
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key
    data = {
        "csrf_token": _csrf(html),
        "key": key.group(1),
        "amount_yuan": "200000",
        "agree": "yes",
        **form,
    }
    return client.post("/m/apply", data=data)


def test_someone_else_s_mobile_cannot_apply_as_the_legal_representative(
    client: TestClient,
) -> None:
    rep = _rep(clean_index())
    page = _sign_in(client, "13600005555")  # knows the USCC, the name and the ID: not enough
    refused = _apply(
        client, page, uscc=rep["uscc"], rep_name=rep["name"], rep_resident_id=rep["resident_id"]
    )
    # refused the Post/Redirect/Get way: back on the form, with the message
    assert refused.status_code == 200 and str(refused.url).endswith("/m/apply")
    assert "手机号未登记在本人名下" in refused.text


def test_an_agent_applies_only_under_the_representative_s_authorisation(
    client: TestClient,
) -> None:
    rep = _rep(clean_index())
    page = _sign_in(client, rep["mobile"])
    applied = _apply(
        client, page, uscc=rep["uscc"], rep_name=rep["name"], rep_resident_id=rep["resident_id"]
    )
    assert applied.status_code == 200 and "/m/applications/" in str(applied.url)
    agents = client.get("/m/identity/agents")
    enterprise_id = re.search(r'name="enterprise_id" value="([^"]+)"', agents.text).group(1)  # type: ignore[union-attr]
    granted = client.post(
        "/m/identity/agents",
        data={
            "csrf_token": _csrf(agents.text),
            "enterprise_id": enterprise_id,
            "agent_name": "李经办",
            "agent_mobile": AGENT,
            "scope": ["drawdown"],
            "days": "7",
        },
    )
    assert granted.status_code == 200 and 'data-testid="grant"' in granted.text

    page = _sign_in(client, AGENT)
    held = client.get("/m/identity/agents")  # the agent sees the authorisation and accepts it
    assert 'data-testid="received"' in held.text
    accept = re.search(r'action="(/m/identity/agents/[^/]+/accept)"', held.text)
    assert accept
    client.post(accept.group(1), data={"csrf_token": _csrf(held.text)})
    form = client.get("/m/apply").text
    out_of_scope = _apply(client, form, uscc=rep["uscc"])
    assert str(out_of_scope.url).endswith("/m/apply") and "申请授信" in out_of_scope.text
    assert "/m/applications/" not in str(out_of_scope.url)

    _sign_in(client, rep["mobile"])
    agents = client.get("/m/identity/agents")
    client.post(
        "/m/identity/agents",
        data={
            "csrf_token": _csrf(agents.text),
            "enterprise_id": enterprise_id,
            "agent_name": "李经办",
            "agent_mobile": AGENT,
            "scope": ["apply"],
            "days": "7",
        },
    )
    _sign_in(client, AGENT)
    form = client.get("/m/apply").text
    ok = _apply(client, form, uscc=rep["uscc"])
    assert ok.status_code == 200 and "/m/applications/" in str(ok.url)


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(lambda *_: (200, {"id": "gw"})) as server:
        yield server


@pytest.fixture
def gateway_client(
    settings: Settings, runtime: Runtime, gateway: LocalServer
) -> Iterator[TestClient]:
    from puhui.app import create_app

    real_sms = settings.model_copy(update={"sms_channel": "http", "sms_gateway_url": gateway.url})
    rt = Runtime(real_sms, runtime.clock, runtime.cipher, runtime.engine, runtime.session_factory)
    with TestClient(create_app(rt), base_url="https://testserver") as client:
        yield client


def test_the_signing_code_goes_to_the_verified_mobile_and_never_into_the_page(
    gateway_client: TestClient, gateway: LocalServer
) -> None:
    client = gateway_client
    rep = _rep(clean_index(1))

    def last_code() -> str:
        return re.search(r"(\d{6})", gateway.seen[-1].json()["text"]).group(1)  # type: ignore[union-attr]

    page = _sign_in(client, rep["mobile"], last_code)
    applied = _apply(
        client, page, uscc=rep["uscc"], rep_name=rep["name"], rep_resident_id=rep["resident_id"]
    )
    line = re.search(r'action="/m/lines/([^/]+)/contract"', applied.text)
    assert line, applied.text
    contract = client.post(
        f"/m/lines/{line.group(1)}/contract", data={"csrf_token": _csrf(applied.text)}
    )
    contract_id = str(contract.url).rsplit("/", 1)[-1]
    shown = client.post(
        f"/m/contracts/{contract_id}/send", data={"csrf_token": _csrf(contract.text)}
    )
    sent = gateway.seen[-1].json()
    assert sent["topic"] == "contract.sign_otp" or "sign" in sent["topic"]
    assert sent["to"] == rep["mobile"]  # the carrier-verified mobile of the legal representative
    code = last_code()
    assert code not in shown.text and "sandbox-code" not in shown.text and "沙箱" not in shown.text
    again = client.get(f"/m/contracts/{contract_id}")
    assert code not in again.text
