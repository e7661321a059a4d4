from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.models import AuditEvent
from puhui.core.runtime import Runtime
from puhui.parties import service
from puhui.parties.schemas import EnterpriseCreate


def _make_events(session: Session, runtime: Runtime, n: int = 3) -> list[AuditEvent]:
    codes = ["914403001922038216", "9144030071526726XG", "91100000100003962T"]
    audit.set_actor(session, audit.Actor(None, "tester", "admin", "10.0.0.8"))
    for i in range(n):
        service.create_enterprise(
            session,
            runtime.clock,
            EnterpriseCreate(
                name=f"审计测试{i}公司",
                uscc=codes[i],
                industry_section="F",
                region_code="310000",
                region_name="上海市",
                registered_capital_fen=1_000_000,
                established_date=date(2020, 1, 1),
                size_class="micro",
            ),
        )
    session.commit()
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_every_change_is_recorded_with_who_what_where(session: Session, runtime: Runtime) -> None:
    rows = _make_events(session, runtime)
    assert [r.action for r in rows[-3:]] == ["enterprise.create"] * 3
    last = rows[-1]
    assert last.actor_name == "tester" and last.source_ip == "10.0.0.8"
    assert last.after is not None and last.after["uscc"] == "91100000100003962T"
    assert last.occurred_at == runtime.clock.now()
    assert audit.verify(session).ok


def test_rolled_back_work_leaves_no_audit(session: Session, runtime: Runtime) -> None:
    before = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    audit.record(session, "x.y", "thing", "1")
    session.rollback()
    session.commit()
    after = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert before == after


def _disable_guard(session: Session, engine: Engine) -> None:
    """What a rogue DBA would do first: drop the append-only triggers."""
    if engine.dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER trg_core_audit_event_no_update"))
        session.execute(text("DROP TRIGGER trg_core_audit_event_no_delete"))
    else:
        session.execute(
            text("ALTER TABLE core_audit_event DISABLE TRIGGER trg_core_audit_event_append_only")
        )


def test_table_refuses_update(session: Session, runtime: Runtime) -> None:
    rows = _make_events(session, runtime, 1)
    with pytest.raises(DBAPIError):
        session.execute(
            text("UPDATE core_audit_event SET actor_name='x' WHERE seq=:s"), {"s": rows[-1].seq}
        )
        session.flush()
    session.rollback()


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_verify_names_the_tampered_row(
    tamper: str, session: Session, runtime: Runtime, engine: Engine
) -> None:
    rows = _make_events(session, runtime)
    victim = rows[-2]
    _disable_guard(session, engine)
    if tamper == "edit":
        session.execute(
            text("UPDATE core_audit_event SET actor_name='mallory' WHERE id=:i"),
            {"i": victim.id if engine.dialect.name == "postgresql" else victim.id.hex},
        )
        expected: Any = victim
    else:
        session.execute(text("DELETE FROM core_audit_event WHERE seq=:s"), {"s": victim.seq})
        expected = rows[-1]
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert result.bad_id == str(expected.id) and result.bad_seq == expected.seq
    assert ("content changed" if tamper == "edit" else "deleted") in (result.reason or "")
    session.rollback()
