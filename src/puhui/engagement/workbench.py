"""The manager's workbench (客户经理工作台) and the remote service team's queue (远程客服队列).

Tasks are :class:`~puhui.engagement.models.CallTask` rows: a campaign's calls (made when the
campaign is sent) and those :func:`build_tasks` adds each day (the engagement end of day):

* manager: renewals (segment 到期续贷, valued at the line's limit, due on its expiry), open
  pre-approved leads (valued at the indicative limit, due before the offer lapses), dormant
  customers (segment 不动户, valued at the unused limit);
* remote team: enterprises that started but did not finish — an approved application whose offer
  is not yet signed, a signed line never drawn (指导完成线上提款). Read through the decisioning and
  lending services.

An enterprise has at most one open task per source. Each task is closed by a call outcome
(:class:`~puhui.engagement.campaign_rules.CallOutcome`); "opt out" records the marketing opt-out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.models import Role
from puhui.decisioning import service as decisioning_service
from puhui.engagement import service as engagement_service
from puhui.engagement.campaign_rules import CallOutcome, CallTeam
from puhui.engagement.errors import CallTaskNotFound, CampaignInvalid
from puhui.engagement.models import CallTask, Offer, SegmentMembership
from puhui.engagement.segments import Segment
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service

_R = TypeVar("_R")

# the end of day reads applications as the system, not as a person
_SYSTEM = Principal(uuid.UUID(int=0), "engagement-eod", "日终 EOD", Role.ADMIN, frozenset())
SCRIPTS = {
    "renewal": "您好，您在我行的授信即将到期，可在手机银行一键申请续贷，无需重新提交材料。",
    "lead": "您好，根据贵司公开经营信息，我行为贵司预授信一笔经营贷款，可在手机银行查看并申请。",
    "dormant": "您好，贵司在我行仍有可用额度，随借随还、按日计息，需要时可在手机银行提款。",
    "unfinished_application": "您好，贵司贷款申请已获批，还差签署合同一步，我可以指导您在线完成。",
    "unfinished_drawdown": "您好，贵司额度已生效但尚未提款，我可以指导您在手机银行完成线上提款。",
}


@dataclass(frozen=True)
class Candidate:
    enterprise_id: uuid.UUID
    source: str
    team: CallTeam
    value_fen: int
    due_date: date


def _open_keys(session: Session) -> set[tuple[uuid.UUID, str]]:
    return {
        (e, s)
        for e, s in session.execute(
            select(CallTask.enterprise_id, CallTask.source).where(CallTask.done_at.is_(None))
        )
    }


def _candidates(session: Session, day: date) -> list[Candidate]:
    facts = {f.enterprise_id: f for f in lending_service.lending_facts(session)}
    out: list[Candidate] = []
    for ent, seg in session.execute(
        select(SegmentMembership.enterprise_id, SegmentMembership.segment).where(
            SegmentMembership.left_date.is_(None),
            SegmentMembership.segment.in_([Segment.RENEWAL_DUE.value, Segment.DORMANT.value]),
        )
    ):
        f = facts.get(ent)
        if seg == Segment.RENEWAL_DUE:
            due = f.next_expiry_date if f and f.next_expiry_date else day
            out.append(Candidate(ent, "renewal", CallTeam.MANAGER,
                                 f.active_limit_fen if f else 0, due))  # fmt: skip
        else:
            unused = (f.active_limit_fen - f.used_fen) if f else 0
            out.append(Candidate(ent, "dormant", CallTeam.MANAGER, unused, day))
    for lead, limit, until in session.execute(
        select(Offer.enterprise_id, Offer.indicative_limit_fen, Offer.valid_until).where(
            Offer.state == "open", Offer.valid_until >= day, Offer.enterprise_id.is_not(None)
        )
    ):
        if lead is not None:
            out.append(Candidate(lead, "lead", CallTeam.MANAGER, limit, until - timedelta(days=7)))
    for app in decisioning_service.list_applications(
        session, _SYSTEM, status=decisioning_service.ApplicationStatus.APPROVED, limit=500
    ):
        out.append(Candidate(app.enterprise_id, "unfinished_application", CallTeam.REMOTE,
                             app.requested_amount_fen, day))  # fmt: skip
    for ent, f in facts.items():
        if f.active_limit_fen > 0 and f.used_fen == 0 and f.last_drawdown_date is None:
            out.append(Candidate(ent, "unfinished_drawdown", CallTeam.REMOTE,
                                 f.active_limit_fen, day))  # fmt: skip
    return out


def _opted_out(session: Session, ent: uuid.UUID, cache: dict[uuid.UUID, bool]) -> bool:
    if ent not in cache:
        cache[ent] = engagement_service.marketing_opted_out(session, [ent], None)
    return cache[ent]


def build_tasks(session: Session, clock: Clock, day: date) -> int:
    """The day's new tasks (at most one open task per enterprise and source); how many."""
    have = _open_keys(session)
    opted: dict[uuid.UUID, bool] = {}
    added = 0
    now = clock.now()
    candidates = _candidates(session, day)
    _close_finished(session, now, {(c.enterprise_id, c.source) for c in candidates})
    for c in candidates:
        if (c.enterprise_id, c.source) in have:
            continue
        marketing = c.source in ("lead", "dormant")
        if marketing and _opted_out(session, c.enterprise_id, opted):
            continue
        session.add(
            CallTask(
                enterprise_id=c.enterprise_id, source=c.source, team=c.team.value,
                campaign_id=None, value_fen=c.value_fen, due_date=c.due_date,
                script=SCRIPTS[c.source], outcome=None, outcome_note=None, done_at=None,
                done_by_id=None, created_at=now,
            )
        )  # fmt: skip
        have.add((c.enterprise_id, c.source))
        added += 1
    session.flush()
    return added


