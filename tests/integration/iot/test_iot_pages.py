"""The live collateral pages over HTTP: the list of watched lots, a lot's panel (latest
readings, live value against cover, signals and alerts in words, never codes), the htmx
fragment and the chart's series."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.iot.iot_factories import readings, watch_lot
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.iot import service as iot


def test_panel_shows_readings_value_and_the_alert_after_a_drop(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    lot = watch_lot(session, clock, ent.id, line.id, "WR-P1")
    iot.ingest(session, clock, readings("WR-P1", clock.now(), 10_000.0))
    clock.advance(timedelta(seconds=30))
    iot.ingest(session, clock, readings("WR-P1", clock.now(), 6_500.0))
    session.commit()
    manager = headers_for(Role.CUSTOMER_MANAGER)

    listing = client.get("/console/collateral", headers=manager)
    assert listing.status_code == 200 and "WR-P1" in listing.text
    assert "押品重量下降且无解押" in listing.text and "iot_weight_drop" not in listing.text

    page = client.get(f"/console/collateral/{lot.id}", headers=manager)
    assert page.status_code == 200
    html = page.text
    assert "6,500.0 千克" in html  # measured
    assert "¥20,475.00" in html and "¥28,000.00" in html  # live value, required cover
    assert "红色预警" in html and "热轧卷板" in html and "称重" in html
    assert "iot_" not in html.replace("iot-live", "")  # no signal code on the page
    assert 'nonce="' in html and "echarts" in html

    fragment = client.get(f"/console/collateral/{lot.id}/live", headers=manager)
    assert fragment.status_code == 200 and 'id="iot-live"' in fragment.text
    series = client.get(f"/console/collateral/{lot.id}/series.json", headers=manager).json()
    assert [v for _, v in series["quantity"]] == [10_000.0, 6_500.0]
    assert [v for _, v in series["temperature"]] == [18.5, 18.5]

    # a borrower has no business here
    assert client.get("/console/collateral", headers=headers_for(Role.BORROWER)).status_code in (
        302, 303, 401, 403,
    )  # fmt: skip
