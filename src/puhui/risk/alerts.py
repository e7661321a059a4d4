"""Alerts (预警): open → assigned (to the enterprise's customer manager) → investigating →
resolved with a mandatory disposition, or escalated (to a risk officer) on the way.

No floods: one open alert per enterprise and signal. The alert's `open_key`
(`enterprise:signal`) is unique and emptied when the alert is resolved, so a signal firing
again while its alert is open only refreshes that alert (`last_seen_date`, and its level when
higher: an orange alert whose signal turns red becomes red, its SLA shortened); after
resolution the next firing opens a new one. The database refuses a second open alert even
under concurrent monitoring runs.

SLA by level (`SLA_HOURS`): red 24 h, orange 72 h, yellow 7 days from opening to resolution;
`sla_left` says how long is left (negative: overdue). Every change leaves a `risk_alert_event`
row and an audit event. Services never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.db import table_insert
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id, reference_from_id
from puhui.risk.errors import AlertNotFound, DispositionRequired, InvalidAlertTransition
from puhui.risk.models import (
    ALERT_TRANSITIONS,
    OPEN_ALERT_STATUSES,
    Alert,
    AlertEvent,
    AlertStatus,
    Disposition,
    Level,
)

SLA_HOURS: dict[Level, int] = {Level.RED: 24, Level.ORANGE: 72, Level.YELLOW: 168}

_LEVEL_ZH = {Level.RED: "红色预警", Level.ORANGE: "橙色预警", Level.YELLOW: "黄色预警"}
_STATUS_ZH = {
    AlertStatus.OPEN: "待分派",
    AlertStatus.ASSIGNED: "已分派",
    AlertStatus.INVESTIGATING: "核查中",
    AlertStatus.ESCALATED: "已升级",
    AlertStatus.RESOLVED: "已关闭",
}


def open_key(enterprise_id: uuid.UUID, signal_code: str) -> str:
    return f"{enterprise_id}:{signal_code}"


def sla_due(level: Level, opened_at: datetime) -> datetime:
    return opened_at + timedelta(hours=SLA_HOURS[level])


def sla_left(alert: Alert, now: datetime) -> timedelta:
    """Time left until the alert's SLA (negative: overdue); for a resolved alert, what was
    left at resolution."""
    end = alert.resolved_at or now
    return alert.sla_due_at - end


def get_alert(session: Session, alert_id: uuid.UUID) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound()
    return alert


def open_alert_for(session: Session, enterprise_id: uuid.UUID, signal_code: str) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.open_key == open_key(enterprise_id, signal_code))
    )


def _event(
    session: Session,
    clock: Clock,
    alert: Alert,
    from_status: str | None,
    note: str = "",
) -> None:
    session.execute(
        table_insert(AlertEvent),
        {
            "id": new_id(),
            "alert_id": alert.id,
            "from_status": from_status,
            "to_status": alert.status,
            "note": note,
            "actor": audit.current_actor(session).name,
            "occurred_at": clock.now(),
        },
    )


def raise_alert(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    signal_code: str,
    level: Level,
    reasons: Sequence[Mapping[str, Any]],
    evidence: Mapping[str, Any],
    day: date,
    observation_id: uuid.UUID | None = None,
    assignee_user_id: uuid.UUID | None = None,
) -> tuple[Alert, bool]:
    """The open alert of (enterprise, signal), refreshed, or a new one (assigned at once when
    the enterprise has a customer manager): ``(alert, created)``."""
    level = Level(level)
    existing = open_alert_for(session, enterprise_id, signal_code)
    now = clock.now()
    if existing is not None:
        existing.last_seen_date = max(existing.last_seen_date, day)
        existing.evidence = dict(evidence)
        if level.rank > Level(existing.level).rank:
            before = existing.level
            existing.level = level.value
            existing.reasons = [dict(r) for r in reasons]
            existing.sla_due_at = min(existing.sla_due_at, sla_due(level, now))
            _event(session, clock, existing, existing.status,
                   f"{_LEVEL_ZH[Level(before)]}升级为{_LEVEL_ZH[level]}")  # fmt: skip
        existing.updated_at = now
        return existing, False
    alert_id = new_id()
    alert = Alert(
        id=alert_id,
        reference=reference_from_id("RA", alert_id, day),
        enterprise_id=enterprise_id,
        signal_code=signal_code,
        level=level.value,
        status=AlertStatus.OPEN.value,
        open_key=open_key(enterprise_id, signal_code),
        assignee_user_id=None,
        reasons=[dict(r) for r in reasons],
        evidence=dict(evidence),
        observation_id=observation_id,
        business_date=day,
        opened_at=now,
        sla_due_at=sla_due(level, now),
        last_seen_date=day,
        resolved_at=None,
        disposition=None,
        resolution_note=None,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    _event(session, clock, alert, None, "监测发现预警信号")
    audit.record(
        session,
        "risk.alert.open",
        "risk_alert",
        alert.id,
        after={"enterprise_id": str(enterprise_id), "signal": signal_code, "level": level.value},
    )
    if assignee_user_id is not None:
        _move(session, clock, alert, AlertStatus.ASSIGNED, "分派给客户经理")
        alert.assignee_user_id = assignee_user_id
    return alert, True


def _move(session: Session, clock: Clock, alert: Alert, to: AlertStatus, note: str = "") -> Alert:
    current = AlertStatus(alert.status)
    if to not in ALERT_TRANSITIONS[current]:
        raise InvalidAlertTransition(
            from_status=current.value,
            to_status=to.value,
            from_zh=_STATUS_ZH[current],
            to_zh=_STATUS_ZH[to],
        )
    alert.status = to.value
    alert.updated_at = clock.now()
    _event(session, clock, alert, current.value, note)
    audit.record(
        session,
        f"risk.alert.{to.value}",
        "risk_alert",
        alert.id,
        before={"status": current.value},
        after={"status": to.value, "note": note},
    )
    return alert


def assign(
    session: Session, clock: Clock, alert_id: uuid.UUID, user_id: uuid.UUID, note: str = ""
) -> Alert:
    alert = get_alert(session, alert_id)
    _move(session, clock, alert, AlertStatus.ASSIGNED, note or "分派")
    alert.assignee_user_id = user_id
    return alert


def investigate(session: Session, clock: Clock, alert_id: uuid.UUID, note: str = "") -> Alert:
    return _move(session, clock, get_alert(session, alert_id), AlertStatus.INVESTIGATING, note)


def escalate(session: Session, clock: Clock, alert_id: uuid.UUID, note: str) -> Alert:
    if not note.strip():
        raise InvalidInput(field="note")
    return _move(session, clock, get_alert(session, alert_id), AlertStatus.ESCALATED, note)


def resolve(
    session: Session,
    clock: Clock,
    alert_id: uuid.UUID,
    disposition: Disposition | str | None,
    note: str,
) -> Alert:
    """Close the alert: a disposition and a note are mandatory; its `open_key` is freed."""
    if not disposition or disposition not in set(Disposition) or not note.strip():
        raise DispositionRequired(field="disposition" if not disposition else "note")
    alert = get_alert(session, alert_id)
    _move(session, clock, alert, AlertStatus.RESOLVED, note)
    alert.disposition = Disposition(disposition).value
    alert.resolution_note = note
    alert.resolved_at = clock.now()
    alert.open_key = None
    return alert


def alert_history(session: Session, alert_id: uuid.UUID) -> list[AlertEvent]:
    return list(
        session.scalars(
            select(AlertEvent)
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.occurred_at, AlertEvent.id)
        )
    )


def list_alerts(
    session: Session,
    *,
    open_only: bool = True,
    level: Level | None = None,
    enterprise_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[Alert]:
    """Alerts, most urgent first (level, then SLA due)."""
    query = select(Alert)
    if open_only:
        query = query.where(Alert.status.in_([s.value for s in OPEN_ALERT_STATUSES]))
    if level is not None:
        query = query.where(Alert.level == Level(level).value)
    if enterprise_id is not None:
        query = query.where(Alert.enterprise_id == enterprise_id)
    rows = list(session.scalars(query.order_by(Alert.sla_due_at, Alert.id).limit(limit)))
    return sorted(rows, key=lambda a: -Level(a.level).rank)


def reassign_open(
    session: Session, clock: Clock, enterprise_id: uuid.UUID, user_id: uuid.UUID, note: str
) -> int:
    """The enterprise's unresolved alerts follow its new customer manager (an open one is
    assigned, the others keep their status); each change is in the alert's history. Returns
    how many moved."""
    alerts = session.scalars(
        select(Alert).where(
            Alert.enterprise_id == enterprise_id,
            Alert.status != AlertStatus.RESOLVED.value,
            Alert.assignee_user_id.is_distinct_from(user_id),
        )
    ).all()
    for alert in alerts:
        if alert.status == AlertStatus.OPEN.value:
            _move(session, clock, alert, AlertStatus.ASSIGNED, note)
        else:
            _event(session, clock, alert, alert.status, note)
            alert.updated_at = clock.now()
        alert.assignee_user_id = user_id
    return len(alerts)
