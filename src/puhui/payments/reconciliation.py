"""Daily reconciliation of our account at the clearing bank (对账).

`reconcile_day(day)` fetches the day's camt.053 from the rail, keeps it, and matches its entries
(`reconcile.match`, pure) against the ledger's `bank_clearing` postings of that business date
made by payments: matched, only on the statement, only in the ledger, amount mismatches. Each
break is a row to resolve in the console: one person proposes a manual match with a note, a
second confirms it (maker-checker); when none is left open the run is resolved.

The end of day (`require_closable`, a step of `puhui eod run`) refuses to close a day on which
payments moved while its open breaks add up to more than `PUHUI_PAYMENTS_RECON_BREAK_THRESHOLD_FEN`
— unless a risk officer overrode the run with a reason. A day with payment activity and no run
yet is reconciled first.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import Forbidden
from puhui.core.models import Role
from puhui.core.money import format_fen
from puhui.ledger import service as ledger_service
from puhui.payments import iso20022 as iso
from puhui.payments.config import PaymentSettings
from puhui.payments.errors import (
    BreakNotProposed,
    OverrideReasonRequired,
    ReconBreakNotFound,
    ReconRunNotFound,
    SameMakerAndChecker,
    UnreconciledBreaks,
)
from puhui.payments.models import (
    BreakStatus,
    Direction,
    Payment,
    ReconBreak,
    ReconRun,
    RunStatus,
)
from puhui.payments.rails import PaymentRail, get_rail
from puhui.payments.reconcile import Line, Result, match
from puhui.payments.service import BANK_CLEARING, store_message

RETURNED_KIND = "payment_returned"
OVERRIDERS = (Role.RISK_OFFICER,)


def statement_lines(xml: bytes) -> list[Line]:
    """The camt.053's entries as lines: + money into our account, − out of it."""
    return [
        Line(e.end_to_end_id, e.reversal, e.amount_fen if e.credit else -e.amount_fen)
        for e in iso.parse_camt053(xml).entries
    ]


def ledger_lines(session: Session, day: date) -> list[Line]:
    """The `bank_clearing` postings payments made on business date `day`, by end-to-end id."""
    moves = ledger_service.account_movements(session, BANK_CLEARING, day, "payment")
    ids = {uuid.UUID(source_id) for source_id, _, _ in moves}
    e2e = dict(
        session.execute(select(Payment.id, Payment.end_to_end_id).where(Payment.id.in_(ids))).all()
    )
    return [
        Line(e2e.get(uuid.UUID(source_id), source_id), kind == RETURNED_KIND, net)
        for source_id, kind, net in moves
    ]


def reconcile_day(
    session: Session, clock: Clock, day: date, rail: PaymentRail | None = None
) -> ReconRun:
    """Reconcile business date `day` (again: a rerun replaces the open breaks of that day)."""
    rail = rail or get_rail()
    xml = rail.statement(day)
    message = store_message(session, clock, rail, xml, Direction.INBOUND)
    result = match(statement_lines(xml), ledger_lines(session, day))
    run = session.scalar(select(ReconRun).where(ReconRun.business_date == day))
    now = clock.now()
    if run is None:
        run = ReconRun(business_date=day, created_at=now, override_reason=None, overridden_by=None)
        session.add(run)
    else:
        for old in session.scalars(select(ReconBreak).where(ReconBreak.run_id == run.id)):
            session.delete(old)
    run.statement_message_id = message.id
    run.statement_lines = result.matched + sum(
        1 for b in result.breaks if b.statement_fen is not None
    )
    run.ledger_lines = result.matched + sum(1 for b in result.breaks if b.ledger_fen is not None)
    run.matched = result.matched
    run.breaks = len(result.breaks)
    run.break_fen = result.break_fen
    run.status = (RunStatus.OPEN if result.breaks else RunStatus.CLEAN).value
    run.updated_at = now
    session.flush()
    _add_breaks(session, run, result)
    audit.record(
        session,
        "recon.run",
        "recon_run",
        run.id,
        after={"day": day.isoformat(), "matched": run.matched, "breaks": run.breaks},
    )
    return run


def _add_breaks(session: Session, run: ReconRun, result: Result) -> None:
    for item in result.breaks:
        session.add(
            ReconBreak(
                run_id=run.id,
                kind=item.kind.value,
                end_to_end_id=item.end_to_end_id[:35],
                returned=item.returned,
                statement_fen=item.statement_fen,
                ledger_fen=item.ledger_fen,
                size_fen=item.size_fen,
                status=BreakStatus.OPEN.value,
                note="",
                proposed_by=None,
                proposed_by_id=None,
                resolved_by=None,
                proposed_at=None,
                resolved_at=None,
            )
        )
    session.flush()


# ---------------------------------------------------------------- resolving breaks


