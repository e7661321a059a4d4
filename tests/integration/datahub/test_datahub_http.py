"""HttpConnector against a real local HTTP server: success, timeout, retries on 5xx, malformed
and schema-invalid payloads, 404, the circuit breaker — and through the hub, no snapshot is
stored for any failure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from datahub_server import ProviderServer, start_server
from datahub_world import WorldFirm
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.models import Purpose
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.datahub import service as hub
from puhui.datahub.connectors import (
    Connectors,
    DatahubSettings,
    SandboxConnector,
    build_connectors,
)
from puhui.datahub.errors import (
    CircuitOpen,
    ProviderBadPayload,
    ProviderTimeout,
    ProviderUnavailable,
    SubjectUnknown,
)
from puhui.datahub.http import HttpConnector
from puhui.datahub.models import PullRow, SnapshotRow
from puhui.datahub.payloads import SourceName, TaxPayload
from puhui.datahub.resilience import Backoff, BreakerPolicy, CircuitState

TAX = SourceName.TAX
USCC = "914403078H2W43J63G"  # enterprise 0 of the default sandbox world
TIMEOUT_S = 0.2


@pytest.fixture(scope="module")
def server() -> Iterator[ProviderServer]:
    state, uvicorn_server, thread = start_server()
    try:
        yield state
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture
def provider(server: ProviderServer) -> ProviderServer:
    server.reset()
    return server


class FakeTime:
    """Injected monotonic time and sleep: sleeping advances time and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def connector(
    provider: ProviderServer,
    mode: str,
    *,
    retries: int = 2,
    time: FakeTime | None = None,
    breaker: BreakerPolicy | None = None,
) -> HttpConnector:
    time = time or FakeTime()
    return HttpConnector(
        provider.url,
        {s: f"/{mode}/{s.value}/{{subject_id}}" for s in SourceName},
        timeout_s=TIMEOUT_S,
        retries=retries,
        backoff=Backoff(base_s=0.01, factor=2.0, max_s=1.0, jitter=0.0),
        breaker=breaker or BreakerPolicy(failure_threshold=5, cooldown_s=30),
        sleep=time.sleep,
        monotonic=time.monotonic,
    )


def test_success_validates_the_payload_and_sends_the_request_id(provider: ProviderServer) -> None:
    http = connector(provider, "ok")
    payload = http.fetch(TAX, USCC, request_id="req-1")
    assert isinstance(payload, TaxPayload)
    assert payload.subject_id == USCC and payload.provider == "acme-data"
    assert payload.sandbox is False
    assert provider.hits["ok"] == 1 and provider.request_ids == ["req-1"]
    assert http.breaker(TAX).current_state() == CircuitState.CLOSED


def test_timeout_is_retried_then_reported(provider: ProviderServer) -> None:
    time = FakeTime()
    http = connector(provider, "slow", retries=1, time=time)
    with pytest.raises(ProviderTimeout) as err:
        http.fetch(TAX, USCC, request_id="req-slow")
    assert err.value.status == 504 and "超时" in err.value.message("zh")
    assert provider.hits["slow"] == 2  # the first call and one retry
    assert time.sleeps == [0.01]


def test_5xx_is_retried_with_exponential_backoff_until_success(provider: ProviderServer) -> None:
    time = FakeTime()
    provider.flaky_failures = 2
    payload = connector(provider, "flaky", retries=2, time=time).fetch(
        TAX, USCC, request_id="req-flaky"
    )
    assert isinstance(payload, TaxPayload)
    assert provider.hits["flaky"] == 3  # two 500s, then the answer
    assert time.sleeps == [0.01, 0.02]
    assert provider.request_ids == ["req-flaky"] * 3  # the same request id on every attempt


def test_5xx_after_the_retries_is_provider_unavailable(provider: ProviderServer) -> None:
    provider.flaky_failures = 5
    with pytest.raises(ProviderUnavailable) as err:
        connector(provider, "flaky", retries=1).fetch(TAX, USCC, request_id="r")
    assert err.value.status == 502 and "HTTP 500" in err.value.message("en")
    assert provider.hits["flaky"] == 2


@pytest.mark.parametrize("mode", ["malformed", "invalid"])
def test_bad_payload_is_refused_without_retry(provider: ProviderServer, mode: str) -> None:
    with pytest.raises(ProviderBadPayload) as err:
        connector(provider, mode).fetch(TAX, USCC, request_id="r")
    assert err.value.status == 502 and err.value.code == "provider_bad_payload"
    assert provider.hits[mode] == 1


def test_404_is_subject_unknown_without_retry(provider: ProviderServer) -> None:
    http = connector(provider, "missing")
    with pytest.raises(SubjectUnknown):
        http.fetch(TAX, USCC, request_id="r")
    assert provider.hits["missing"] == 1
    assert http.breaker(TAX).failures == 0  # the provider answered: not a failure


