"""The audit trail: who changed what, when, from where; append-only and hash-chained.

`record()` queues an event on the session; just before the unit of work commits, the queued
events are chained (SHA-256 over the previous row's hash and this row's canonical content) and
inserted in the same transaction. On PostgreSQL an advisory lock serializes the chaining step.
`verify()` walks the chain and names the first row whose content, link or sequence is broken.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from puhui.core.clock import Clock, SystemClock
from puhui.core.db import table_insert
from puhui.core.ids import new_id
from puhui.core.models import AuditEvent

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 0x70756875  # "puhu"


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    name: str
    role: str | None = None
    ip: str | None = None


SYSTEM = Actor(user_id=None, name="system", role=None, ip=None)


@dataclass
class _Pending:
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: Actor
    occurred_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def set_actor(session: Session, actor: Actor) -> None:
    session.info["audit_actor"] = actor


def set_clock(session: Session, clock: Clock) -> None:
    session.info["clock"] = clock


def session_clock(session: Session) -> Clock:
    clock = session.info.get("clock")
    return clock if clock is not None else SystemClock()


def current_actor(session: Session) -> Actor:
    actor = session.info.get("audit_actor")
    return actor if isinstance(actor, Actor) else SYSTEM


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Queue one audit event for this unit of work (written at commit, in the same transaction)."""
    pending: list[_Pending] = session.info.setdefault("audit_pending", [])
    pending.append(
        _Pending(
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None,
            actor=current_actor(session),
            occurred_at=session_clock(session).now(),
        )
    )


_CONTENT = (
    "id",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "source_ip",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)


def _canonical(values: Mapping[str, Any]) -> bytes:
    content = {name: values[name] for name in _CONTENT}
    content["id"] = str(values["id"])
    content["occurred_at"] = values["occurred_at"].isoformat()
    content["actor_id"] = str(values["actor_id"]) if values["actor_id"] else None
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_content(row: AuditEvent) -> bytes:
    return _canonical({name: getattr(row, name) for name in _CONTENT})


def _chain(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def chain_hash(prev_hash: str, row: AuditEvent) -> str:
    return _chain(prev_hash, canonical_content(row))


# Built once: every commit with audit events runs them.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LAST = select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)


def _flush_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop("audit_pending", [])
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(_LOCK, {"k": _ADVISORY_LOCK_ID})
    last = session.execute(_LAST).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        values: dict[str, Any] = {
            "id": new_id(),
            "seq": seq,
            "occurred_at": item.occurred_at,
            "actor_id": item.actor.user_id,
            "actor_name": item.actor.name,
            "actor_role": item.actor.role,
            "source_ip": item.actor.ip,
            "action": item.action,
            "entity_type": item.entity_type,
            "entity_id": item.entity_id,
            "before": item.before,
            "after": item.after,
            "prev_hash": prev,
        }
        prev = values["row_hash"] = _chain(prev, _canonical(values))
        rows.append(values)
    session.execute(table_insert(AuditEvent), rows)  # the commit then flushes pending objects


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _flush_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("audit_pending", None)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    bad_id: str | None = None
    bad_seq: int | None = None
    reason: str | None = None


def iter_rows(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain; report the first row that was edited, or follows a deleted row."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in iter_rows(session):
        count += 1
        if row.seq != expected_seq:
            return VerifyResult(
                False,
                count,
                str(row.id),
                row.seq,
                f"sequence gap: expected {expected_seq}, found {row.seq} (a row was deleted)",
            )
        if row.prev_hash != prev:
            return VerifyResult(
                False, count, str(row.id), row.seq, "link broken: prev_hash does not match"
            )
        if chain_hash(prev, row) != row.row_hash:
            return VerifyResult(
                False, count, str(row.id), row.seq, "content changed: row hash does not match"
            )
        prev = row.row_hash
        expected_seq += 1
    return VerifyResult(True, count)
