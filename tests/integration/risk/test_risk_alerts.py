"""Alerts and actions (issue 14, item 3): one open alert per enterprise and signal, the
lifecycle with a mandatory disposition, the SLA by level; actions with maker-checker and
automatic freezes, acting on the line through lending."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import InvalidInput
from puhui.core.models import AuditEvent, Role
from puhui.core.runtime import Runtime
from puhui.lending import service as lending
from puhui.risk import actions, alerts
from puhui.risk.errors import (
    ActionNotApplicable,
    DispositionRequired,
    InvalidAlertTransition,
    SameOfficerAction,
)
from puhui.risk.models import Alert, AlertStatus, Level

REASONS = [{"code": "judicial_new_case", "zh": "新增涉诉案件", "en": "New court case"}]


def _raise(session: Session, clock: FixedClock, ent_id: uuid.UUID, level: Level, **kw):  # type: ignore[no-untyped-def]
    return alerts.raise_alert(
        session,
        clock,
        enterprise_id=ent_id,
        signal_code=kw.pop("signal", "judicial_new_case"),
        level=level,
        reasons=REASONS,
        evidence={"value": 2, "baseline": 0},
        day=business_date(clock),
        **kw,
    )


def test_one_open_alert_per_enterprise_and_signal(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    first, created = _raise(session, clock, ent.id, Level.ORANGE)
    assert created and first.status == "open"
    clock.advance(timedelta(days=30))
    again, created_again = _raise(session, clock, ent.id, Level.RED)
    assert not created_again and again.id == first.id
    assert again.level == "red" and again.last_seen_date == business_date(clock)
    other, created_other = _raise(session, clock, ent.id, Level.YELLOW, signal="tax_grade_down")
    assert created_other and other.id != first.id
    count = session.scalar(select(func.count()).where(Alert.enterprise_id == ent.id))
    assert count == 2
    # the database refuses a second open alert of the same signal, whatever the code does
    with pytest.raises(IntegrityError), session.begin_nested():
        duplicate = Alert(**{c: getattr(first, c) for c in ("enterprise_id", "signal_code")})
        duplicate.open_key = first.open_key
        for name in ("level", "status", "reasons", "evidence", "business_date", "opened_at",
                     "sla_due_at", "last_seen_date", "updated_at"):  # fmt: skip
            setattr(duplicate, name, getattr(first, name))
        duplicate.reference = "RA-DUP"
        session.add(duplicate)
        session.flush()


def test_lifecycle_needs_a_disposition_and_a_resolved_signal_may_open_again(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    manager = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    alert, _ = _raise(session, clock, ent.id, Level.RED, assignee_user_id=manager.id)
    assert alert.status == "assigned" and alert.assignee_user_id == manager.id
    assert alerts.sla_left(alert, clock.now()) == timedelta(hours=24)
    with pytest.raises(InvalidAlertTransition):
        alerts.resolve(session, clock, alert.id, "false_positive", "ok")
    alerts.investigate(session, clock, alert.id, "电话核实")
    clock.advance(timedelta(hours=30))
    assert alerts.sla_left(alert, clock.now()) == timedelta(hours=-6)  # overdue
    with pytest.raises(DispositionRequired):
        alerts.resolve(session, clock, alert.id, None, "no disposition")
    with pytest.raises(DispositionRequired):
        alerts.resolve(session, clock, alert.id, "false_positive", "  ")
    alerts.resolve(session, clock, alert.id, "false_positive", "诉讼已撤诉")
    assert alert.status == "resolved" and alert.open_key is None
    history = [(e.from_status, e.to_status) for e in alerts.alert_history(session, alert.id)]
    assert history == [
        (None, "open"),
        ("open", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "resolved"),
    ]
    again, created = _raise(session, clock, ent.id, Level.RED)
    assert created and again.id != alert.id


def test_escalation_needs_a_note(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    alert, _ = _raise(session, clock, ent.id, Level.ORANGE)
    with pytest.raises(InvalidInput):
        alerts.escalate(session, clock, alert.id, "")
    alerts.escalate(session, clock, alert.id, "涉及集团关联企业，提交风险经理")
    assert AlertStatus(alert.status) is AlertStatus.ESCALATED
    alerts.resolve(session, clock, alert.id, "action_taken", "已冻结额度")
    assert alert.disposition == "action_taken"


def test_freeze_needs_a_second_person_and_acts_on_the_line(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=50_000_000)
    maker = principal_of(make_user(session, runtime, Role.CUSTOMER_MANAGER))
    checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    with pytest.raises(ActionNotApplicable):  # an active line cannot be unfrozen
        actions.propose(
            session, clock, maker, enterprise_id=ent.id, kind="unfreeze", reason="x",
            line_id=line.id,
        )  # fmt: skip
    action = actions.propose(
        session, clock, maker, enterprise_id=ent.id, kind="freeze", reason="红色预警",
        line_id=line.id,
    )  # fmt: skip
    assert lending.get_line(session, line.id).status == "active"  # nothing yet
    with pytest.raises(SameOfficerAction):
        actions.approve(session, clock, maker, action.id)
    actions.approve(session, clock, checker, action.id, "同意")
    assert action.status == "executed" and lending.get_line(session, line.id).status == "frozen"
    refusal = lending.drawdown_refusal(session, line, business_date(clock))
    assert refusal is not None and action.reference in refusal.message("zh")

    cut = actions.propose(
        session, clock, maker, enterprise_id=ent.id, kind="limit_cut", reason="压降额度",
        line_id=line.id, params={"new_limit_fen": 20_000_000},
    )  # fmt: skip
    actions.approve(session, clock, checker, cut.id)
    assert lending.get_line(session, line.id).limit_fen == 20_000_000
    with pytest.raises(InvalidInput):
        actions.propose(
            session, clock, maker, enterprise_id=ent.id, kind="limit_cut", reason="x",
            line_id=line.id, params={"new_limit_fen": 90_000_000},
        )  # fmt: skip

    back = actions.propose(
        session, clock, maker, enterprise_id=ent.id, kind="unfreeze", reason="风险解除",
        line_id=line.id,
    )  # fmt: skip
    actions.approve(session, clock, checker, back.id)
    assert lending.get_line(session, line.id).status == "active"
    session.commit()  # the audit events are chained and written at commit
    trail = {
        a
        for (a,) in session.execute(
            select(AuditEvent.action).where(AuditEvent.action.like("risk.action.%"))
        )
    }
    assert {"risk.action.propose", "risk.action.executed"} <= trail


def test_automatic_red_freeze_and_watch_list(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    done = actions.act_automatically(
        session,
        clock,
        enterprise_id=ent.id,
        kinds=frozenset({actions.ActionKind.FREEZE, actions.ActionKind.WATCH}),
        reason="红色预警自动冻结",
    )
    assert sorted(a.kind for a in done) == ["freeze", "watch"]
    assert all(a.automatic and a.status == "executed" for a in done)
    assert lending.get_line(session, line.id).status == "frozen"
    assert [w.enterprise_id for w in actions.watch_list(session)] == [ent.id]
    again = actions.act_automatically(
        session,
        clock,
        enterprise_id=ent.id,
        kinds=frozenset({actions.ActionKind.FREEZE, actions.ActionKind.WATCH}),
        reason="again",
    )
    assert again == []  # frozen already, watched already


def test_early_repayment_demand_freezes_and_records_the_due_date(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    maker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    due = business_date(clock) + timedelta(days=15)
    action = actions.propose(
        session, clock, maker, enterprise_id=ent.id, kind="early_repayment",
        reason="提前收回", line_id=line.id, params={"due_date": due.isoformat()},
    )  # fmt: skip
    actions.approve(session, clock, checker, action.id)
    assert lending.get_line(session, line.id).status == "frozen"
    demand = [e for e in lending.line_history(session, line.id) if e.kind == "repayment_demand"]
    assert demand and demand[0].detail == {"due_date": due.isoformat()}
