"""The 普惠 ceiling (10 million CNY per borrower) and the related-party group cap hold."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from decisioning_world import application_body, clean_index, register
from sqlalchemy.orm import Session

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import RelationshipCreate

WAN = 10_000 * 100  # 10,000 yuan in fen


def _existing_line(session: Session, runtime: Runtime, enterprise_id: uuid.UUID, fen: int) -> None:
    lending_service.create_line_from_offer(
        session,
        runtime.clock,
        enterprise_id=enterprise_id,
        product_code="jingyingdai",
        limit_fen=fen,
        rate_bp=450,
        term_months=12,
        expiry_date=date(2027, 5, 31),
        decision_id=uuid.uuid4(),
        repayment_method="equal_instalment",
    )
    session.commit()


def _codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["decision"]["reasons"]]


def test_the_ceiling_of_ten_million_per_borrower_holds(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: Any
) -> None:
    f = register(session, runtime, clean_index())
    assert f.enterprise_id is not None
    _existing_line(session, runtime, f.enterprise_id, 980 * WAN)
    staff = headers_for(Role.CUSTOMER_MANAGER)
    resp = apply(application_body(f, requested_amount_fen=100 * WAN), staff)
    body = resp.json()
    assert body["status"] == "approved", body
    assert body["decision"]["limit_fen"] == 20 * WAN  # 10,000,000 - 9,800,000 yuan
    lineage = client.get(
        f"/api/v1/decisions/{body['decision']['id']}", headers=headers_for(Role.CREDIT_OFFICER)
    ).json()
    assert {"stage": "limit", "code": "LIMIT_BY_CEILING", "action": "flag"} in lineage["rule_hits"]
    assert lineage["result"]["limit_calc"]["ceiling_room_fen"] == 20 * WAN
    # the offer (a line pending signature) used the room: nothing more can be granted
    resp = apply(application_body(f, requested_amount_fen=100 * WAN), staff)
    body = resp.json()
    assert body["status"] == "declined"
    assert _codes(body)[0] == "LIMIT_BELOW_MINIMUM"
    total = sum(
        line.limit_fen
        for line in lending_service.list_lines(
            session, _staff_principal(), enterprise_id=f.enterprise_id
        )
    )
    assert total == 1_000 * WAN


def _staff_principal() -> Any:
    from puhui.core.auth import Principal

    return Principal(uuid.uuid4(), "t", "t", Role.RISK_OFFICER, frozenset())


def test_the_related_party_group_cap_holds(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    a = register(session, runtime, clean_index())
    b = register(session, runtime, clean_index(1), with_rep=False)
    assert a.enterprise_id and b.enterprise_id and a.person_id
    # b has the same legal representative as a: one related-party group
    parties_service.add_relationship(
        session,
        runtime.clock,
        b.enterprise_id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=a.person_id),
    )
    session.commit()
    _existing_line(session, runtime, b.enterprise_id, 740 * WAN)
    _existing_line(session, runtime, b.enterprise_id, 740 * WAN)  # group: 14.8 million
    resp = apply(
        application_body(a, requested_amount_fen=100 * WAN), headers_for(Role.CUSTOMER_MANAGER)
    )
    body = resp.json()
    assert body["status"] == "approved", body
    assert body["decision"]["limit_fen"] == 20 * WAN  # 15,000,000 - 14,800,000 yuan
    decision = client_decision(session, body)
    assert decision.features["group_exposure_fen"] == 1_480 * WAN
    assert decision.features["group_size"] == 2
    assert any(h["code"] == "LIMIT_BY_GROUP_CAP" for h in decision.rule_hits)


def client_decision(session: Session, body: dict[str, Any]) -> Any:
    from puhui.decisioning.models import Decision

    return session.get(Decision, uuid.UUID(body["decision"]["id"]))
