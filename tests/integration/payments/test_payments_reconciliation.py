"""The day's camt.053 against the ledger's clearing account: a sandbox day reconciles with zero
breaks; an injected break is found; the end of day refuses to close until the break is resolved
by two people or a risk officer overrides it with a reason."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import fund, make_enterprise
from tests.integration.payments.payments_factories import payout, verified_account

from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import Forbidden
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.jobs.runner import run_inline
from puhui.lending import eod
from puhui.payments import reconciliation
from puhui.payments import service as payments
from puhui.payments.errors import SameMakerAndChecker, UnreconciledBreaks
from puhui.payments.iso20022 import Entry
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail
from puhui.payments.reconcile import BreakKind


def _officer(role: Role = Role.RISK_OFFICER) -> Principal:
    return Principal(uuid.uuid4(), f"u{uuid.uuid4().hex[:6]}", "审核员", role, frozenset())


def _busy_day(session: Session, clock: FixedClock, runtime: Runtime, rail: SandboxRail) -> date:
    enterprise = make_enterprise(session, clock)
    fund(session, clock, enterprise.id, 1_000_000)
    good = verified_account(session, clock, runtime.cipher, enterprise.id, "6222000012340001")
    back = verified_account(session, clock, runtime.cipher, enterprise.id, "6222000012340002")
    for fen in (100_00, 250_00, 3_00):
        payout(session, clock, good, fen)
    payout(session, clock, back, 77_00)
    payments.dispatch(session, clock, runtime.cipher, rail)
    payments.process_inbox(session, clock, rail)  # settles
    payments.process_inbox(session, clock, rail)  # returns one
    return business_date(clock)


def _rail() -> SandboxRail:
    return SandboxRail(SandboxBehaviour(return_accounts=frozenset({"6222000012340002"})))


def test_a_sandbox_day_reconciles_with_zero_breaks_and_the_day_closes(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = _rail()
    with use_rail(rail):
        day = _busy_day(session, clock, runtime, rail)
        run = reconciliation.reconcile_day(session, clock, day, rail)
        assert (run.matched, run.breaks, run.status) == (5, 0, "clean")
        totals = run_inline(session, eod.eod_steps(clock, day))
    assert totals["reconciled"] == 1


def test_an_injected_break_is_found_and_blocks_the_end_of_day_until_resolved(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = _rail()
    with use_rail(rail):
        day = _busy_day(session, clock, runtime, rail)
        rail.inject_break(Entry("E2EUNKNOWN", 12_34, True, day, reference="BKX"))
        with pytest.raises(UnreconciledBreaks):
            reconciliation.require_closable(session, clock, day, rail=rail)
        run = reconciliation.reconcile_day(session, clock, day, rail)
        [item] = reconciliation.breaks_of(session, run.id)
        assert (item.kind, item.statement_fen, item.ledger_fen) == (
            BreakKind.ONLY_ON_STATEMENT,
            12_34,
            None,
        )
        maker, checker = _officer(Role.CREDIT_OFFICER), _officer(Role.CREDIT_OFFICER)
        reconciliation.propose_match(session, clock, maker, item.id, "银行手续费退回，手工入账")
        with pytest.raises(SameMakerAndChecker):
            reconciliation.confirm_match(session, clock, maker, item.id)
        with pytest.raises(UnreconciledBreaks):  # proposed is not resolved
            reconciliation.require_closable(session, clock, day, rail=rail)
        reconciliation.confirm_match(session, clock, checker, item.id)
        assert run.status == "resolved"
        assert reconciliation.require_closable(session, clock, day, rail=rail) is run


def test_a_risk_officer_can_override_with_a_reason(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = _rail()
    with use_rail(rail):
        day = _busy_day(session, clock, runtime, rail)
        rail.inject_break(Entry("E2EUNKNOWN", 50_00, False, day))
        run = reconciliation.reconcile_day(session, clock, day, rail)
        with pytest.raises(Forbidden):
            reconciliation.override(session, clock, _officer(Role.CREDIT_OFFICER), run.id, "x" * 12)
        reconciliation.override(session, clock, _officer(), run.id, "清算行确认次日冲正，先行日终")
        assert reconciliation.require_closable(session, clock, day, rail=rail) is run
