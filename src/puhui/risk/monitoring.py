"""Post-loan monitoring (贷后监测): every enterprise with exposure is pulled again on a schedule,
only under its live `post_loan_monitoring` consent, and its signals and warning recorded.

Who: every enterprise with an active or frozen line or a running loan
(`lending.service.exposed_enterprise_ids`), and every core enterprise holding a supply-chain
limit (receivables). When: monthly on its stagger day (1–28, from a
stable hash of its id, so the pulls spread over the month), weekly while it is on the watch
list; the first run that sees it pulls at once. Under what: a live consent of purpose
`post_loan_monitoring` for every enterprise source (collected at application with its own
expiry); without one the enterprise is recorded `unmonitored` (reason `no_consent`, listed on
the workbench) and nothing is asked of any provider.

A pull goes through the data hub (`datahub.service.pull_all`, refresh): consent checked again,
payloads validated, snapshots stored encrypted with their hash, every pull logged — exactly as
at application. The observation keeps the snapshot ids (lineage), the signal inputs of the
newest complete month merged with lending's behaviour (days past due, utilisation), the
signals that fired (`signals.evaluate_signals` with the active rules' parameters) and the
warning (`rules.evaluate_warning`, with the active rules' version). Each reason of the warning
raises (or refreshes) one alert; the level's automatic actions follow (`AUTOMATIC_ACTIONS`:
red freezes the active lines and watch-lists the enterprise, orange watch-lists it).

`puhui risk monitor --date D` runs it as a recorded job (`jobs.runner`, one batch of enterprises
per transaction, resumable); re-running a date changes nothing (one observation per enterprise
and date, and the next pull is not due yet).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import Connectors
from puhui.decisioning import service as decisioning_service
from puhui.jobs.runner import Batch, RunResult, run_job
from puhui.lending import service as lending_service
from puhui.lending.schemas import LineStatus
from puhui.parties import service as parties_service
from puhui.payments import service as payments_service
from puhui.payments.states import PaymentKind, PaymentStatus
from puhui.receivables import service as receivables_service
from puhui.risk import actions, alerts, governance, rules
from puhui.risk.models import (
    ActionKind,
    Alert,
    Level,
    MonitoredEnterprise,
    MonitorStatus,
    Observation,
)
from puhui.risk.signals import (
    SIGNAL_SET_VERSION,
    SIGNALS,
    MonthlyObservation,
    SignalHit,
    evaluate_signals,
    history_from_payloads,
)

JOB = "risk_monitor"
PURPOSE = Purpose.POST_LOAN_MONITORING
SOURCES = decisioning_service.ENTERPRISE_SOURCES
HISTORY_MONTHS = 13
WATCH_INTERVAL_DAYS = 7
AUTOMATIC_ACTIONS: Mapping[Level, frozenset[ActionKind]] = {
    Level.RED: frozenset({ActionKind.FREEZE, ActionKind.WATCH}),
    Level.ORANGE: frozenset({ActionKind.WATCH}),
    Level.YELLOW: frozenset(),
}


@dataclass(frozen=True)
class MonitorEnv:
    connectors: Connectors
    cipher: FieldCipher


@dataclass
class Outcome:
    status: str  # pulled | not_due | unmonitored | failed
    level: str | None = None
    alerts_opened: int = 0
    actions: int = 0
    totals: dict[str, int] = field(default_factory=dict)


def stagger_day(enterprise_id: uuid.UUID) -> int:
    """The day of the month (1–28) of the enterprise's pull: a stable hash of its id."""
    return int.from_bytes(hashlib.sha256(enterprise_id.bytes).digest()[:4], "big") % 28 + 1


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def next_due(day: date, stagger: int, watched: bool) -> date:
    """The next pull after one on `day`: a week later when watch-listed, else the stagger day
    of the next month."""
    if watched:
        return day + timedelta(days=WATCH_INTERVAL_DAYS)
    following = _month_start(day, back=-1)
    return following.replace(day=stagger)


