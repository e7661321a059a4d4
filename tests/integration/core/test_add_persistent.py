"""core.db.add_persistent: rows inserted with one Core statement and kept in the session as if
flushed (persistent, loaded, unmodified) — what the consents and the offer line rely on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session
from tests.support.sql import statements

from puhui.core.clock import FixedClock
from puhui.core.db import add_persistent
from puhui.core.ids import new_id
from puhui.core.models import IdempotencyRecord


def _row(clock: FixedClock, key: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "scope": "test",
        "key": key,
        "request_hash": "0" * 64,
        "response": {"n": 1, "nested": {"ok": True}},
        "created_at": clock.now(),
    }


def test_rows_are_inserted_once_and_persistent_unmodified_in_the_session(
    session: Session, engine: Engine, clock: FixedClock
) -> None:
    rows = [_row(clock, "a"), _row(clock, "b")]
    with statements(engine) as seen:
        objects = add_persistent(session, IdempotencyRecord, rows)
        # reading every attribute loads nothing: the objects hold their values
        assert [(o.key, o.response["nested"]["ok"]) for o in objects] == [("a", True), ("b", True)]
        session.flush()  # nothing pending: no second INSERT
    assert len([s for s in seen if s.startswith("INSERT")]) == 1
    assert not [s for s in seen if s.startswith("SELECT")]
    for obj, row in zip(objects, rows, strict=True):
        state = inspect(obj)
        assert state.persistent and not state.modified and obj in session
        assert session.get(IdempotencyRecord, row["id"]) is obj  # the identity map's object
    # a change is then an ordinary UPDATE of the stored row
    objects[0].key = "a2"
    session.flush()
    session.expire_all()
    stored = session.scalars(select(IdempotencyRecord.key).order_by(IdempotencyRecord.key)).all()
    assert stored == ["a2", "b"]


def test_an_incomplete_row_is_refused_before_anything_is_written(
    session: Session, engine: Engine, clock: FixedClock
) -> None:
    row = _row(clock, "c")
    del row["response"]
    with statements(engine) as seen, pytest.raises(ValueError, match="response"):
        add_persistent(session, IdempotencyRecord, [_row(clock, "d"), row])
    assert not seen
    assert session.scalar(select(IdempotencyRecord.id)) is None
