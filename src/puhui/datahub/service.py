"""The data hub: the only way the rest of Puhui reads external data.

`pull` / `pull_all` refuse any source without a live consent covering the source, the purpose and
the scope (`ConsentMissing`, 403) — also after revocation and after expiry. A snapshot of the same
source and subject fetched within the source's TTL by the same provider is reused; otherwise the
connector is called, the payload validated by its pydantic model (and checked to be about the
subject asked for) and stored as a snapshot: the SHA-256 of its canonical JSON, and that JSON
encrypted (payloads hold personal data). Every pull, fetched or reused, writes a `datahub_pull`
row. A failed pull stores nothing: all fetches of a call complete before any row is written.

Services never commit; the caller owns the unit of work.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.models import Consent, ConsentScope, Purpose
from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id
from puhui.datahub.connectors import (
    Connector,
    Connectors,
    DatahubSettings,
    SandboxConnector,
    build_connectors,
    validate_payload,
)
from puhui.datahub.errors import ProviderBadPayload, SnapshotNotFound
from puhui.datahub.models import PullRow, SnapshotRow, SubjectType
from puhui.datahub.payloads import SourceName, payload_model
from puhui.datahub.schemas import Snapshot
from puhui.parties import service as parties_service

__all__ = [
    "Connectors",
    "DatahubSettings",
    "SandboxConnector",
    "Snapshot",
    "build_connectors",
    "canonical_json",
    "pull",
    "pull_all",
    "pulls_for_enterprise",
    "read_snapshot",
    "snapshots",
    "verify_snapshot",
]


PAYLOAD_FIELD = "datahub_snapshot.payload"  # associated data of the payload ciphertext


def canonical_json(data: Any) -> bytes:
    """Canonical bytes of decoded JSON data: sorted keys, no spaces, UTF-8. A snapshot's
    `payload_hash` is the SHA-256 of these bytes for `payload.model_dump(mode="json")`."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Subject:
    type: SubjectType
    key: str  # USCC, or the keyed hash of a resident ID
    provider_id: str  # what the provider is asked about (USCC or the resident ID)
    person_id: uuid.UUID | None


def _subject(
    session: Session,
    enterprise_id: uuid.UUID,
    scope: ConsentScope,
    person_id: uuid.UUID | None,
    cipher: FieldCipher,
) -> _Subject:
    if scope == ConsentScope.ENTERPRISE:
        enterprise = parties_service.get_enterprise(session, enterprise_id)
        return _Subject(SubjectType.ENTERPRISE, enterprise.uscc, enterprise.uscc, None)
    if person_id is None:
        raise InvalidInput(field="person_id")
    person = parties_service.get_person(session, person_id)
    resident_id = cipher.decrypt(person.resident_id_enc, "resident_id")
    return _Subject(SubjectType.PERSON, person.resident_id_hash, resident_id, person.id)


_SNAPSHOT_COLUMNS = tuple(c.key for c in SnapshotRow.__table__.columns)


def _open(cipher: FieldCipher, source: SourceName, payload_enc: bytes) -> BaseModel:
    try:
        return payload_model(source).model_validate_json(cipher.decrypt(payload_enc, PAYLOAD_FIELD))
    except ValidationError as exc:  # stored under an older schema: not usable as it is
        raise ProviderBadPayload(source=source.value) from exc


def _to_snapshot(
    cipher: FieldCipher,
    values: Mapping[str, Any],
    payload: BaseModel | None = None,
    **extra: Any,
) -> Snapshot:
    """A Snapshot from a `datahub_snapshot` row's column values (payload decrypted if not given)."""
    source = SourceName(values["source"])
    return Snapshot(
        id=values["id"],
        source=source,
        subject_type=SubjectType(values["subject_type"]),
        subject_key=values["subject_key"],
        enterprise_id=values["enterprise_id"],
        person_id=values["person_id"],
        fetched_at=values["fetched_at"],
        request_id=values["request_id"],
        provider=values["provider"],
        is_sandbox=values["is_sandbox"],
        payload_hash=values["payload_hash"],
        consent_id=values["consent_id"],
        payload=payload if payload is not None else _open(cipher, source, values["payload_enc"]),
        **extra,
    )


def _values(row: SnapshotRow) -> dict[str, Any]:
    return {c: getattr(row, c) for c in _SNAPSHOT_COLUMNS}


