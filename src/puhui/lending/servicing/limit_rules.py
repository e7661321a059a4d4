"""The automatic limit increase's rules as data (like the credit policies): a version is
submitted by a risk officer and becomes active when a second risk officer approves it; the end
of day reads the active version (`active_rules`), the defaults of `LimitIncreaseRules` until
one is approved."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.lending.schemas import LimitIncreaseRules
from puhui.lending.servicing.errors import ReliefRequestConflict, SameOfficer
from puhui.lending.servicing.models import LimitIncreaseRuleSet


class RulesStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


def active_row(session: Session) -> LimitIncreaseRuleSet | None:
    return session.scalar(
        select(LimitIncreaseRuleSet).where(LimitIncreaseRuleSet.status == RulesStatus.ACTIVE.value)
    )


def active_rules(session: Session) -> LimitIncreaseRules:
    row = active_row(session)
    return LimitIncreaseRules() if row is None else LimitIncreaseRules(**row.document)


def versions(session: Session) -> list[LimitIncreaseRuleSet]:
    return list(
        session.scalars(select(LimitIncreaseRuleSet).order_by(LimitIncreaseRuleSet.version.desc()))
    )


def submit_rules(
    session: Session, clock: Clock, principal: Principal, rules: LimitIncreaseRules
) -> LimitIncreaseRuleSet:
    version = (session.scalar(select(func.max(LimitIncreaseRuleSet.version))) or 0) + 1
    row = LimitIncreaseRuleSet(
        version=version,
        document=rules.model_dump(),
        status=RulesStatus.PENDING.value,
        submitted_by_id=principal.user_id,
        submitted_by_name=principal.display_name,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "limit_rules.submit", "limit_rules", row.id, after={"version": version,
                                                                      **rules.model_dump()}
    )  # fmt: skip
    return row


def decide_rules(
    session: Session, clock: Clock, principal: Principal, rules_id: uuid.UUID, *, approve: bool
) -> LimitIncreaseRuleSet:
    """The second risk officer approves (the version becomes active, the previous one
    superseded) or rejects a pending version."""
    row = session.get(LimitIncreaseRuleSet, rules_id)
    if row is None or row.status != RulesStatus.PENDING.value:
        raise ReliefRequestConflict(
            status=row.status if row else "missing",
            status_zh="非待审批",
            action_zh="审批",
            action_en="decided",
        )
    if row.submitted_by_id == principal.user_id:
        raise SameOfficer()
    if approve:
        current = active_row(session)
        if current is not None:
            current.status = RulesStatus.SUPERSEDED.value
            session.flush()
    row.status = (RulesStatus.ACTIVE if approve else RulesStatus.REJECTED).value
    row.approved_by_id, row.approved_by_name = principal.user_id, principal.display_name
    row.decided_at = clock.now()
    audit.record(
        session, "limit_rules.decide", "limit_rules", row.id,
        after={"version": row.version, "status": row.status},
    )  # fmt: skip
    return row
