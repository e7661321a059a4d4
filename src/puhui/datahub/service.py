"""The data hub: the only way the rest of Puhui reads external data.

`pull_many` (and its one-request forms `pull_all` / `pull`) refuse any source without a live
consent covering the source, the purpose and the scope — and the person, for the legal
representative's own data (`ConsentMissing`, 403) — also after revocation and after expiry. The
consents are looked up in one query for all requests; a caller that has just granted them in the
same unit of work may hand them over (`consents=`) to save that query, and the hub takes one only
if it is a flushed, unchanged row of this very session that matches and is live now. A snapshot
of the same source and subject fetched within the source's TTL by the same provider is reused
(one query for all subjects); otherwise the connector is called, the payload validated by its
pydantic model (and checked to be about the subject asked for) and stored as a snapshot: the
SHA-256 of its canonical JSON, and that JSON encrypted (payloads hold personal data). Every pull,
fetched or reused, writes a `datahub_pull` row. One INSERT writes a call's new snapshots, one
its pulls. A failed call stores nothing: all fetches complete before any row is written, and the
consents of every request are checked before anything is fetched.

Services never commit; the caller owns the unit of work.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.schemas import ConsentRef, ConsentScope, Purpose
from puhui.core import audit
from puhui.core.canonical import canonical_json
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.db import table_insert
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
from puhui.datahub.errors import ProviderBadPayload, SnapshotDestroyed, SnapshotNotFound
from puhui.datahub.models import PullRow, SnapshotRow, SubjectType
from puhui.datahub.payloads import SourceName, payload_model
from puhui.datahub.schemas import Snapshot
from puhui.parties import service as parties_service

__all__ = [
    "Connectors",
    "DatahubSettings",
    "PullRequest",
    "SandboxConnector",
    "Snapshot",
    "build_connectors",
    "canonical_json",
    "pull",
    "pull_all",
    "pull_many",
    "pulls_for_enterprise",
    "read_snapshot",
    "snapshots",
    "verify_snapshot",
]


PAYLOAD_FIELD = "datahub_snapshot.payload"  # associated data of the payload ciphertext


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


def _open(
    cipher: FieldCipher, source: SourceName, payload_enc: bytes, subject_type: str = "enterprise"
) -> BaseModel:
    if payload_enc == DESTROYED:
        raise SnapshotDestroyed()
    model = payload_model(source, subject_type)
    try:
        return model.model_validate_json(cipher.decrypt(payload_enc, PAYLOAD_FIELD))
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
        payload=payload
        if payload is not None
        else _open(cipher, source, values["payload_enc"], values["subject_type"]),
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


def _fetch_all(jobs: Sequence[tuple[Connector, SourceName, str]]) -> list[_Fetched]:
    """Fetch every (connector, source, subject id); in parallel threads when a remote provider
    is involved, in order otherwise.

    The first failure is raised after all calls ended (nothing is stored by the caller then).
    """
    if len(jobs) <= 1 or all(c.is_sandbox for c, _, _ in jobs):
        return [_fetch(c, s, subject_id) for c, s, subject_id in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="datahub") as pool:
        futures = [pool.submit(_fetch, c, s, subject_id) for c, s, subject_id in jobs]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def _resolve_person(
    scope: ConsentScope, person_id: uuid.UUID | None, consents: dict[SourceName, ConsentRef]
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


@dataclass(frozen=True)
class PullRequest:
    """What one request of `pull_many` asks for: sources under one scope (and person)."""

    sources: Sequence[SourceName]
    scope: ConsentScope | str = ConsentScope.ENTERPRISE
    person_id: uuid.UUID | None = None


_SubjectSource = tuple[SubjectType, str, SourceName]


@cache
def _reusable_statement(shape: tuple[int, ...]) -> Select[Any]:
    """Snapshot rows (Core: column values, no ORM objects) of len(shape) subjects (type_i,
    key_i) and shape[i] sources each (source_i_j), fetched after `oldest`, newest first; built
    once per shape with plain bound parameters (an expanding IN is rendered again on every
    run)."""
    column = SnapshotRow.__table__.c

    def subject(i: int, sources: int) -> ColumnElement[bool]:
        return and_(
            column.subject_type == bindparam(f"type_{i}", type_=column.subject_type.type),
            column.subject_key == bindparam(f"key_{i}", type_=column.subject_key.type),
            column.source.in_(
                [bindparam(f"source_{i}_{j}", type_=column.source.type) for j in range(sources)]
            ),
        )

    return (
        select(*column)
        .where(
            or_(*(subject(i, n) for i, n in enumerate(shape))),
            column.fetched_at > bindparam("oldest", type_=column.fetched_at.type),
            column.fetched_at <= bindparam("now", type_=column.fetched_at.type),
        )
        .order_by(column.fetched_at.desc(), column.id.desc())
    )


class _Ask(NamedTuple):
    """One request of `pull_many`, normalized: its sources (each once), scope and person."""

    sources: list[SourceName]
    scope: ConsentScope
    person_id: uuid.UUID | None


_Found = dict[SourceName, ConsentRef]  # the consent covering each source of one request


def pull_many(
    session: Session,
    clock: Clock,
    connectors: Connectors,
    *,
    enterprise_id: uuid.UUID,
    requests: Sequence[PullRequest],
    purpose: Purpose,
    cipher: FieldCipher,
    refresh: bool = False,
    consents: Iterable[object] = (),
    gate: Callable[[int, Mapping[SourceName, BaseModel]], None] | None = None,
) -> list[dict[SourceName, Snapshot]]:
    """Snapshots for several requests (e.g. an enterprise's sources and its legal
    representative's credit report) for one enterprise and purpose, in a few statements.

    All or nothing across all requests: without a live consent for every source of every
    request, `ConsentMissing` names the missing ones (of the first request lacking some) and
    nothing is fetched; when a provider fails, its error is raised and nothing is stored.

    `consents` may hand over consents the caller has just granted in this unit of work (what
    `consents_service.grant_bundles` returned): consents decides whether each may stand in for
    the look-up (`consents_for_pull`); whatever they do not cover is looked up in one query
    (none when they cover everything). Then one query for reusable snapshots of all
    subjects, the fetches, one INSERT of the new snapshots and one of the pulls. A source asked
    twice for the same subject in one call is fetched once (the later request reuses it).
    Returns one dict per request, in order.

    `gate(i, payloads)`, when given, is called with request i's payloads (fetched or reused)
    before the sources of request i + 1 are fetched; an exception it raises ends the call with
    nothing stored and nothing more asked of any provider (e.g. a legal representative's name
    checked against the registry before the person's credit report is asked for — an inquiry
    shows on it). Without it, every fetch of the call runs at once.

    The steps: `_check_consents`, `_subjects`, `_first_asks`, `_reusable` (TTL reuse),
    `_fetch_missing` (connectors, with the gate), `_store_snapshots`, `_log_pulls`.
    """
    asks = [
        _Ask(list(dict.fromkeys(SourceName(s) for s in r.sources)), ConsentScope(r.scope),
             r.person_id)
        for r in requests
    ]  # fmt: skip
    if not any(ask.sources for ask in asks):
        return [{} for _ in asks]
    purpose = Purpose(purpose)
    now = clock.now()
    found = _check_consents(session, now, enterprise_id, purpose, asks, consents)
    subjects = _subjects(session, enterprise_id, asks, found, cipher)
    first_ask = _first_asks(asks, subjects, found)
    reusable = {} if refresh else _reusable(session, connectors, first_ask, now)
    fetched = _fetch_missing(connectors, cipher, asks, subjects, first_ask, reusable, gate)
    new_rows = _store_snapshots(session, cipher, enterprise_id, now, first_ask, fetched)
    pulls = _Pulls(enterprise_id, purpose, now, new_rows, reusable, fetched)
    return _log_pulls(session, cipher, pulls, asks, subjects, found)


def _check_consents(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    purpose: Purpose,
    asks: Sequence[_Ask],
    consents: Iterable[object],
) -> list[_Found]:
    """The live consent of every source of every request (`ConsentMissing` names the missing
    ones of the first request lacking some), as consents' plain data: consents decides whether
    the ones handed over stand in for the look-up (`consents_for_pull`) and looks up the rest in
    one query (none when the given ones cover everything)."""
    found = consents_service.consents_for_pull(
        session,
        now,
        enterprise_id,
        purpose,
        [(ask.sources, ask.scope, ask.person_id) for ask in asks],
        given=consents,
    )
    for ask, have in zip(asks, found, strict=True):
        missing = [s.value for s in ask.sources if s not in have]
        if missing:
            raise ConsentMissing(
                field="sources",
                sources=",".join(missing),
                purpose=purpose.value,
                scope=ask.scope.value,
            )
    return found


def _subjects(
    session: Session,
    enterprise_id: uuid.UUID,
    asks: Sequence[_Ask],
    found: Sequence[_Found],
    cipher: FieldCipher,
) -> list[_Subject | None]:
    """Whom each request asks the providers about (None for a request without sources)."""
    return [
        _subject(session, enterprise_id, ask.scope,
                 _resolve_person(ask.scope, ask.person_id, have), cipher)
        if ask.sources
        else None
        for ask, have in zip(asks, found, strict=True)
    ]  # fmt: skip


_FirstAsks = dict[_SubjectSource, tuple[_Subject, ConsentRef]]


def _first_asks(
    asks: Sequence[_Ask], subjects: Sequence[_Subject | None], found: Sequence[_Found]
) -> _FirstAsks:
    """Each (subject, source) once, with the subject and the consent of its first request."""
    first_ask: _FirstAsks = {}
    for ask, subject, have in zip(asks, subjects, found, strict=True):
        for source in ask.sources:
            assert subject is not None
            first_ask.setdefault((subject.type, subject.key, source), (subject, have[source]))
    return first_ask


def _reusable(
    session: Session, connectors: Connectors, first_ask: _FirstAsks, now: datetime
) -> dict[_SubjectSource, dict[str, Any]]:
    """The stored snapshots (column values) that may stand in for a fetch: the newest of the
    same source and subject, from the same provider, within the source's TTL; one query."""
    by_subject: dict[tuple[SubjectType, str], list[str]] = {}
    for subject_type, subject_key, source in first_ask:
        by_subject.setdefault((subject_type, subject_key), []).append(source.value)
    oldest = now - max(connectors.ttl_for(source) for _, _, source in first_ask)
    params: dict[str, Any] = {"oldest": oldest, "now": now}
    for i, ((subject_type, subject_key), sources) in enumerate(by_subject.items()):
        params.update({f"type_{i}": subject_type.value, f"key_{i}": subject_key})
        params.update({f"source_{i}_{j}": source for j, source in enumerate(sources)})
    shape = tuple(len(sources) for sources in by_subject.values())
    reusable: dict[_SubjectSource, dict[str, Any]] = {}
    for mapping in session.execute(_reusable_statement(shape), params).mappings():
        source = SourceName(mapping["source"])
        wanted_key = (SubjectType(mapping["subject_type"]), mapping["subject_key"], source)
        if (
            wanted_key in first_ask
            and wanted_key not in reusable
            and mapping["provider"] == connectors.for_source(source).name
            and mapping["fetched_at"] > now - connectors.ttl_for(source)
        ):
            reusable[wanted_key] = dict(mapping)
    return reusable


def _fetch_missing(
    connectors: Connectors,
    cipher: FieldCipher,
    asks: Sequence[_Ask],
    subjects: Sequence[_Subject | None],
    first_ask: _FirstAsks,
    reusable: Mapping[_SubjectSource, Mapping[str, Any]],
    gate: Callable[[int, Mapping[SourceName, BaseModel]], None] | None,
) -> dict[_SubjectSource, _Fetched]:
    """Everything not reusable, fetched from its connector: all at once without a gate; with
    one, request by request, the gate called with each request's payloads (fetched or reused)
    before the next request's sources are asked for."""

    def fetch(keys: list[_SubjectSource]) -> dict[_SubjectSource, _Fetched]:
        jobs = [
            (connectors.for_source(source), source, first_ask[(kind, key, source)][0].provider_id)
            for kind, key, source in keys
        ]
        return dict(zip(keys, _fetch_all(jobs), strict=True))

    to_fetch = [k for k in first_ask if k not in reusable]
    if gate is None:
        return fetch(to_fetch)
    fetched: dict[_SubjectSource, _Fetched] = {}
    for index, (ask, subject) in enumerate(zip(asks, subjects, strict=True)):
        if subject is None:
            continue
        keys = [(subject.type, subject.key, source) for source in ask.sources]
        fetched.update(fetch([k for k in keys if k in to_fetch and k not in fetched]))
        if index < len(asks) - 1:
            gate(
                index,
                {
                    k[2]: fetched[k].payload
                    if k in fetched
                    else _open(cipher, k[2], reusable[k]["payload_enc"], k[0].value)
                    for k in keys
                },
            )
    return fetched


def _store_snapshots(
    session: Session,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    now: datetime,
    first_ask: _FirstAsks,
    fetched: Mapping[_SubjectSource, _Fetched],
) -> dict[_SubjectSource, dict[str, Any]]:
    """The fetched payloads stored as snapshots, in one INSERT: the SHA-256 of the canonical
    JSON and that JSON encrypted. Returns the new rows' column values."""
    new_rows: dict[_SubjectSource, dict[str, Any]] = {}
    for key, item in fetched.items():
        subject, consent = first_ask[key]
        canonical = canonical_json(item.payload.model_dump(mode="json"))
        new_rows[key] = {
            "id": new_id(),
            "source": item.source.value,
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
            "consent_id": consent.id,
            "latency_ms": item.latency_ms,
        }
    if new_rows:
        session.execute(table_insert(SnapshotRow), list(new_rows.values()))
    return new_rows


@dataclass(frozen=True)
class _Pulls:
    """What one `pull_many` call found or fetched, for its pull log and its results."""

    enterprise_id: uuid.UUID
    purpose: Purpose
    now: datetime
    new_rows: Mapping[_SubjectSource, Mapping[str, Any]]  # stored by this call
    reusable: Mapping[_SubjectSource, Mapping[str, Any]]
    fetched: Mapping[_SubjectSource, _Fetched]


def _log_pulls(
    session: Session,
    cipher: FieldCipher,
    pulls: _Pulls,
    asks: Sequence[_Ask],
    subjects: Sequence[_Subject | None],
    found: Sequence[_Found],
) -> list[dict[SourceName, Snapshot]]:
    """One `datahub_pull` row per source of every request, fetched or reused (a source
    fetched once for two requests counts as reused the second time), in one INSERT; returns
    the snapshots per request."""
    actor = audit.current_actor(session)
    results: list[dict[SourceName, Snapshot]] = []
    pull_rows: list[dict[str, Any]] = []
    fresh: set[_SubjectSource] = set()  # fetched, and already returned once as fetched
    for ask, subject, have in zip(asks, subjects, found, strict=True):
        result: dict[SourceName, Snapshot] = {}
        for source in ask.sources:
            assert subject is not None
            key = (subject.type, subject.key, source)
            reused = key not in pulls.new_rows or key in fresh
            values = pulls.new_rows[key] if key in pulls.new_rows else pulls.reusable[key]
            pull_id = new_id()
            pull_rows.append(
                {
                    "id": pull_id,
                    "enterprise_id": pulls.enterprise_id,
                    "person_id": subject.person_id,
                    "source": source.value,
                    "purpose": pulls.purpose.value,
                    "scope": ask.scope.value,
                    "consent_id": have[source].id,
                    "snapshot_id": values["id"],
                    "reused": reused,
                    "pulled_at": pulls.now,
                    "actor_id": actor.user_id,
                    "actor_name": actor.name,
                }
            )
            payload = pulls.fetched[key].payload if key in pulls.fetched else None
            if key in pulls.new_rows:
                fresh.add(key)
            result[source] = _to_snapshot(cipher, values, payload, pull_id=pull_id, reused=reused)
        results.append(result)
    session.execute(table_insert(PullRow), pull_rows)
    return results


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
    resident ID to ask the provider. One request of `pull_many`.
    """
    return pull_many(
        session,
        clock,
        connectors,
        enterprise_id=enterprise_id,
        requests=[PullRequest(list(sources), scope, person_id)],
        purpose=purpose,
        cipher=cipher,
        refresh=refresh,
    )[0]


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


DESTROYED = b""  # a snapshot's payload once destroyed: the row (lineage, hash) stays


def destroy_snapshots(
    session: Session,
    *,
    fetched_before: datetime | None = None,
    enterprise_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """Erase the payloads of the snapshots fetched before a time (retention) or of some
    enterprises (the data subject's request); each row keeps its hash for the decision's
    lineage. Returns how many payloads were destroyed; the caller audits the destruction."""
    stmt = update(SnapshotRow).where(SnapshotRow.payload_enc != DESTROYED)
    if fetched_before is not None:
        stmt = stmt.where(SnapshotRow.fetched_at < fetched_before)
    if enterprise_ids is not None:
        stmt = stmt.where(SnapshotRow.enterprise_id.in_(list(enterprise_ids)))
    result = session.execute(stmt.values(payload_enc=DESTROYED))
    return int(getattr(result, "rowcount", 0) or 0)


def count_snapshots(session: Session, enterprise_ids: Iterable[uuid.UUID]) -> dict[str, int]:
    """Snapshots held per source for these enterprises (payload not destroyed)."""
    stmt = (
        select(SnapshotRow.source, func.count())
        .where(
            SnapshotRow.enterprise_id.in_(list(enterprise_ids)),
            SnapshotRow.payload_enc != DESTROYED,
        )
        .group_by(SnapshotRow.source)
    )
    return {str(source): int(n) for source, n in session.execute(stmt)}


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
