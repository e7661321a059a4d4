"""Model operations: monthly monitoring runs and alerts, and the retrained candidate's way to
deciding (maker-checker, shadow, promotion). Services never commit.

`run_monitoring(session, clock, registry_root, month)` reads the month's automated decisions
(Asia/Shanghai calendar month), groups them by the model version that decided, and runs
`scorecards.monitoring.monitor_month` against each version's reference profile (the registry's
`reference.json`, or the shipped baseline's); approvals from the decisions, overrides where a
credit officer's later decision differs from the automated one, matured outcomes from the
book (`retraining.book_rows` rules). Re-running a month replaces its report and open alerts.

Shadow: an approved candidate is written to `<registry>/<model_id>/shadow.json`; every decision
then also scores it (`scoring.shadow_candidate`, role `candidate`), deciding nothing, until an
officer promotes it after `shadow_until`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import SHANGHAI, Clock, business_date
from puhui.core.ids import new_id
from puhui.decisioning.model_ops_errors import (
    InvalidCandidateTransition,
    MakerCannotCheck,
    ModelAlertNotFound,
    ModelCandidateNotFound,
    ShadowPeriodNotOver,
)
from puhui.decisioning.model_ops_models import (
    ALERT_TRANSITIONS,
    CANDIDATE_TRANSITIONS,
    AlertStatus,
    CandidateStatus,
    ModelAlert,
    ModelCandidate,
    MonitoringRun,
)
from puhui.decisioning.models import Decision, DecisionKind
from puhui.scorecards.monitoring import MonthRows, ReferenceProfile, monitor_month

SHADOW_DAYS = 30


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """UTC bounds of a YYYY-MM calendar month in Asia/Shanghai."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=SHANGHAI)
    return start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)


def load_reference(registry_root: Path, model_id: str, version: str) -> ReferenceProfile | None:
    from puhui.decisioning.scoring import BASELINE_PATH, baseline_artifact

    path = registry_root / model_id / version / "reference.json"
    base = baseline_artifact()
    if not path.exists() and (model_id, version) == (base.model_id, base.version):
        path = BASELINE_PATH.with_name("sme-pd.reference.json")
    if not path.exists():
        return None
    return ReferenceProfile.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _artifact(registry_root: Path, model_id: str, version: str) -> Any:
    from puhui.decisioning.scoring import baseline_artifact
    from puhui.scorecards.registry import FileModelRegistry

    base = baseline_artifact()
    if (model_id, version) == (base.model_id, base.version):
        return base
    return FileModelRegistry(registry_root).load(model_id, version)


