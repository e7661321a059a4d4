"""Idempotency keys for money-moving commands.

`require_idempotency_key(...)` is the one check that a command was given a key (400
`idempotency_key_missing` otherwise).
`begin(...)` returns the stored response for a replay of the same key and payload, raises
IdempotencyConflict for the same key with another payload, and otherwise returns None; the
command then does its work and calls `remember(...)` in the same transaction. A concurrent
duplicate loses on the unique (scope, key) constraint and its transaction rolls back.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from puhui.core.clock import Clock
from puhui.core.db import table_insert
from puhui.core.errors import IdempotencyConflict, IdempotencyKeyMissing, InvalidInput
from puhui.core.ids import new_id
from puhui.core.models import IdempotencyRecord


def require_idempotency_key(idempotency_key: str | None) -> str:
    """The command's key without surrounding blanks; IdempotencyKeyMissing when none was given."""
    if not idempotency_key or not idempotency_key.strip():
        raise IdempotencyKeyMissing(field="Idempotency-Key")
    return idempotency_key.strip()


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@cache
def _lookup_statement() -> Select[IdempotencyRecord]:
    return select(IdempotencyRecord).where(
        IdempotencyRecord.scope == bindparam("scope", type_=IdempotencyRecord.scope.type),
        IdempotencyRecord.key == bindparam("key", type_=IdempotencyRecord.key.type),
    )


def begin(session: Session, scope: str, key: str, payload: Any) -> dict[str, Any] | None:
    if not key or len(key) > 128:
        raise InvalidInput(field="idempotency_key")
    row = session.scalar(_lookup_statement(), {"scope": scope, "key": key})
    if row is None:
        return None
    if row.request_hash != request_hash(payload):
        raise IdempotencyConflict(field="idempotency_key")
    return dict(row.response)


def remember(
    session: Session, clock: Clock, scope: str, key: str, payload: Any, response: dict[str, Any]
) -> None:
    """Store the response; a concurrent duplicate fails here on the unique (scope, key)."""
    session.execute(
        table_insert(IdempotencyRecord),
        {
            "id": new_id(),
            "scope": scope,
            "key": key,
            "request_hash": request_hash(payload),
            "response": response,
            "created_at": clock.now(),
        },
    )
