"""A person's own housing fund and social security from a real provider over HTTP (a local
server): read through the hub under the person's `convenience_query` consent, stored as a
person snapshot of the HTTP provider (not sandbox); a provider's 404 stores nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from datahub_server import ProviderServer, start_server
from datahub_world import register_world_firm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.models import ConsentScope, Purpose
from puhui.core.runtime import Runtime
from puhui.datahub import service as hub
from puhui.datahub.errors import SubjectUnknown
from puhui.datahub.models import SnapshotRow
from puhui.datahub.payloads import PersonHousingFundPayload, PersonSocialSecurityPayload
from puhui.datahub.personal import SOURCES, PersonalSettings, build_personal_connectors


@pytest.fixture(scope="module")
def server() -> Iterator[ProviderServer]:
    state, uvicorn_server, thread = start_server()
    try:
        yield state
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=5)


def _connectors(server: ProviderServer, mode: str):  # type: ignore[no-untyped-def]
    settings = PersonalSettings(
        provider="http",
        http_base_url=server.url,
        http_paths={s: f"/{mode}/{s.value}/{{subject_id}}" for s in SOURCES},
        http_retries=0,
    )
    return build_personal_connectors("production", settings)  # HTTP is allowed anywhere


def test_a_persons_records_come_over_http_under_the_persons_consent(
    session: Session, runtime: Runtime, server: ProviderServer
) -> None:
    server.reset()
    firm = register_world_firm(session, runtime, 5)
    consents_service.grant_bundle(
        session,
        runtime.clock,
        firm.enterprise_id,
        list(SOURCES),
        Purpose.CONVENIENCE_QUERY,
        scope=ConsentScope.LEGAL_REPRESENTATIVE,
        person_id=firm.person_id,
    )
    ask = [hub.PullRequest(SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, firm.person_id)]
    missing = _connectors(server, "missing")
    with pytest.raises(SubjectUnknown):
        hub.pull_many(
            session, runtime.clock, missing, enterprise_id=firm.enterprise_id,
            requests=ask, purpose=Purpose.CONVENIENCE_QUERY, cipher=runtime.cipher,
        )  # fmt: skip
    assert session.scalar(select(func.count()).select_from(SnapshotRow)) == 0
    snaps = hub.pull_many(
        session, runtime.clock, _connectors(server, "ok"), enterprise_id=firm.enterprise_id,
        requests=ask, purpose=Purpose.CONVENIENCE_QUERY, cipher=runtime.cipher,
    )[0]  # fmt: skip
    hf, ss = snaps[SOURCES[0]], snaps[SOURCES[1]]
    assert isinstance(hf.payload, PersonHousingFundPayload) and hf.payload.provider == "acme-data"
    assert isinstance(ss.payload, PersonSocialSecurityPayload)
    assert hf.provider == "personal-http" and not hf.is_sandbox and hf.subject_type == "person"
    assert hf.payload.subject_id == firm.resident_id and server.hits["ok"] == 2
    # read back from the stored (encrypted) snapshot by the person model
    again = hub.snapshots(session, runtime.cipher, [hf.id])[0]
    assert again.payload == hf.payload
