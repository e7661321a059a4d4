"""Convenience queries (便民服务) against a real database (SQLite and PostgreSQL): the assistant
offers the consent, then answers with the signed-in legal representative's own records read
through the hub (consent checked, snapshot encrypted, pull logged); another representative, an
agent of the same enterprise and a revoked consent never see them; the /m page asks for the
consent and shows the records masked and labelled sandbox; /m/rights lists the consent."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for
from tests.integration.datahub.datahub_world import WorldFirm, register_world_firm

from puhui.consents import service as consents_service
from puhui.consents.models import Consent
from puhui.core.models import Role, User
from puhui.core.money import format_fen
from puhui.core.runtime import Runtime
from puhui.datahub.models import PullRow, SnapshotRow
from puhui.datahub.payloads import PersonHousingFundPayload, SourceName
from puhui.datahub.sandbox import default_provider

API = "/api/v1/assistant/conversations"
ASK = "我的公积金缴了多少"


def _user(
    session: Session, runtime: Runtime, firm: WorldFirm, mobile: str | None
) -> dict[str, str]:
    """A borrower of the firm signed in with `mobile` (the representative's, or another)."""
    user: User = make_user(session, runtime, Role.BORROWER, enterprise_ids=[firm.enterprise_id])
    if mobile is not None:
        user.mobile_enc = runtime.cipher.encrypt(mobile, "core_user.mobile")
    session.commit()
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}


def _ask(client: TestClient, headers: dict[str, str], text: str = ASK) -> dict[str, Any]:
    conv = client.post(API, json={"lang": "zh"}, headers=headers)
    assert conv.status_code == 201, conv.text
    resp = client.post(f"{API}/{conv.json()['id']}/messages", json={"text": text}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _balance(firm: WorldFirm) -> str:
    payload = default_provider().fetch(SourceName.HOUSING_FUND, firm.resident_id)
    assert isinstance(payload, PersonHousingFundPayload) and payload.balance_fen > 0
    return f"余额 {format_fen(payload.balance_fen)}"


@pytest.fixture
def firms(session: Session, runtime: Runtime) -> tuple[WorldFirm, WorldFirm]:
    return register_world_firm(session, runtime, 5), register_world_firm(session, runtime, 7)


def test_the_assistant_answers_only_the_representative_with_a_live_consent(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    firms: tuple[WorldFirm, WorldFirm],
    headers_for: Any,
) -> None:
    a, b = firms
    me = _user(session, runtime, a, a.mobile)
    first = _ask(client, me)
    assert first["intent"] == "out_of_scope" and first["sub_intent"] == "convenience_query"
    assert "授权" in first["text"] and _balance(a) not in first["text"]
    assert [link["href"] for link in first["links"]] == ["/m/convenience"]

    agreed = client.post("/m/convenience/consent", headers=me, follow_redirects=False)
    assert agreed.status_code == 303
    answer = _ask(client, me)
    assert _balance(a) in answer["text"] and "沙箱" in answer["text"]
    social = _ask(client, me, "社保交了几个月了")
    assert "社会保险" in social["text"] and "住房公积金" not in social["text"]
    pulls = list(session.scalars(select(PullRow).where(PullRow.person_id == a.person_id)))
    assert {(p.purpose, p.scope) for p in pulls} == {("convenience_query", "legal_representative")}
    snapshot = session.scalars(
        select(SnapshotRow).where(SnapshotRow.person_id == a.person_id)
    ).first()
    assert snapshot is not None and snapshot.subject_type == "person" and snapshot.is_sandbox
    assert a.resident_id.encode() not in snapshot.payload_enc  # stored encrypted

    # the other firm's representative, with a consent of its own, sees only its own records
    other = _user(session, runtime, b, b.mobile)
    client.post("/m/convenience/consent", headers=other)
    theirs = _ask(client, other)
    assert _balance(b) in theirs["text"] and _balance(a) not in theirs["text"]
    # an agent of the same firm (another mobile) and staff see nobody's records
    agent = _user(session, runtime, a, "13800138000")
    refused = _ask(client, agent)
    assert "法定代表人" in refused["text"] and _balance(a) not in refused["text"]
    tried = client.post("/m/convenience/consent", headers=agent)  # refused, back to the page
    assert 'data-testid="not-representative"' in tried.text and "法定代表人" in tried.text
    # staff can neither pull nor read a person's own records through the hub's API
    officer = headers_for(Role.CREDIT_OFFICER)
    pulled = client.post(
        f"/api/v1/enterprises/{a.enterprise_id}/datahub/pulls",
        json={"sources": ["housing_fund"], "purpose": "convenience_query",
              "scope": "legal_representative", "person_id": str(a.person_id)},
        headers=officer,
    )  # fmt: skip
    assert pulled.status_code == 403, pulled.text
    read = client.get(f"/api/v1/datahub/snapshots/{snapshot.id}", headers=officer)
    assert read.status_code == 403 and a.resident_id not in read.text
    # a revoked consent ends the reading at once
    for consent in session.scalars(select(Consent).where(Consent.person_id == a.person_id)):
        if consent.revoked_at is None:
            consents_service.revoke(session, runtime.clock, consent.id, revoked_by=None)
    session.commit()
    after = _ask(client, me)
    assert "授权" in after["text"] and _balance(a) not in after["text"]


def test_the_mobile_page_asks_for_the_consent_then_shows_the_records(
    client: TestClient, session: Session, runtime: Runtime, firms: tuple[WorldFirm, WorldFirm]
) -> None:
    a, _ = firms
    me = _user(session, runtime, a, a.mobile)
    assert 'href="/m/convenience"' in client.get("/m/home", headers=me).text
    ask = client.get("/m/convenience", headers=me)
    assert ask.status_code == 200 and 'data-testid="convenience-consent"' in ask.text
    assert "本人公积金数据查询授权书" in ask.text and a.resident_id not in ask.text
    shas = dict(re.findall(r'name="(sha_[a-z_]+)" value="([0-9a-f]{64})"', ask.text))
    assert set(shas) == {"sha_housing_fund", "sha_social_security"}
    wrong = client.post(
        "/m/convenience/consent", data={**shas, "sha_housing_fund": "0" * 64}, headers=me
    )
    assert 'data-testid="convenience-records"' not in wrong.text  # a changed text is refused
    done = client.post("/m/convenience/consent", data=shas, headers=me, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/m/convenience"
    page = client.get("/m/convenience", headers=me)
    assert 'data-testid="convenience-records"' in page.text and "沙箱数据" in page.text
    assert _balance(a).split(" ")[1] in page.text and a.resident_id not in page.text
    rights = client.get("/m/rights", headers=me)
    assert "便民查询" in rights.text and "/revoke" in rights.text
    stranger = _user(session, runtime, a, None)
    assert 'data-testid="not-representative"' in client.get("/m/convenience", headers=stranger).text
    assert uuid.UUID(str(a.person_id))
