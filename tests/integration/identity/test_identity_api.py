"""The identity API: staff verify a legal representative (three-factor, sandbox world) and read
the record, masked; borrowers may not call it; a failed check answers 422 and is kept."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from puhui.core.models import Role
from puhui.datahub.sandbox import default_provider


def _rep() -> dict[str, Any]:
    world = default_provider().world
    row = world.enterprises.row(5, named=True)
    return world.people.row(row["legal_rep_person_id"], named=True)


def test_staff_verify_three_factor_and_a_wrong_mobile_fails(
    client: TestClient, headers_for: Any
) -> None:
    rep = _rep()
    body = {"name": rep["name"], "resident_id": rep["resident_id"], "mobile": rep["mobile"]}
    officer = headers_for(Role.CUSTOMER_MANAGER)
    ok = client.post("/api/v1/identity/three-factor", json=body, headers=officer)
    assert ok.status_code == 201, ok.text
    out = ok.json()
    assert out["passed"] and out["kind"] == "three_factor" and out["sandbox"] is True
    assert out["mobile_masked"] == rep["mobile"][:3] + "****" + rep["mobile"][-4:]
    assert rep["mobile"] not in ok.text and rep["resident_id"] not in ok.text
    wrong = client.post(
        "/api/v1/identity/three-factor", json={**body, "mobile": "13900009999"}, headers=officer
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "identity_verification_failed"
    refused = client.post(
        "/api/v1/identity/three-factor", json=body, headers=headers_for(Role.BORROWER)
    )
    assert refused.status_code == 403