@dataclass(frozen=True)
class _Fetched:
    source: SourceName
    connector: Connector
    request_id: str
    payload: BaseModel
    latency_ms: int


def _fetch(connector: Connector, source: SourceName, subject_id: str) -> _Fetched:
    request_id = str(new_id())
    started = time.perf_counter()
    payload = connector.fetch(source, subject_id, request_id=request_id)
    latency_ms = int((time.perf_counter() - started) * 1000)
    payload = validate_payload(source, payload)
    if getattr(payload, "subject_id", subject_id) != subject_id:
        raise ProviderBadPayload(source=source.value)  # an answer about someone else
    return _Fetched(source, connector, request_id, payload, latency_ms)


def _fetch_all(jobs: Sequence[tuple[Connector, SourceName]], subject_id: str) -> list[_Fetched]:
    """Fetch every source; in parallel threads when a remote provider is involved.

    The first failure is raised after all calls ended (nothing is stored by the caller then).
    """
    if len(jobs) <= 1 or all(c.is_sandbox for c, _ in jobs):
        return [_fetch(c, s, subject_id) for c, s in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="datahub") as pool:
        futures = [pool.submit(_fetch, c, s, subject_id) for c, s in jobs]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def _resolve_person(
    scope: ConsentScope, person_id: uuid.UUID | None, consents: dict[SourceName, Consent]
) -> uuid.UUID | None:
    if scope == ConsentScope.ENTERPRISE:
        if person_id is not None:
            raise InvalidInput(field="person_id")
        return None
    if person_id is not None:
        return person_id
    people = {c.person_id for c in consents.values()}
    if len(people) != 1:
        raise InvalidInput(field="person_id")
    return people.pop()


def pull_all(
    session: Session,
    clock: Clock,
    connectors: Connectors,
    *,
    enterprise_id: uuid.UUID,
    sources: Iterable[SourceName],
    purpose: Purpose,
    scope: ConsentScope | str = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
    cipher: FieldCipher,
    refresh: bool = False,
) -> dict[SourceName, Snapshot]:
    """Snapshots of several sources for one enterprise (or its legal representative).

    All or nothing: without a live consent for every source, `ConsentMissing` names the missing
    ones and nothing is fetched; when a provider fails, its error is raised and nothing is stored.
    For the legal representative scope, `person_id` defaults to the person of the consents.
    `cipher` encrypts the stored payloads (they hold personal data) and decrypts a person's
    resident ID to ask the provider.
    """
    wanted = list(dict.fromkeys(SourceName(s) for s in sources))
    if not wanted:
        return {}
    purpose = Purpose(purpose)
    scope = ConsentScope(scope)
    now = clock.now()

    consents = consents_service.live_consents(
        session, now, enterprise_id, wanted, purpose, scope, person_id
    )
    missing = [s.value for s in wanted if s not in consents]
    if missing:
        raise ConsentMissing(
            field="sources", sources=",".join(missing), purpose=purpose.value, scope=scope.value
        )
    person_id = _resolve_person(scope, person_id, consents)
    subject = _subject(session, enterprise_id, scope, person_id, cipher)

    reusable: dict[SourceName, dict[str, Any]] = {}
    if not refresh:
        oldest = now - max(connectors.ttl_for(s) for s in wanted)
        candidates = session.scalars(
            select(SnapshotRow)
            .where(
                SnapshotRow.source.in_([s.value for s in wanted]),
                SnapshotRow.subject_type == subject.type.value,
                SnapshotRow.subject_key == subject.key,
                SnapshotRow.fetched_at > oldest,
                SnapshotRow.fetched_at <= now,
            )
            .order_by(SnapshotRow.fetched_at.desc(), SnapshotRow.id.desc())
        )
        for row in candidates:
            source = SourceName(row.source)
            if (
                source not in reusable
                and row.provider == connectors.for_source(source).name
                and row.fetched_at > now - connectors.ttl_for(source)
            ):
                reusable[source] = _values(row)

    fetched = {
        f.source: f
        for f in _fetch_all(
            [(connectors.for_source(s), s) for s in wanted if s not in reusable],
            subject.provider_id,
        )
    }

    # Bulk inserts (one statement per table): the snapshots, then the pulls pointing at them.
    new_rows: dict[SourceName, dict[str, Any]] = {}
    for source, item in fetched.items():
        canonical = canonical_json(item.payload.model_dump(mode="json"))
        new_rows[source] = {
            "id": new_id(),
            "source": source.value,
            "subject_type": subject.type.value,
            "subject_key": subject.key,
            "enterprise_id": enterprise_id,
            "person_id": subject.person_id,
            "fetched_at": now,
            "request_id": item.request_id,
            "provider": item.connector.name,
            "is_sandbox": item.connector.is_sandbox,
            "payload_hash": hashlib.sha256(canonical).hexdigest(),
            "payload_enc": cipher.encrypt(canonical.decode(), PAYLOAD_FIELD),
            "consent_id": consents[source].id,
            "latency_ms": item.latency_ms,
        }
    if new_rows:
        session.execute(insert(SnapshotRow), list(new_rows.values()))

    actor = audit.current_actor(session)
    results: dict[SourceName, Snapshot] = {}
    pull_rows: list[dict[str, Any]] = []
    for source in wanted:
        reused = source not in new_rows
        values = reusable[source] if reused else new_rows[source]
        pull_id = new_id()
        pull_rows.append(
            {
                "id": pull_id,
                "enterprise_id": enterprise_id,
                "person_id": subject.person_id,
                "source": source.value,
                "purpose": purpose.value,
                "scope": scope.value,
                "consent_id": consents[source].id,
                "snapshot_id": values["id"],
                "reused": reused,
                "pulled_at": now,
                "actor_id": actor.user_id,
                "actor_name": actor.name,
            }
        )
        payload = None if reused else fetched[source].payload
        results[source] = _to_snapshot(cipher, values, payload, pull_id=pull_id, reused=reused)
    session.execute(insert(PullRow), pull_rows)
    return results


