"""Customer-manager reassignment (issue 17 item 9): single and bulk (by manager, region, list),
recorded with who, when and why; the enterprise's open alerts follow the new manager."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import make_enterprise
from tests.integration.lending.servicing_factories import decision_for

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.errors import InvalidInput
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning import managers
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.models import Application, Decision
from puhui.flows import reassignment
from puhui.flows.reassignment import Selection
from puhui.risk import service as risk_service
from puhui.risk.models import AlertEvent, Level


def _client_of(session: Session, clock: FixedClock, manager_id: uuid.UUID, name: str) -> uuid.UUID:
    ent = make_enterprise(session, clock, name)
    decision = session.get(Decision, decision_for(session, clock, ent.id))
    assert decision is not None
    app = session.get(Application, decision.application_id)
    assert app is not None
    app.manager_user_id = manager_id
    session.flush()
    return ent.id


def test_single_and_bulk_reassignments_move_the_book_and_the_open_alerts(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    old = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    new = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    admin = principal_of(make_user(session, runtime, Role.ADMIN))
    first = _client_of(session, clock, old.id, "杭州一号贸易有限公司")
    second = _client_of(session, clock, old.id, "杭州二号贸易有限公司")
    alert, _ = risk_service.raise_alert(
        session, clock, enterprise_id=first, signal_code="days_past_due", level=Level.YELLOW,
        reasons=[], evidence={}, day=date(2026, 11, 23), assignee_user_id=old.id,
    )  # fmt: skip
    assert alert.assignee_user_id == old.id

    # single: the first client only
    done = reassignment.reassign(
        session, clock, admin, Selection(enterprise_ids=[first]), new.id, "客户经理调岗"
    )
    assert (done.selected, done.moved, done.alerts_moved) == (1, 1, 1)
    assert decisioning_service.customer_manager_of(session, first) == new.id
    assert decisioning_service.customer_manager_of(session, second) == old.id
    assert alert.assignee_user_id == new.id
    notes = session.scalars(select(AlertEvent.note).where(AlertEvent.alert_id == alert.id)).all()
    assert any("客户经理变更" in n for n in notes)
    (row,) = managers.history(session, enterprise_ids=[first])
    assert (row.from_user_id, row.to_user_id, row.reason, row.made_by_id) == (
        old.id, new.id, "客户经理调岗", admin.user_id,
    )  # fmt: skip

    # bulk: everything the old manager still has (the second client), within the region
    bulk = reassignment.reassign(
        session, clock, admin, Selection(from_manager_id=old.id, region_prefix="3301"),
        new.id, "离职交接",
    )  # fmt: skip
    assert (bulk.selected, bulk.moved) == (1, 1)
    assert managers.enterprises_of(session, old.id) == []
    assert sorted(managers.enterprises_of(session, new.id)) == sorted([first, second])
    again = reassignment.reassign(
        session, clock, admin, Selection(enterprise_ids=[first, second]), new.id, "重复操作"
    )
    assert again.moved == 0  # already theirs: nothing recorded
    assert len(managers.history(session)) == 2


def test_a_bulk_list_names_unknown_usccs_and_only_a_manager_can_receive(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    old = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    new = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    officer = make_user(session, runtime, Role.CREDIT_OFFICER)
    admin = principal_of(make_user(session, runtime, Role.ADMIN))
    client = _client_of(session, clock, old.id, "杭州三号贸易有限公司")
    from puhui.parties import service as parties_service

    uscc = parties_service.get_enterprise(session, client).uscc
    with pytest.raises(InvalidInput):
        reassignment.reassign(
            session, clock, admin, Selection(usccs=[uscc]), officer.id, "不是客户经理"
        )
    with pytest.raises(InvalidInput):
        reassignment.reassign(session, clock, admin, Selection(), new.id, "没有选择")
    done = reassignment.reassign(
        session, clock, admin, Selection(usccs=[uscc, "91330100MA0000000X"]), new.id, "名单"
    )
    assert done.moved == 1 and done.unknown_usccs == ["91330100MA0000000X"]
