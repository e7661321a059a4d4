"""The hub refuses pulls without a live consent, reuses snapshots within the TTL, stores each
fetched payload once with its hash, logs every pull, and keeps personal identifiers out of clear."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from datahub_world import WorldFirm
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.models import ConsentScope, Purpose
from puhui.core.clock import FixedClock
from puhui.core.models import AuditEvent, Role
from puhui.core.runtime import Runtime
from puhui.datahub import service as hub
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.datahub.errors import SnapshotNotFound, SubjectUnknown
from puhui.datahub.models import PullRow, SnapshotRow
from puhui.datahub.payloads import CreditBureauPayload, SourceName, TaxPayload
from puhui.parties import service as parties_service
from puhui.parties.schemas import EnterpriseCreate

TAX = SourceName.TAX
BUREAU = SourceName.CREDIT_BUREAU
DECISION = Purpose.CREDIT_DECISION


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _consent(
    session: Session,
    runtime: Runtime,
    firm: WorldFirm,
    sources: list[SourceName],
    purpose: Purpose = DECISION,
    **kw: Any,
) -> list[Any]:
    granted = consents_service.grant_bundle(
        session, runtime.clock, firm.enterprise_id, sources, purpose, **kw
    )
    session.commit()
    return granted


def _pull(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    firm: WorldFirm,
    source: SourceName = TAX,
    purpose: Purpose = DECISION,
    **kw: Any,
) -> hub.Snapshot:
    snap = hub.pull(
        session,
        runtime.clock,
        connectors,
        cipher=runtime.cipher,
        enterprise_id=firm.enterprise_id,
        source=source,
        purpose=purpose,
        **kw,
    )
    session.commit()
    return snap


def test_pull_without_consent_is_refused_and_stores_nothing(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    with pytest.raises(ConsentMissing) as err:
        _pull(session, runtime, connectors, firm)
    assert err.value.status == 403 and err.value.code == "consent_missing"
    assert "tax" in err.value.message("en")
    session.rollback()
    assert _count(session, SnapshotRow) == 0 and _count(session, PullRow) == 0


def test_pull_stores_a_hashed_encrypted_snapshot_and_logs_the_pull(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    (consent,) = _consent(session, runtime, firm, [TAX])
    snap = _pull(session, runtime, connectors, firm)
    assert isinstance(snap.payload, TaxPayload)
    assert snap.payload.subject_id == firm.uscc and snap.payload.sandbox is True
    assert snap.provider == "sandbox" and snap.is_sandbox and not snap.reused
    assert snap.consent_id == consent.id and snap.subject_key == firm.uscc
    canonical = json.dumps(
        snap.payload.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert snap.payload_hash == hashlib.sha256(canonical).hexdigest()

    row = session.get(SnapshotRow, snap.id)
    assert row is not None
    assert row.fetched_at == runtime.clock.now() and row.request_id
    assert row.payload_hash == snap.payload_hash
    assert firm.uscc.encode() not in row.payload_enc  # stored encrypted
    assert hub.verify_snapshot(session, runtime.cipher, snap.id)

    pull = session.scalars(select(PullRow)).one()
    assert (pull.snapshot_id, pull.consent_id, pull.purpose, pull.reused) == (
        snap.id,
        consent.id,
        "credit_decision",
        False,
    )
    assert pull.id == snap.pull_id


def test_snapshot_is_reused_within_the_ttl_and_refetched_after(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    _consent(session, runtime, firm, [TAX, BUREAU])
    first = _pull(session, runtime, connectors, firm)
    clock.advance(timedelta(hours=23))
    again = _pull(session, runtime, connectors, firm)
    assert again.id == first.id and again.reused and again.pull_id != first.pull_id
    assert again.payload == first.payload
    clock.advance(timedelta(hours=2))  # 25 h: the tax TTL (24 h) has passed
    fresh = _pull(session, runtime, connectors, firm)
    assert fresh.id != first.id and not fresh.reused
    assert _count(session, SnapshotRow) == 2 and _count(session, PullRow) == 3

    # The credit bureau keeps 7 days by default, and the window is configurable.
    bureau = _pull(session, runtime, connectors, firm, BUREAU)
    clock.advance(timedelta(days=3))
    assert _pull(session, runtime, connectors, firm, BUREAU).id == bureau.id
    short = Connectors(default=connectors.default, ttl={BUREAU: timedelta(hours=1)})
    assert _pull(session, runtime, short, firm, BUREAU).id != bureau.id
    # refresh=True always asks the provider again.
    latest = _pull(session, runtime, connectors, firm, BUREAU)
    assert _pull(session, runtime, connectors, firm, BUREAU, refresh=True).id != latest.id


def test_revocation_stops_pulls_and_reuse(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    (consent,) = _consent(session, runtime, firm, [TAX])
    _pull(session, runtime, connectors, firm)
    consents_service.revoke(session, runtime.clock, consent.id, revoked_by=None)
    session.commit()
    with pytest.raises(ConsentMissing):
        _pull(session, runtime, connectors, firm)  # a fresh snapshot exists, still refused
    session.rollback()
    assert _count(session, PullRow) == 1


def test_expired_consent_is_refused(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    (consent,) = _consent(session, runtime, firm, [TAX], valid_days=30)
    assert consent.expires_at == consent.granted_at + timedelta(days=30)
    clock.advance(timedelta(days=29, hours=23))
    _pull(session, runtime, connectors, firm)
    clock.advance(timedelta(hours=1))
    with pytest.raises(ConsentMissing):
        _pull(session, runtime, connectors, firm)


def test_default_consent_lasts_one_year(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    (consent,) = _consent(session, runtime, firm, [TAX])
    assert consent.expires_at - consent.granted_at == timedelta(days=365)
    clock.advance(timedelta(days=365))
    with pytest.raises(ConsentMissing):
        _pull(session, runtime, connectors, firm)


def test_a_purpose_not_consented_is_refused(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    _consent(session, runtime, firm, [TAX], Purpose.CREDIT_DECISION)
    with pytest.raises(ConsentMissing) as err:
        _pull(session, runtime, connectors, firm, TAX, Purpose.MARKETING)
    assert "marketing" in err.value.message("en")
    with pytest.raises(ConsentMissing):  # nor a source outside the consent
        _pull(session, runtime, connectors, firm, SourceName.UTILITIES)
    with pytest.raises(ConsentMissing):  # nor the legal representative's own data
        _pull(
            session,
            runtime,
            connectors,
            firm,
            BUREAU,
            scope=ConsentScope.LEGAL_REPRESENTATIVE,
            person_id=firm.person_id,
        )


def test_pull_all_is_all_or_nothing_on_consent(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    everything = list(SourceName)
    _consent(session, runtime, firm, everything[:-1])
    with pytest.raises(ConsentMissing) as err:
        hub.pull_all(
            session,
            runtime.clock,
            connectors,
            cipher=runtime.cipher,
            enterprise_id=firm.enterprise_id,
            sources=everything,
            purpose=DECISION,
        )
    assert err.value.params["sources"] == everything[-1].value
    session.rollback()
    assert _count(session, SnapshotRow) == 0
    _consent(session, runtime, firm, everything)
    got = hub.pull_all(
        session,
        runtime.clock,
        connectors,
        cipher=runtime.cipher,
        enterprise_id=firm.enterprise_id,
        sources=everything,
        purpose=DECISION,
    )
    session.commit()
    assert list(got) == everything
    assert all(s.payload.source == name for name, s in got.items())  # type: ignore[attr-defined]
    lineage = hub.snapshots(session, runtime.cipher, [s.id for s in got.values()])
    assert [s.payload_hash for s in lineage] == [s.payload_hash for s in got.values()]
    assert all(s.pull_id is None for s in lineage)
    with pytest.raises(SnapshotNotFound):
        hub.snapshots(session, runtime.cipher, [lineage[0].id, firm.enterprise_id])


def test_person_pull_keeps_the_resident_id_out_of_clear(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    _consent(
        session,
        runtime,
        firm,
        [BUREAU],
        scope=ConsentScope.LEGAL_REPRESENTATIVE,
        person_id=firm.person_id,
    )
    # The person defaults to the one who consented.
    snap = _pull(session, runtime, connectors, firm, BUREAU, scope="legal_representative")
    assert isinstance(snap.payload, CreditBureauPayload)
    assert snap.payload.subject_kind == "person" and snap.payload.subject_id == firm.resident_id
    assert snap.subject_type == "person" and snap.person_id == firm.person_id
    assert snap.subject_key == runtime.cipher.lookup_hash(firm.resident_id, "resident_id")
    # The enterprise's registry payload holds the owner's mobile as contact number.
    _consent(session, runtime, firm, [SourceName.REGISTRY])
    registry = _pull(session, runtime, connectors, firm, SourceName.REGISTRY)
    assert registry.payload.contact_mobile == firm.mobile  # type: ignore[attr-defined]

    dump: list[str] = []
    for table in inspect(session.connection()).get_table_names():
        for db_row in session.execute(text(f'SELECT * FROM "{table}"')):
            for value in db_row:
                if isinstance(value, bytes | bytearray | memoryview):
                    dump.append(bytes(value).decode("latin-1"))
                else:
                    dump.append(str(value))
    everything = "\n".join(dump)
    assert firm.uscc in everything  # the search does see data
    assert firm.resident_id not in everything
    assert firm.mobile not in everything


def test_unknown_subject_is_a_clear_error_and_stores_nothing(
    session: Session, runtime: Runtime, connectors: Connectors
) -> None:
    stranger = parties_service.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name="杭州测试机械有限公司",
            uscc="91330100799655058B",
            industry_section="C",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=500_000_000,
            established_date="2015-06-01",  # type: ignore[arg-type]
            size_class="small",  # type: ignore[arg-type]
        ),
    )
    consents_service.grant(
        session, runtime.clock, enterprise_id=stranger.id, source=TAX, purpose=DECISION
    )
    session.commit()
    with pytest.raises(SubjectUnknown) as err:
        hub.pull(
            session,
            runtime.clock,
            connectors,
            cipher=runtime.cipher,
            enterprise_id=stranger.id,
            source=TAX,
            purpose=DECISION,
        )
    assert err.value.status == 404 and "91330100799655058B" not in err.value.message("zh")
    session.rollback()
    assert _count(session, SnapshotRow) == 0


def test_sandbox_snapshots_are_not_reused_for_another_provider(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    sandbox: SandboxConnector,
    firm: WorldFirm,
) -> None:
    class Renamed(SandboxConnector):
        name = "bank-provider"

    _consent(session, runtime, firm, [TAX])
    first = _pull(session, runtime, connectors, firm)
    other = Connectors(default=Renamed(sandbox.provider))
    second = _pull(session, runtime, other, firm)
    assert second.id != first.id and second.provider == "bank-provider"


# --------------------------------------------------------------------------- HTTP API


def test_api_pull_log_and_snapshot(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    firm: WorldFirm,
    other_firm: WorldFirm,
    app: Any,
    connectors: Connectors,
) -> None:
    app.state.datahub_connectors = connectors
    officer = headers_for(Role.CREDIT_OFFICER)
    url = f"/api/v1/enterprises/{firm.enterprise_id}/datahub/pulls"
    body = {"sources": ["tax", "registry"], "purpose": "credit_decision"}
    refused = client.post(url, json=body, headers=officer)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_missing"
    assert "未获得有效授权" in refused.json()["detail"]
    _consent(session, runtime, firm, [TAX, SourceName.REGISTRY])
    pulled = client.post(url, json=body, headers=officer)
    assert pulled.status_code == 201, pulled.text
    snaps = pulled.json()
    assert [s["source"] for s in snaps] == ["tax", "registry"]
    assert snaps[0]["payload"]["subject_id"] == firm.uscc and snaps[0]["is_sandbox"] is True

    # The enterprise's own borrower reads who accessed its data; another borrower cannot.
    own = client.get(url, headers=headers_for(Role.BORROWER, [firm.enterprise_id]))
    assert own.status_code == 200
    assert {p["source"] for p in own.json()} == {"tax", "registry"}
    assert own.json()[0]["actor_name"].startswith("credit_officer")
    foreign = client.get(url, headers=headers_for(Role.BORROWER, [other_firm.enterprise_id]))
    assert foreign.status_code == 404

    snap_url = f"/api/v1/datahub/snapshots/{snaps[0]['id']}"
    read = client.get(snap_url, headers=headers_for(Role.AUDITOR))
    assert read.status_code == 200 and read.json()["payload_hash"] == snaps[0]["payload_hash"]
    assert session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "datahub.snapshot_read", AuditEvent.entity_id == snaps[0]["id"])
    )
    assert client.get(snap_url, headers=headers_for(Role.CUSTOMER_MANAGER)).status_code == 403