def _overridden(session: Session, application_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Applications whose latest manual decision differs from the automated outcome."""
    rows = session.execute(
        select(Decision.application_id, Decision.kind, Decision.outcome, Decision.decided_at)
        .where(Decision.application_id.in_(application_ids))
        .order_by(Decision.decided_at)
    ).all()
    auto: dict[uuid.UUID, str] = {}
    manual: dict[uuid.UUID, str] = {}
    for app_id, kind, outcome, _ in rows:
        (auto if kind == DecisionKind.AUTOMATED.value else manual)[app_id] = outcome
    return {a for a, o in manual.items() if a in auto and auto[a] not in ("refer", o)}


def _month_rows(session: Session, month: str) -> dict[tuple[str, str], list[Decision]]:
    start, end = month_bounds(month)
    decisions = session.scalars(
        select(Decision)
        .where(Decision.kind == DecisionKind.AUTOMATED.value)
        .where(Decision.decided_at >= start, Decision.decided_at < end)
        .where(Decision.model_id.is_not(None))
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    groups: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[(str(d.model_id), str(d.model_version))].append(d)
    return groups


def run_monitoring(
    session: Session, clock: Clock, registry_root: Path, month: str
) -> list[MonitoringRun]:
    """Monitor every model version that decided in `month`; store reports and alerts."""
    out = []
    for (model_id, version), decisions in sorted(_month_rows(session, month).items()):
        reference = load_reference(registry_root, model_id, version)
        if reference is None:
            continue
        overridden = _overridden(session, [d.application_id for d in decisions])
        today = business_date(clock)
        rows = MonthRows(
            points=[float(d.score_points or 0) for d in decisions],
            pd=[(d.pd_ppm or 0) / 1_000_000 for d in decisions],
            features=[d.features for d in decisions],
            approved=[d.outcome == "approve" for d in decisions],
            overridden=[d.application_id in overridden for d in decisions],
            bad=[_matured(session, d, today) for d in decisions],
        )
        report = monitor_month(_artifact(registry_root, model_id, version), reference, month, rows)
        out.append(_store(session, clock, report))
    return out


def _matured(session: Session, d: Decision, today: date) -> int | None:
    """The decision's outcome by the retraining rules (None until it has matured)."""
    from puhui.decisioning import retraining

    line = d.credit_line_id
    row = retraining.BookRow(
        decided_on=d.decided_at.astimezone(SHANGHAI).date(),
        features=d.features,
        approved=d.outcome == "approve",
        pd=None,
        performance=retraining.performance_of(session, line) if line is not None else None,
    )
    return retraining.label(row, today)


def _store(session: Session, clock: Clock, report: Any) -> MonitoringRun:
    run = session.scalars(
        select(MonitoringRun).where(
            MonitoringRun.model_id == report.model_id,
            MonitoringRun.model_version == report.version,
            MonitoringRun.month == report.month,
        )
    ).one_or_none()
    now = clock.now()
    if run is None:
        run = MonitoringRun(id=new_id(), model_id=report.model_id, model_version=report.version,
                            month=report.month, created_at=now)  # fmt: skip
        session.add(run)
    run.decisions = report.n
    run.score_psi = report.score_psi
    run.alert_count = len(report.alerts)
    run.report = report.to_dict()
    run.created_at = now
    session.flush()
    session.execute(
        delete(ModelAlert).where(
            ModelAlert.run_id == run.id, ModelAlert.status == AlertStatus.OPEN.value
        )
    )
    for a in report.alerts:
        session.add(
            ModelAlert(
                id=new_id(), run_id=run.id, model_id=report.model_id,
                model_version=report.version, month=report.month, metric=a.metric,
                subject=a.subject, value=float(a.value), threshold=float(a.threshold),
                severity=a.severity, status=AlertStatus.OPEN.value, created_at=now,
            )
        )  # fmt: skip
    session.flush()
    return run


def list_runs(session: Session, limit: int = 50) -> list[MonitoringRun]:
    return list(
        session.scalars(
            select(MonitoringRun)
            .order_by(MonitoringRun.month.desc(), MonitoringRun.model_id)
            .limit(limit)
        )
    )


def get_run(session: Session, run_id: uuid.UUID) -> MonitoringRun | None:
    return session.get(MonitoringRun, run_id)


def list_alerts(session: Session, *, open_only: bool = True, limit: int = 100) -> list[ModelAlert]:
    query = select(ModelAlert).order_by(ModelAlert.created_at.desc(), ModelAlert.id).limit(limit)
    if open_only:
        query = query.where(ModelAlert.status == AlertStatus.OPEN.value)
    return list(session.scalars(query))


def acknowledge_alert(
    session: Session, clock: Clock, principal: Principal, alert_id: uuid.UUID
) -> ModelAlert:
    alert = session.get(ModelAlert, alert_id)
    if alert is None:
        raise ModelAlertNotFound()
    if AlertStatus.ACKNOWLEDGED not in ALERT_TRANSITIONS[AlertStatus(alert.status)]:
        return alert  # already acknowledged: the same result
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_by_id = principal.user_id
    alert.acknowledged_at = clock.now()
    audit.record(
        session,
        "model_alert.acknowledge",
        "model_alert",
        str(alert.id),
        after={"metric": alert.metric, "subject": alert.subject},
    )
    session.flush()
    return alert


# --------------------------------------------------------------------------- candidates


def list_candidates(session: Session) -> list[ModelCandidate]:
    return list(session.scalars(select(ModelCandidate).order_by(ModelCandidate.created_at.desc())))


def _candidate(session: Session, candidate_id: uuid.UUID) -> ModelCandidate:
    candidate = session.get(ModelCandidate, candidate_id)
    if candidate is None:
        raise ModelCandidateNotFound()
    return candidate


def _move(candidate: ModelCandidate, to: CandidateStatus) -> None:
    if to not in CANDIDATE_TRANSITIONS[CandidateStatus(candidate.status)]:
        raise InvalidCandidateTransition()
    candidate.status = to.value


def approve_candidate(
    session: Session,
    clock: Clock,
    principal: Principal,
    registry_root: Path,
    candidate_id: uuid.UUID,
    *,
    note: str = "",
    shadow_days: int = SHADOW_DAYS,
) -> ModelCandidate:
    """The checker (not the maker) approves: the candidate starts its shadow period."""
    candidate = _candidate(session, candidate_id)
    if candidate.maker_id is not None and candidate.maker_id == principal.user_id:
        raise MakerCannotCheck()
    _move(candidate, CandidateStatus.APPROVED)
    candidate.checker_id = principal.user_id
    candidate.checker_name = principal.display_name
    candidate.checker_note = note or None
    candidate.decided_at = clock.now()
    _move(candidate, CandidateStatus.SHADOW)
    candidate.shadow_until = business_date(clock) + timedelta(days=shadow_days)
    write_shadow(registry_root, candidate.model_id, candidate.version, candidate.shadow_until)
    audit.record(
        session,
        "model_candidate.approve",
        "model_candidate",
        str(candidate.id),
        after={"version": candidate.version},
    )
    session.flush()
    return candidate


def reject_candidate(
    session: Session, clock: Clock, principal: Principal, candidate_id: uuid.UUID, note: str = ""
) -> ModelCandidate:
    candidate = _candidate(session, candidate_id)
    if candidate.maker_id is not None and candidate.maker_id == principal.user_id:
        raise MakerCannotCheck()
    _move(candidate, CandidateStatus.REJECTED)
    candidate.checker_id = principal.user_id
    candidate.checker_name = principal.display_name
    candidate.checker_note = note or None
    candidate.decided_at = clock.now()
    session.flush()
    return candidate


def promote_candidate(
    session: Session,
    clock: Clock,
    principal: Principal,
    registry_root: Path,
    candidate_id: uuid.UUID,
) -> ModelCandidate:
    """After the shadow period the candidate becomes the champion: it decides."""
    from puhui.scorecards.registry import FileModelRegistry

    candidate = _candidate(session, candidate_id)
    if candidate.status != CandidateStatus.SHADOW.value:
        raise InvalidCandidateTransition()
    if candidate.shadow_until is not None and business_date(clock) < candidate.shadow_until:
        raise ShadowPeriodNotOver()
    FileModelRegistry(registry_root).promote(
        candidate.model_id, candidate.version, at=clock.now(), by=principal.username,
        reason="retrained; approved and shadowed",
    )  # fmt: skip
    (registry_root / candidate.model_id / "shadow.json").unlink(missing_ok=True)
    _move(candidate, CandidateStatus.PROMOTED)
    candidate.promoted_at = clock.now()
    audit.record(
        session,
        "model_candidate.promote",
        "model_candidate",
        str(candidate.id),
        after={"version": candidate.version},
    )
    session.flush()
    return candidate


def write_shadow(registry_root: Path, model_id: str, version: str, until: date) -> None:
    folder = registry_root / model_id
    folder.mkdir(parents=True, exist_ok=True)
    body = {"version": version, "until": until.isoformat()}
    (folder / "shadow.json").write_text(json.dumps(body), encoding="utf-8")