def _state(session: Session, clock: Clock, enterprise_id: uuid.UUID) -> MonitoredEnterprise:
    row = session.scalar(
        select(MonitoredEnterprise).where(MonitoredEnterprise.enterprise_id == enterprise_id)
    )
    if row is None:
        row = MonitoredEnterprise(
            enterprise_id=enterprise_id,
            status=MonitorStatus.MONITORED.value,
            reason=None,
            consent_expires_at=None,
            stagger_day=stagger_day(enterprise_id),
            last_pulled_date=None,
            next_due_date=None,
            last_level=None,
            updated_at=clock.now(),
        )
        session.add(row)
        session.flush()
    return row


def exposed_enterprise_ids(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 500
) -> list[uuid.UUID]:
    """Enterprises with exposure, in id order after `after`: lending's (a live line or a running
    loan) and the core enterprises holding a supply-chain limit (receivables)."""
    ids = set(lending_service.exposed_enterprise_ids(session, after=after, limit=limit))
    ids |= {
        row.enterprise_id
        for row in receivables_service.list_limits(session)
        if row.enterprise_id is not None
        and row.limit_fen > 0
        and (after is None or row.enterprise_id > after)
    }
    return sorted(ids)[:limit]


def _group_warned(session: Session, enterprise_id: uuid.UUID) -> bool:
    """A member of the enterprise's related-party group (parties' group: shared legal
    representative, controller or shareholder) has an open red or orange alert."""
    group = parties_service.related_group_subquery(
        bindparam("enterprise", enterprise_id, type_=Alert.enterprise_id.type)
    )
    found = session.scalar(
        select(Alert.id)
        .where(
            Alert.enterprise_id.in_(select(group.c.e)),
            Alert.enterprise_id != enterprise_id,
            Alert.open_key.is_not(None),
            Alert.level.in_([Level.RED.value, Level.ORANGE.value]),
        )
        .limit(1)
    )
    return found is not None


def _behaviour(session: Session, enterprise_id: uuid.UUID) -> dict[str, Any]:
    """Lending's view of the enterprise now: the worst days past due of its running loans and
    the utilisation of its active or frozen lines; and whether a member of its related-party
    group is warned red or orange."""
    loans = lending_service.list_loans(session, enterprise_id=enterprise_id)
    dpd = max((loan.dpd for loan in loans if loan.status == "active"), default=0)
    lines = [
        line
        for line in lending_service.live_lines_of(session, enterprise_id)
        if line.status in (LineStatus.ACTIVE.value, LineStatus.FROZEN.value)
    ]
    limit = sum(line.limit_fen for line in lines)
    used = sum(line.used_fen for line in lines)
    out: dict[str, Any] = {"dpd": dpd, "group_member_warned": _group_warned(session, enterprise_id)}
    if limit:
        out["utilisation"] = used / limit  # float-ok: a ratio for the signal, not money
    return out


def _hit_row(hit: SignalHit) -> dict[str, Any]:
    definition = SIGNALS.get(hit.code)
    return {
        "code": hit.code,
        "month": hit.month.isoformat(),
        "value": hit.value,
        "baseline": hit.baseline,
        "evidence": {k: v for k, v in hit.evidence.items()},
        "zh": definition.reason(hit, "zh") if definition else hit.code,
        "en": definition.reason(hit, "en") if definition else hit.code,
        "family": definition.family if definition else None,
    }


_FAILED = (PaymentStatus.REJECTED.value, PaymentStatus.RETURNED.value)