def get_run(session: Session, run_id: uuid.UUID) -> ReconRun:
    run = session.get(ReconRun, run_id)
    if run is None:
        raise ReconRunNotFound()
    return run


def runs(session: Session, limit: int = 60) -> list[ReconRun]:
    return list(
        session.scalars(select(ReconRun).order_by(ReconRun.business_date.desc()).limit(limit))
    )


def breaks_of(session: Session, run_id: uuid.UUID) -> list[ReconBreak]:
    return list(
        session.scalars(
            select(ReconBreak)
            .where(ReconBreak.run_id == run_id)
            .order_by(ReconBreak.size_fen.desc(), ReconBreak.id)
        )
    )


def _break(session: Session, break_id: uuid.UUID) -> ReconBreak:
    item = session.get(ReconBreak, break_id)
    if item is None:
        raise ReconBreakNotFound()
    return item


def propose_match(
    session: Session, clock: Clock, principal: Principal, break_id: uuid.UUID, note: str
) -> ReconBreak:
    """The maker: a manual match (what explains the break, e.g. a bank fee booked by hand)."""
    item = _break(session, break_id)
    if item.status == BreakStatus.RESOLVED.value:
        raise BreakNotProposed()
    if len(note.strip()) < 4:
        raise OverrideReasonRequired(field="note")
    item.status = BreakStatus.PROPOSED.value
    item.note = note.strip()[:500]
    item.proposed_by = principal.display_name
    item.proposed_by_id = principal.user_id
    item.proposed_at = clock.now()
    audit.record(session, "recon.break.propose", "recon_break", item.id, after={"note": item.note})
    return item


def confirm_match(
    session: Session, clock: Clock, principal: Principal, break_id: uuid.UUID
) -> ReconBreak:
    """The checker: a second person confirms the proposed match; the break is resolved."""
    item = _break(session, break_id)
    if item.status != BreakStatus.PROPOSED.value:
        raise BreakNotProposed()
    if item.proposed_by_id == principal.user_id:
        raise SameMakerAndChecker()
    item.status = BreakStatus.RESOLVED.value
    item.resolved_by = principal.display_name
    item.resolved_at = clock.now()
    run = get_run(session, item.run_id)
    session.flush()
    open_left = session.scalar(
        select(func.count())
        .select_from(ReconBreak)
        .where(ReconBreak.run_id == run.id, ReconBreak.status != BreakStatus.RESOLVED.value)
    )
    if not open_left and run.status == RunStatus.OPEN.value:
        run.status = RunStatus.RESOLVED.value
        run.updated_at = clock.now()
    audit.record(session, "recon.break.confirm", "recon_break", item.id, after={"run": str(run.id)})
    return item


def override(
    session: Session, clock: Clock, principal: Principal, run_id: uuid.UUID, reason: str
) -> ReconRun:
    """A risk officer lets the day close with its breaks, with a reason (kept and audited)."""
    if principal.role not in OVERRIDERS:
        raise Forbidden()
    if len(reason.strip()) < 10:
        raise OverrideReasonRequired(field="reason")
    run = get_run(session, run_id)
    run.status = RunStatus.OVERRIDDEN.value
    run.override_reason = reason.strip()[:500]
    run.overridden_by = principal.display_name
    run.updated_at = clock.now()
    audit.record(
        session, "recon.override", "recon_run", run.id, after={"reason": run.override_reason}
    )
    return run


# ---------------------------------------------------------------- the end of day's gate


def open_break_fen(session: Session, run: ReconRun) -> tuple[int, int]:
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(ReconBreak.size_fen), 0)).where(
            ReconBreak.run_id == run.id, ReconBreak.status != BreakStatus.RESOLVED.value
        )
    ).one()
    return int(count), int(total)


def had_activity(session: Session, day: date) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Payment)
            .where((Payment.settled_date == day) | (Payment.returned_date == day))
        )
    )


def require_closable(
    session: Session,
    clock: Clock,
    day: date,
    settings: PaymentSettings | None = None,
    rail: PaymentRail | None = None,
) -> ReconRun | None:
    """UnreconciledBreaks unless the day's reconciliation is clean, resolved, within the
    threshold or overridden. Days without payments pass (None)."""
    settings = settings or PaymentSettings()
    run = session.scalar(select(ReconRun).where(ReconRun.business_date == day))
    if run is None:
        if not had_activity(session, day):
            return None
        run = reconcile_day(session, clock, day, rail)
    if run.status == RunStatus.OVERRIDDEN.value:
        return run
    count, total = open_break_fen(session, run)
    if count and total > settings.recon_break_threshold_fen:
        raise UnreconciledBreaks(
            day=day.isoformat(),
            count=count,
            amount=format_fen(total),
            threshold=format_fen(settings.recon_break_threshold_fen),
        )
    return run
