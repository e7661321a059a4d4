"""Customer-manager reassignment (客户经理变更): an enterprise handed to another manager.

The enterprise's customer manager is the one named on its latest application that names one
(`service.customer_manager_of`); the book, the cockpit's scope and risk's alert assignment all
follow that attribution. A reassignment moves every application of the enterprise to the new
manager (so the book moves with the client) and records who, when, why and from whom
(`decisioning_manager_reassignment`, append-only; a bulk reassignment shares a batch id).
Alerts and tasks follow through `flows.reassignment`, which calls this module and risk.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, Subquery, func, select, update
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import InvalidInput
from puhui.core.models import Role, User
from puhui.decisioning.models import Application, ManagerReassignment
from puhui.decisioning.service import customer_manager_of


def check_manager(session: Session, user_id: uuid.UUID) -> User:
    """The new manager: an active customer manager (or InvalidInput on `to_user_id`)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role != Role.CUSTOMER_MANAGER.value:
        raise InvalidInput(field="to_user_id")
    return user


def managers(session: Session) -> list[User]:
    """Active customer managers, by name (the form's choices)."""
    return list(
        session.scalars(
            select(User)
            .where(User.role == Role.CUSTOMER_MANAGER.value, User.is_active)
            .order_by(User.display_name, User.username)
        )
    )


def _latest(*where: ColumnElement[bool]) -> Subquery:
    """Each enterprise's applications that name a manager, newest ranked 1 (its current
    manager: the one attributed on its latest such application)."""
    return (
        select(
            Application.enterprise_id,
            Application.manager_user_id,
            func.row_number()
            .over(partition_by=Application.enterprise_id, order_by=Application.created_at.desc())
            .label("rank"),
        )
        .where(Application.manager_user_id.is_not(None), *where)
        .subquery()
    )


def enterprises_of(session: Session, manager_id: uuid.UUID) -> list[uuid.UUID]:
    """The enterprises whose current customer manager is `manager_id`."""
    latest = _latest()
    return list(
        session.scalars(
            select(latest.c.enterprise_id)
            .where(latest.c.rank == 1, latest.c.manager_user_id == manager_id)
            .order_by(latest.c.enterprise_id)
        )
    )


def current_of(
    session: Session, enterprise_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each enterprise's current customer manager, for those of `enterprise_ids` that have one."""
    if not enterprise_ids:
        return {}
    latest = _latest(Application.enterprise_id.in_(list(enterprise_ids)))
    rows = session.execute(
        select(latest.c.enterprise_id, latest.c.manager_user_id).where(latest.c.rank == 1)
    )
    return {ent: manager for ent, manager in rows}


def reassign(
    session: Session,
    clock: Clock,
    principal: Principal,
    enterprise_id: uuid.UUID,
    to_user_id: uuid.UUID,
    reason: str,
    *,
    batch_id: uuid.UUID,
) -> ManagerReassignment | None:
    """Hand the enterprise to `to_user_id`; None when it is already theirs or has no
    application to attribute. The caller moves alerts and tasks (`flows.reassignment`)."""
    if len(reason.strip()) < 2:
        raise InvalidInput(field="reason")
    current = customer_manager_of(session, enterprise_id)
    if current == to_user_id:
        return None
    result = session.execute(
        update(Application)
        .where(Application.enterprise_id == enterprise_id)
        .values(manager_user_id=to_user_id)
        .execution_options(synchronize_session="fetch")
    )
    moved = int(getattr(result, "rowcount", 0) or 0)
    if not moved:
        return None
    row = ManagerReassignment(
        enterprise_id=enterprise_id, from_user_id=current, to_user_id=to_user_id,
        reason=reason.strip()[:500], batch_id=batch_id, applications_moved=moved,
        alerts_moved=0, made_by_id=principal.user_id,
        made_by_name=principal.display_name[:100], created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "enterprise.manager_reassigned", "enterprise", enterprise_id,
        before={"manager_user_id": current},
        after={"manager_user_id": to_user_id, "reason": row.reason, "batch_id": batch_id},
    )  # fmt: skip
    return row


def history(
    session: Session, *, enterprise_ids: Sequence[uuid.UUID] | None = None, limit: int = 50
) -> list[ManagerReassignment]:
    """The latest reassignments (of these enterprises), newest first."""
    query = select(ManagerReassignment)
    if enterprise_ids is not None:
        query = query.where(ManagerReassignment.enterprise_id.in_(list(enterprise_ids)))
    return list(
        session.scalars(
            query.order_by(
                ManagerReassignment.created_at.desc(), ManagerReassignment.id.desc()
            ).limit(limit)
        )
    )