def pull(
    session: Session,
    clock: Clock,
    connectors: Connectors,
    *,
    enterprise_id: uuid.UUID,
    source: SourceName,
    purpose: Purpose,
    scope: ConsentScope | str = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
    cipher: FieldCipher,
    refresh: bool = False,
) -> Snapshot:
    """One source's snapshot for an enterprise (or its legal representative). See `pull_all`."""
    source = SourceName(source)
    return pull_all(
        session,
        clock,
        connectors,
        enterprise_id=enterprise_id,
        sources=[source],
        purpose=purpose,
        scope=scope,
        person_id=person_id,
        cipher=cipher,
        refresh=refresh,
    )[source]


def snapshots(session: Session, cipher: FieldCipher, ids: Iterable[uuid.UUID]) -> list[Snapshot]:
    """Stored snapshots by id, in the order asked (lineage of a decision). Unknown ids → 404."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = {r.id: r for r in session.scalars(select(SnapshotRow).where(SnapshotRow.id.in_(wanted)))}
    if len(rows) != len(wanted):
        raise SnapshotNotFound()
    return [_to_snapshot(cipher, _values(rows[i])) for i in wanted]


def read_snapshot(session: Session, cipher: FieldCipher, snapshot_id: uuid.UUID) -> Snapshot:
    """One snapshot for a person to read (staff, lineage); the read is audited."""
    snapshot = snapshots(session, cipher, [snapshot_id])[0]
    audit.record(
        session,
        "datahub.snapshot_read",
        "datahub_snapshot",
        snapshot.id,
        after={"source": snapshot.source.value, "enterprise_id": snapshot.enterprise_id},
    )
    return snapshot


def verify_snapshot(session: Session, cipher: FieldCipher, snapshot_id: uuid.UUID) -> bool:
    """Does the stored payload still decrypt and hash to the stored `payload_hash`?"""
    row = session.get(SnapshotRow, snapshot_id)
    if row is None:
        raise SnapshotNotFound()
    try:
        data = json.loads(cipher.decrypt(row.payload_enc, PAYLOAD_FIELD))
    except (InvalidTag, ValueError):
        return False
    return hashlib.sha256(canonical_json(data)).hexdigest() == row.payload_hash


def pulls_for_enterprise(
    session: Session, enterprise_id: uuid.UUID, *, limit: int = 200
) -> list[PullRow]:
    """The enterprise's data-access log, newest first."""
    return list(
        session.scalars(
            select(PullRow)
            .where(PullRow.enterprise_id == enterprise_id)
            .order_by(PullRow.pulled_at.desc(), PullRow.id.desc())
            .limit(limit)
        )
    )