def failed_debits_by_month(
    payments: Iterable[Any], months: Sequence[date], day: date
) -> dict[date, int] | None:
    """Failed automatic debits (direct debits rejected or returned: payments' records) by month
    (first days, oldest first) before `day`; those of the running month count with the newest.
    None when the enterprise has no direct debit at all (the input is then not observed)."""
    debits = [p for p in payments if p.kind == PaymentKind.DIRECT_DEBIT.value]
    if not debits:
        return None
    out = dict.fromkeys(months, 0)
    for payment in debits:
        when = payment.returned_date or payment.business_date
        if payment.status not in _FAILED or when >= day:
            continue
        key = min(when.replace(day=1), months[-1])
        if key in out:
            out[key] += 1
    return out


def _history(
    payloads: Mapping[str, Any],
    month: date,
    behaviour: Mapping[str, Any],
    failed: Mapping[date, int] | None = None,
) -> list[MonthlyObservation]:
    months = [_month_start(month, back) for back in range(HISTORY_MONTHS)]
    history = history_from_payloads(payloads, months)
    if failed:
        history = [
            MonthlyObservation(obs.month, {**obs.values, "failed_auto_debits": failed[obs.month]})
            if obs.month in failed
            else obs
            for obs in history
        ]
    newest = history[-1]
    merged = MonthlyObservation(newest.month, {**newest.values, **behaviour})
    return [*history[:-1], merged]


def monitor_enterprise(
    session: Session, clock: Clock, env: MonitorEnv, enterprise_id: uuid.UUID, day: date
) -> Outcome:
    """Monitor one enterprise on business date `day` (if due): consent, pull, observation,
    warning, alerts, automatic actions."""
    state = _state(session, clock, enterprise_id)
    watched = actions.watch_entry(session, enterprise_id) is not None
    if state.next_due_date is not None and day < state.next_due_date:
        return Outcome("not_due")
    exists = session.scalar(
        select(Observation.id).where(
            Observation.enterprise_id == enterprise_id, Observation.business_date == day
        )
    )
    if exists is not None:
        return Outcome("not_due")
    now = clock.now()
    consents = consents_service.live_consents(session, now, enterprise_id, SOURCES, PURPOSE)
    state.updated_at = now
    if set(consents) != set(SOURCES):
        state.status = MonitorStatus.UNMONITORED.value
        state.reason = "no_consent"
        state.consent_expires_at = None
        return Outcome("unmonitored")
    state.status = MonitorStatus.MONITORED.value
    state.reason = None
    state.consent_expires_at = min(c.expires_at for c in consents.values())
    try:
        with session.begin_nested():
            snapshots = datahub_service.pull_all(
                session, clock, env.connectors.as_of(day), enterprise_id=enterprise_id,
                sources=SOURCES, purpose=PURPOSE, cipher=env.cipher, refresh=True,
            )  # fmt: skip
    except DomainError:
        return Outcome("failed")  # tried again at the next run: the pull stays due
    outcome = _observe(session, clock, enterprise_id, day, snapshots)
    state.last_pulled_date = day
    state.last_level = outcome.level
    state.next_due_date = next_due(day, state.stagger_day, watched or (outcome.level is not None
                                   and Level(outcome.level) is not Level.YELLOW))  # fmt: skip
    return outcome


def _observe(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    day: date,
    snapshots: Mapping[Any, Any],
) -> Outcome:
    active = governance.active_rules(session, clock)
    month = _month_start(day, back=1)  # the newest complete month
    payloads = {str(source): snap.payload for source, snap in snapshots.items()}
    recent = [_month_start(month, back) for back in (2, 1, 0)]  # the signal's three months
    failed = failed_debits_by_month(payments_service.payments_of(session, enterprise_id, 200),
                                    recent, day)  # fmt: skip
    history = _history(payloads, month, _behaviour(session, enterprise_id), failed)
    hits = evaluate_signals(history, rules.signal_parameters(active.document))
    warning = rules.evaluate_warning(active.document, hits)
    observation = Observation(
        enterprise_id=enterprise_id,
        business_date=day,
        month=month,
        values=dict(history[-1].values),
        snapshot_ids=sorted(str(s.id) for s in snapshots.values()),
        signal_set_version=SIGNAL_SET_VERSION,
        hits=[_hit_row(h) for h in hits],
        level=warning.level,
        reasons=[{"code": r.code, "zh": r.zh, "en": r.en} for r in warning.reasons],
        rules_version=active.version,
        created_at=clock.now(),
    )
    session.add(observation)
    session.flush()
    return _alert(session, clock, observation, warning)


