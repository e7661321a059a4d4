"""Reassigning customer managers across domains (客户经理变更, issue 17 item 9).

Decisioning holds the attribution (the manager on the enterprise's applications,
`decisioning.managers`), risk the alerts' assignee. One reassignment — of one enterprise or in
bulk (every client of a manager, of a region, or a list of USCCs) — moves both in one unit of
work and records each enterprise's change with the batch's id, who, when and why. The tasks of
servicing (maturity notices) and the engagement workbench read the current manager, so they
follow without a change of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id
from puhui.decisioning import managers as decisioning_managers
from puhui.parties import service as parties_service
from puhui.risk import service as risk_service

MAX_BULK = 5_000


@dataclass
class Selection:
    """Which enterprises: those of one (current) manager, of a region (code prefix), and/or a
    list of USCCs; `enterprise_ids` names them directly (a single reassignment)."""

    from_manager_id: uuid.UUID | None = None
    region_prefix: str = ""
    usccs: list[str] = field(default_factory=list)
    enterprise_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.from_manager_id or self.region_prefix or self.usccs or self.enterprise_ids)


@dataclass
class ReassignmentResult:
    batch_id: uuid.UUID
    selected: int
    moved: int
    alerts_moved: int
    unknown_usccs: list[str]


def selected_enterprises(
    session: Session, selection: Selection
) -> tuple[list[uuid.UUID], list[str]]:
    """The enterprises the selection names (every criterion given must hold), and the USCCs
    of the list that are not known."""
    sets: list[set[uuid.UUID]] = []
    unknown: list[str] = []
    if selection.from_manager_id is not None:
        sets.append(set(decisioning_managers.enterprises_of(session, selection.from_manager_id)))
    if selection.region_prefix:
        sets.append(set(parties_service.enterprise_ids_in_region(session, selection.region_prefix)))
    if selection.usccs:
        found = parties_service.enterprise_ids_by_uscc(session, selection.usccs)
        unknown = sorted(set(selection.usccs) - set(found))
        sets.append(set(found.values()))
    if selection.enterprise_ids:
        sets.append(set(selection.enterprise_ids))
    if not sets:
        return [], unknown
    chosen = set.intersection(*sets)
    return sorted(chosen), unknown


def reassign(
    session: Session,
    clock: Clock,
    principal: Principal,
    selection: Selection,
    to_user_id: uuid.UUID,
    reason: str,
) -> ReassignmentResult:
    """Hand the selected enterprises to `to_user_id` with their open alerts; one batch."""
    if selection.empty:
        raise InvalidInput(field="selection")
    decisioning_managers.check_manager(session, to_user_id)
    enterprise_ids, unknown = selected_enterprises(session, selection)
    if len(enterprise_ids) > MAX_BULK:
        raise InvalidInput(field="selection")
    batch_id = new_id()
    moved = alerts = 0
    note = f"客户经理变更：{reason.strip()[:200]}"
    for enterprise_id in enterprise_ids:
        row = decisioning_managers.reassign(
            session, clock, principal, enterprise_id, to_user_id, reason, batch_id=batch_id
        )
        if row is None:
            continue
        row.alerts_moved = risk_service.reassign_open(
            session, clock, enterprise_id, to_user_id, note
        )
        moved += 1
        alerts += row.alerts_moved
    return ReassignmentResult(batch_id, len(enterprise_ids), moved, alerts, unknown)
