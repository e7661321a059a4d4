"""The collateral-watch API (`/api/v1/collateral`): a manager starts a watch with its sensors,
readings arrive, the lot shows its live value, readings and a firing signal; a release lowers
the expected quantity and the last of the goods ends the watch. Bad input is a problem in
Chinese (English on request) and changes nothing; a borrower is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.iot.iot_factories import FENCE, readings
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.iot import service as iot


def _body(enterprise_id: Any, line_id: Any, ref: str) -> dict[str, Any]:
    return {
        "collateral_ref": ref, "enterprise_id": str(enterprise_id), "line_id": str(line_id),
        "site": "sh-wh1", "goods_kind": "热轧卷板", "unit": "kg", "quantity": 10_000,
        "unit_price_fen": 450, "haircut_bp": 3_000, "required_cover_fen": 2_800_000,
        "fence": {"lat": FENCE[0], "lon": FENCE[1], "radius_m": FENCE[2]},
        "temperature": {"low": 0, "high": 35},
        "sensors": [{"sensor_id": f"{ref}-W", "kind": "weight", "stale_after_s": 120},
                    {"sensor_id": f"{ref}-G", "kind": "location"},
                    {"sensor_id": f"{ref}-T", "kind": "temperature"}],
    }  # fmt: skip


def test_a_watch_over_the_api_from_start_to_release(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    session.commit()
    manager = headers_for(Role.CUSTOMER_MANAGER)

    made = client.post("/api/v1/collateral/lots", json=_body(ent.id, line.id, "API-1"),
                       headers=manager)  # fmt: skip
    assert made.status_code == 201, made.text
    lot = made.json()
    assert lot["status"] == "watching" and lot["expected_quantity"] == 10_000
    assert sorted(s["sensor_id"] for s in lot["sensors"]) == ["API-1-G", "API-1-T", "API-1-W"]
    assert lot["live_value_fen"] is None and lot["firing"] == []

    again = client.post("/api/v1/collateral/lots", json=_body(ent.id, line.id, "API-1"),
                        headers=manager)  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "iot_lot_already_watched"
    assert again.headers["content-type"] == "application/problem+json"

    iot.ingest(session, clock, readings("API-1", clock.now(), 10_000.0))
    clock.advance(timedelta(seconds=5))
    iot.ingest(session, clock, readings("API-1", clock.now(), 6_000.0))  # 40 % gone: red
    session.commit()
    seen = client.get(f"/api/v1/collateral/lots/{lot['id']}", headers=manager).json()
    assert seen["last_quantity"] == 6_000.0
    assert seen["firing"] == ["iot_cover_short", "iot_weight_drop"]
    assert seen["live_value_fen"] == 1_890_000  # 6,000 kg × 4.50 yuan × 70 % < 28,000 yuan
    weights = client.get(f"/api/v1/collateral/lots/{lot['id']}/readings?kind=weight",
                         headers=manager).json()  # fmt: skip
    assert [r["value"] for r in weights] == [10_000.0, 6_000.0]
    listed = client.get("/api/v1/collateral/lots?watching_only=true", headers=manager).json()
    assert lot["id"] in [x["id"] for x in listed]

    too_much = client.post(f"/api/v1/collateral/lots/{lot['id']}/release",
                           json={"quantity": 20_000}, headers=manager)  # fmt: skip
    assert too_much.status_code == 409 and "超过应有数量" in too_much.json()["detail"]
    part = client.post(f"/api/v1/collateral/lots/{lot['id']}/release",
                       json={"quantity": 4_000}, headers=manager)  # fmt: skip
    assert part.status_code == 200 and part.json()["expected_quantity"] == 6_000
    rest = client.post(f"/api/v1/collateral/lots/{lot['id']}/release",
                       json={"quantity": 6_000}, headers=manager)  # fmt: skip
    assert rest.json()["status"] == "stopped"
    assert not any(s["active"] for s in rest.json()["sensors"])
    stopped = client.post(f"/api/v1/collateral/lots/{lot['id']}/stop", headers=manager)
    assert stopped.status_code == 409 and stopped.json()["code"] == "iot_lot_not_watching"


def test_bad_input_is_refused_in_words_and_changes_nothing(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    session.commit()
    manager = headers_for(Role.CUSTOMER_MANAGER)
    body = _body(ent.id, line.id, "API-2")
    body["haircut_bp"] = 10_000
    body["temperature"] = {"low": 30, "high": 5}
    bad = client.post("/api/v1/collateral/lots", json=body, headers=manager)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert iot.lot_by_ref(session, "API-2") is None
    english = client.post("/api/v1/collateral/lots", json=body,
                          headers={**manager, "Accept-Language": "en"})  # fmt: skip
    assert english.status_code == 422 and english.json()["detail"] != bad.json()["detail"]

    borrower = headers_for(Role.BORROWER, [ent.id])
    assert client.get("/api/v1/collateral/lots", headers=borrower).status_code == 403
    ok = _body(ent.id, line.id, "API-3")
    assert client.post("/api/v1/collateral/lots", json=ok, headers=borrower).status_code == 403
    auditor = headers_for(Role.AUDITOR)  # staff may read; only keepers start a watch
    assert client.get("/api/v1/collateral/lots", headers=auditor).status_code == 200
    assert client.post("/api/v1/collateral/lots", json=ok, headers=auditor).status_code == 403