UNFINISHED = ("unfinished_application", "unfinished_drawdown")


def _close_finished(session: Session, now: datetime, still: set[tuple[uuid.UUID, str]]) -> None:
    """The remote queue's tasks whose customer finished on their own (signed, drew) close."""
    for task in session.scalars(
        select(CallTask).where(CallTask.done_at.is_(None), CallTask.source.in_(UNFINISHED))
    ):
        if (task.enterprise_id, task.source) not in still:
            task.outcome = CallOutcome.RESOLVED.value
            task.done_at = now


@dataclass(frozen=True)
class TaskRow:
    task: CallTask
    enterprise_name: str
    uscc: str
    due: bool  # due today or earlier


def _open(session: Session, team: CallTeam, manager_id: uuid.UUID | None) -> list[CallTask]:
    """A team's open tasks; with `manager_id`, only those of that manager's clients and of
    enterprises no manager holds yet (nobody else's)."""
    tasks = list(session.scalars(select(CallTask).where(*_open_of(team))))
    return _theirs(session, tasks, manager_id, lambda t: t.enterprise_id)


def _open_of(team: CallTeam) -> tuple[ColumnElement[bool], ...]:
    return CallTask.team == team.value, CallTask.done_at.is_(None)


def _theirs(
    session: Session, rows: list[_R], manager_id: uuid.UUID | None,
    enterprise_of: Callable[[_R], uuid.UUID],
) -> list[_R]:  # fmt: skip
    if manager_id is None:
        return rows
    held = decisioning_service.current_managers(session, {enterprise_of(r) for r in rows})
    return [r for r in rows if held.get(enterprise_of(r), manager_id) == manager_id]


def open_tasks(
    session: Session,
    team: CallTeam,
    day: date,
    limit: int = 100,
    *,
    manager_id: uuid.UUID | None = None,
) -> list[TaskRow]:
    """Open tasks of a team: those due today (or late) first, then by value, then due date.
    `manager_id`: a customer manager's own (see `_open`)."""
    tasks = _open(session, team, manager_id)
    tasks.sort(key=lambda t: (t.due_date > day, -t.value_fen, t.due_date, t.created_at))
    rows = []
    for t in tasks[:limit]:
        ent = parties_service.get_enterprise(session, t.enterprise_id)
        rows.append(TaskRow(t, ent.name, ent.uscc, t.due_date <= day))
    return rows


def task_counts(
    session: Session, team: CallTeam, day: date, *, manager_id: uuid.UUID | None = None
) -> tuple[int, int]:
    """(open, due today or late) of a team's tasks, a manager's own with `manager_id`; read as
    two columns (the staff home shows it on every visit)."""
    columns = select(CallTask.enterprise_id, CallTask.due_date).where(*_open_of(team))
    pairs = session.execute(columns)
    rows = _theirs(session, [(ent, due) for ent, due in pairs], manager_id, lambda r: r[0])
    return len(rows), sum(1 for _, due in rows if due <= day)


def get_task(session: Session, task_id: uuid.UUID) -> CallTask:
    task = session.get(CallTask, task_id)
    if task is None:
        raise CallTaskNotFound()
    return task


def record_outcome(
    session: Session,
    clock: Clock,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    outcome: str,
    note: str = "",
) -> CallTask:
    """Close a task with its call outcome; "call back" keeps it open for tomorrow."""
    task = get_task(session, task_id)
    try:
        code = CallOutcome(outcome)
    except ValueError as exc:
        raise CampaignInvalid(field="outcome", reason=outcome[:24]) from exc
    if code == CallOutcome.RESOLVED:  # the end of day's, not a person's
        raise CampaignInvalid(field="outcome", reason=outcome)
    if task.done_at is not None:
        raise CallTaskNotFound()
    task.outcome = code.value
    task.outcome_note = note.strip()[:500] or None
    if code == CallOutcome.CALL_BACK:
        task.due_date = max(task.due_date, business_date(clock)) + timedelta(days=1)
    else:
        task.done_at = clock.now()
        task.done_by_id = user_id
    if code == CallOutcome.OPT_OUT:
        engagement_service.opt_out_of_marketing(session, clock, [task.enterprise_id], None, "call")
    audit.record(session, "engagement.call_outcome", "engagement_call_task", task.id,
                 after={"outcome": code.value})  # fmt: skip
    return task