def _alert(
    session: Session, clock: Clock, observation: Observation, warning: rules.Warning
) -> Outcome:
    outcome = Outcome("pulled", warning.level)
    if warning.level is None:
        return outcome
    manager = decisioning_service.customer_manager_of(session, observation.enterprise_id)
    first_alert: uuid.UUID | None = None
    for reason in warning.reasons:
        level = Level(warning.levels_by_code[reason.code])
        alert, created = alerts.raise_alert(
            session, clock, enterprise_id=observation.enterprise_id, signal_code=reason.code,
            level=level, reasons=[{"code": reason.code, "zh": reason.zh, "en": reason.en}],
            evidence={"hits": observation.hits, "month": observation.month.isoformat()},
            day=observation.business_date, observation_id=observation.id,
            assignee_user_id=manager,
        )  # fmt: skip
        outcome.alerts_opened += int(created)
        first_alert = first_alert or alert.id
    kinds = AUTOMATIC_ACTIONS[Level(warning.level)]
    if kinds:
        why = f"{rules.LEVEL_LABELS[warning.level][0]}：{warning.reasons[0].zh}"
        done = actions.act_automatically(
            session, clock, enterprise_id=observation.enterprise_id, kinds=kinds,
            reason=why, alert_id=first_alert,
        )  # fmt: skip
        outcome.actions = len(done)
    return outcome


# --------------------------------------------------------------------------- the job


class MonitorStep:
    """The monitoring of business date `day` for `jobs.runner.run_job`: enterprises in id
    order, `batch_size` per transaction."""

    name = "monitor"

    def __init__(self, clock: Clock, env: MonitorEnv, day: date, batch_size: int = 200) -> None:
        self.clock, self.env, self.day, self.batch_size = clock, env, day, batch_size

    def total(self, session: Session) -> int:
        return len(exposed_enterprise_ids(session, limit=1_000_000))

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        after = uuid.UUID(cursor) if cursor else None
        ids = exposed_enterprise_ids(session, after=after, limit=self.batch_size)
        totals: dict[str, int] = {}
        for enterprise_id in ids:
            outcome = monitor_enterprise(session, self.clock, self.env, enterprise_id, self.day)
            totals[outcome.status] = totals.get(outcome.status, 0) + 1
            if outcome.level:
                totals[outcome.level] = totals.get(outcome.level, 0) + 1
            totals["alerts_opened"] = totals.get("alerts_opened", 0) + outcome.alerts_opened
            totals["actions"] = totals.get("actions", 0) + outcome.actions
        done = len(ids) < self.batch_size
        return Batch(None if done else str(ids[-1]), len(ids), totals)


def run_monitor(
    factory: sessionmaker[Session], clock: Clock, env: MonitorEnv, day: date
) -> RunResult:
    """`puhui risk monitor --date D`: the recorded, resumable run of business date `day`."""
    return run_job(factory, clock, JOB, day, [MonitorStep(clock, env, day)])


def monitored(session: Session, status: MonitorStatus | None = None) -> list[MonitoredEnterprise]:
    query = select(MonitoredEnterprise).order_by(MonitoredEnterprise.updated_at.desc())
    if status is not None:
        query = query.where(MonitoredEnterprise.status == status.value)
    return list(session.scalars(query))


def observations_of(session: Session, enterprise_id: uuid.UUID) -> list[Observation]:
    return list(
        session.scalars(
            select(Observation)
            .where(Observation.enterprise_id == enterprise_id)
            .order_by(Observation.business_date.desc())
        )
    )