def test_circuit_opens_after_repeated_failures_and_recovers(provider: ProviderServer) -> None:
    time = FakeTime()
    policy = BreakerPolicy(failure_threshold=2, cooldown_s=5)
    http = connector(provider, "switch", retries=0, time=time, breaker=policy)
    provider.switch = "down"
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            http.fetch(TAX, USCC, request_id="r")
    assert http.breaker(TAX).current_state() == CircuitState.OPEN
    with pytest.raises(CircuitOpen) as err:
        http.fetch(TAX, USCC, request_id="r")
    assert err.value.status == 503 and err.value.params["retry_after_s"] == 5
    assert provider.hits["switch"] == 2  # the open circuit did not call the server
    # Each source has its own breaker.
    provider.switch = "ok"
    http.fetch(SourceName.SOCIAL_SECURITY, USCC, request_id="r")
    assert provider.hits["switch"] == 3

    time.now += 5  # cool-down over: half-open, one trial call goes out
    assert http.breaker(TAX).current_state() == CircuitState.HALF_OPEN
    provider.switch = "down"
    with pytest.raises(ProviderUnavailable):
        http.fetch(TAX, USCC, request_id="r")
    assert http.breaker(TAX).current_state() == CircuitState.OPEN  # the trial failed
    with pytest.raises(CircuitOpen):
        http.fetch(TAX, USCC, request_id="r")
    assert provider.hits["switch"] == 4

    time.now += 5
    provider.switch = "ok"
    assert isinstance(http.fetch(TAX, USCC, request_id="r"), TaxPayload)
    assert http.breaker(TAX).current_state() == CircuitState.CLOSED


# --------------------------------------------------------------------------- through the hub


def _consented(session: Session, runtime: Runtime, firm: WorldFirm) -> None:
    consents_service.grant(
        session,
        runtime.clock,
        enterprise_id=firm.enterprise_id,
        source=TAX,
        purpose=Purpose.CREDIT_DECISION,
    )
    session.commit()


def _stored(session: Session) -> tuple[int, int]:
    return (
        int(session.scalar(select(func.count()).select_from(SnapshotRow)) or 0),
        int(session.scalar(select(func.count()).select_from(PullRow)) or 0),
    )


def _hub_pull(session: Session, runtime: Runtime, http: HttpConnector, firm: WorldFirm) -> Any:
    return hub.pull(
        session,
        runtime.clock,
        Connectors(default=http),
        cipher=runtime.cipher,
        enterprise_id=firm.enterprise_id,
        source=TAX,
        purpose=Purpose.CREDIT_DECISION,
    )


def test_hub_stores_an_http_snapshot(
    provider: ProviderServer, session: Session, runtime: Runtime, firm: WorldFirm
) -> None:
    _consented(session, runtime, firm)
    snap = _hub_pull(session, runtime, connector(provider, "ok"), firm)
    session.commit()
    assert snap.provider == "http" and snap.is_sandbox is False
    assert snap.payload.provider == "acme-data"  # type: ignore[attr-defined]
    assert provider.request_ids == [snap.request_id]
    assert _stored(session) == (1, 1)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("slow", ProviderTimeout),
        ("down", ProviderUnavailable),
        ("malformed", ProviderBadPayload),
        ("invalid", ProviderBadPayload),
        ("missing", SubjectUnknown),
    ],
)
def test_hub_stores_nothing_when_the_provider_fails(
    provider: ProviderServer,
    session: Session,
    runtime: Runtime,
    firm: WorldFirm,
    mode: str,
    error: type[DomainError],
) -> None:
    _consented(session, runtime, firm)
    with pytest.raises(error):
        _hub_pull(session, runtime, connector(provider, mode, retries=1), firm)
    session.rollback()
    assert _stored(session) == (0, 0)


def test_hub_stores_nothing_when_the_circuit_is_open(
    provider: ProviderServer, session: Session, runtime: Runtime, firm: WorldFirm
) -> None:
    _consented(session, runtime, firm)
    http = connector(provider, "down", retries=0, breaker=BreakerPolicy(1, 60))
    with pytest.raises(ProviderUnavailable):
        _hub_pull(session, runtime, http, firm)
    with pytest.raises(CircuitOpen):
        _hub_pull(session, runtime, http, firm)
    assert provider.hits["down"] == 1
    session.rollback()
    assert _stored(session) == (0, 0)


def test_api_reports_provider_errors_as_problems(
    provider: ProviderServer,
    client: TestClient,
    headers_for: Any,
    app: Any,
    session: Session,
    runtime: Runtime,
    firm: WorldFirm,
) -> None:
    _consented(session, runtime, firm)
    app.state.datahub_connectors = Connectors(default=connector(provider, "slow", retries=0))
    r = client.post(
        f"/api/v1/enterprises/{firm.enterprise_id}/datahub/pulls",
        json={"sources": ["tax"], "purpose": "credit_decision"},
        headers=headers_for(Role.CREDIT_OFFICER),
    )
    assert r.status_code == 504
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "provider_timeout" and "超时" in r.json()["detail"]
    assert _stored(session) == (0, 0)


def test_settings_route_sources_to_the_bank_provider(
    monkeypatch: pytest.MonkeyPatch, provider: ProviderServer
) -> None:
    monkeypatch.setenv("PUHUI_DATAHUB_HTTP_BASE_URL", provider.url)
    monkeypatch.setenv("PUHUI_DATAHUB_HTTP_SOURCES", '["tax"]')
    monkeypatch.setenv("PUHUI_DATAHUB_HTTP_PATHS", '{"tax": "/ok/tax/{subject_id}"}')
    monkeypatch.setenv("PUHUI_DATAHUB_TTL_HOURS", '{"credit_bureau": 72}')
    built = build_connectors(DatahubSettings())
    http = built.for_source(TAX)
    assert isinstance(http, HttpConnector)
    assert isinstance(built.for_source(SourceName.REGISTRY), SandboxConnector)
    assert built.ttl_for(SourceName.CREDIT_BUREAU) == timedelta(hours=72)
    assert built.ttl_for(TAX) == timedelta(hours=24)
    assert isinstance(http.fetch(TAX, USCC, request_id="r"), TaxPayload)
    assert provider.hits["ok"] == 1
