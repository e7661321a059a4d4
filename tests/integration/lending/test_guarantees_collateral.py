"""Guarantees and collateral (issue 17 items 3, 4), SQLite and PostgreSQL: a guarantee is
consented, pulled, signed with the guarantor's code, counted in the guarantor's related-party
group cap and called at 90 days past due; a line the policy requires a guarantee for is not
activated before; a secured product's drawdown above the maximum LTV is refused; a
revaluation's shortfall raises risk's alert."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.datahub.datahub_world import register_world_firm
from tests.integration.lending.contracts.conftest import code_in, make_resident_id
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    spend_all,
)

from puhui.core import outbox
from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.decisioning import lifecycle
from puhui.decisioning import repository as decisioning_repository
from puhui.lending import collateral, guarantees
from puhui.lending import service as lending
from puhui.lending.collateral_rules import CollateralKind
from puhui.lending.guarantees_calls import guarantees_day
from puhui.lending.guarantees_errors import (
    GuaranteeNotChecked,
    GuaranteeRequired,
    GuarantorInvalid,
    LoanToValueExceeded,
)
from puhui.lending.guarantees_models import Guarantee, GuaranteeCall
from puhui.lending.guarantees_rules import GuaranteeStatus, GuarantorKind
from puhui.lending.models import LineStatus, LoanStatus
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import PersonCreate, RelationshipCreate
from puhui.risk import service as risk_service


@pytest.fixture(scope="module")
def connectors() -> Connectors:
    return Connectors(default=SandboxConnector.default())


def _signed_guarantee(
    session: Session, runtime: Runtime, connectors: Connectors, line_id: uuid.UUID,
    guarantor_id: uuid.UUID, amount_fen: int,
) -> guarantees.Guarantee:  # fmt: skip
    """Propose, consent + pull, send the code, sign it as the guarantor's user."""
    clock = runtime.clock
    row = guarantees.propose(
        session, clock, None, line_id,
        guarantees.GuarantorIn(GuarantorKind.ENTERPRISE, amount_fen, enterprise_id=guarantor_id),
    )  # fmt: skip
    with pytest.raises(GuaranteeNotChecked):
        guarantees.send_code(session, clock, runtime.cipher, None, row.id)
    guarantees.check(session, clock, connectors, runtime.cipher, None, row.id)
    assert row.status == GuaranteeStatus.CHECKED and len(row.snapshot_ids) == 3
    assert "bureau_overdue_accounts" in row.check_summary
    sent = guarantees.send_code(session, clock, runtime.cipher, None, row.id)
    message = session.get(OutboxMessage, sent.message_id)
    assert message is not None and message.topic == guarantees.SMS_TOPIC
    code = code_in(outbox.read_body(runtime.cipher, message))
    user = make_user(session, runtime, Role.BORROWER, enterprise_ids=[guarantor_id])
    stranger = make_user(session, runtime, Role.BORROWER, enterprise_ids=[uuid.uuid4()])
    with pytest.raises(guarantees.GuaranteeNotFound):
        guarantees.sign(session, clock, runtime.cipher, principal_of(stranger), row.id, code,
                        ip="127.0.0.1")  # fmt: skip
    signature = guarantees.sign(
        session, clock, runtime.cipher, principal_of(user), row.id, code, ip="127.0.0.1"
    )
    assert signature.document_sha256 == row.document_sha256
    assert row.status == GuaranteeStatus.SIGNED
    return row


def test_a_guarantee_is_signed_counted_in_the_group_cap_and_called(
    session: Session, runtime: Runtime, clock: FixedClock, connectors: Connectors
) -> None:
    at(clock, START)
    guarantor = register_world_firm(session, runtime, 0)
    # another enterprise led by the guarantor's legal representative: the same group
    sister = make_enterprise(session, clock, "杭州关联测试有限公司")
    parties_service.add_relationship(
        session, clock, sister.id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=guarantor.person_id),
    )  # fmt: skip
    borrower = make_enterprise(session, clock)
    line = make_line(session, clock, borrower.id, product_code=JINGYINGDAI, activate=False,
                     method=RepaymentMethod.EQUAL_INSTALMENT, term_months=6)  # fmt: skip
    lending.require_guarantee(session, clock, line.id, line.limit_fen, "policy")
    with pytest.raises(GuaranteeRequired):  # no signed guarantee yet: the line stays pending
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    with pytest.raises(GuarantorInvalid):  # a borrower cannot guarantee itself
        guarantees.propose(session, clock, None, line.id, guarantees.GuarantorIn(
            GuarantorKind.ENTERPRISE, 1_000_000, enterprise_id=borrower.id))  # fmt: skip
    before = decisioning_repository.exposure(session, sister.id).group_fen
    assert guarantor.enterprise_id not in lending.exposed_enterprise_ids(session, limit=10_000)

    row = _signed_guarantee(session, runtime, connectors, line.id, guarantor.enterprise_id,
                            line.limit_fen)  # fmt: skip

    # counted in the guarantor's group: seen from the guarantor and from its sister company
    assert decisioning_repository.exposure(session, sister.id).group_fen == before + row.amount_fen
    assert decisioning_repository.exposure(session, guarantor.enterprise_id).group_fen == (
        row.amount_fen
    )
    assert decisioning_repository.exposure(session, borrower.id).group_fen == 0
    # a binding guarantee is exposure: post-loan monitoring watches the guarantor too
    assert guarantor.enterprise_id in lending.exposed_enterprise_ids(session, limit=10_000)
    active = lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    assert active.status == LineStatus.ACTIVE

    loan = draw(session, clock, line.id, 3_000_000, term_months=6)
    spend_all(session, clock, borrower.id)
    day = START
    while loan.dpd < 90:
        day += timedelta(days=1)
        at(clock, day, hour=20)
        lending.run_eod(session, clock, day, batch_size=7)
        session.refresh(loan)
        if loan.dpd < 90:
            assert guarantees.calls_of_line(session, line.id) == []
    calls = guarantees.calls_of_line(session, line.id)
    assert len(calls) == 1 and calls[0].trigger == "days_past_due" and calls[0].dpd == 90
    claim = (loan.principal_outstanding_fen + loan.overdue_interest_fen + loan.interest_accrued_fen
             + loan.penalty_accrued_fen + loan.compound_accrued_fen)  # fmt: skip
    assert calls[0].claim_fen == claim and calls[0].amount_fen == min(claim, row.amount_fen)
    session.refresh(row)
    assert row.status == GuaranteeStatus.CALLED
    # re-running the day, and the next, calls nothing more
    lending.run_eod(session, clock, day, batch_size=7)
    at(clock, day + timedelta(days=1), hour=20)
    lending.run_eod(session, clock, day + timedelta(days=1), batch_size=7)
    assert len(session.scalars(select(GuaranteeCall)).all()) == 1
    assert_books(session)


def test_the_policy_requires_a_guarantee_above_its_limit(
    session: Session, clock: FixedClock
) -> None:
    at(clock, START)
    ent = make_enterprise(session, clock)
    common = {"product_code": JINGYINGDAI, "rate_bp": 435, "term_months": 12,
              "repayment_method": "equal_instalment", "line_term_months": 12}  # fmt: skip
    small = lifecycle.create_offer_line(session, clock, enterprise_id=ent.id,
                                        decision_id=uuid.uuid4(), limit_fen=10_000_000,
                                        guarantor_above_fen=20_000_000, **common)  # fmt: skip
    large = lifecycle.create_offer_line(session, clock, enterprise_id=ent.id,
                                        decision_id=uuid.uuid4(), limit_fen=30_000_000,
                                        guarantor_above_fen=20_000_000, **common)  # fmt: skip
    assert guarantees.requirement_of(session, small) is None
    need = guarantees.requirement_of(session, large)
    assert need is not None and need.required_fen == 30_000_000
    lending.activate_after_signing(session, clock, small, uuid.uuid4())
    with pytest.raises(GuaranteeRequired) as refused:
        lending.activate_after_signing(session, clock, large, uuid.uuid4())
    assert "¥300,000.00" in refused.value.message("zh")


def test_ltv_is_refused_at_drawdown_and_a_shortfall_raises_the_risk_signal(
    session: Session, clock: FixedClock
) -> None:
    at(clock, START)
    ent = make_enterprise(session, clock)
    collateral.set_product_security(session, clock, JINGYINGDAI, secured=True, max_ltv_bp=7_000)
    line = make_line(session, clock, ent.id, product_code=JINGYINGDAI,
                     method=RepaymentMethod.EQUAL_INSTALMENT, term_months=6)  # fmt: skip
    with pytest.raises(LoanToValueExceeded):  # secured, and no collateral yet
        draw(session, clock, line.id, 1_000_000, term_months=6)
    item = collateral.add_collateral(
        session, clock, None, line.id,
        collateral.CollateralIn(CollateralKind.PROPERTY, "杭州市西湖区厂房", 10_000_000, START,
                                haircut_bp=3_000, lien_reference="浙(2026)杭州不动产证明0001号"),
    )  # fmt: skip
    assert collateral.line_cover_fen(session, line.id) == 7_000_000
    with pytest.raises(LoanToValueExceeded) as refused:  # 4,900,100 > 70 % of 7,000,000
        draw(session, clock, line.id, 4_900_100, term_months=6)
    problem = refused.value
    assert problem.status == 409
    assert "最高抵质押率" in problem.message("zh") and "loan-to-value" in problem.message("en")
    draw(session, clock, line.id, 4_900_000, term_months=6)  # exactly 70 %: allowed
    assert risk_service.list_alerts(session, enterprise_id=ent.id) == []

    position = collateral.revalue(session, clock, None, item.id, valuation_fen=9_000_000,
                                  valued_date=START)  # fmt: skip
    assert position.cover_fen == 6_300_000 and position.required_fen == 7_000_000
    assert position.shortfall_fen == 700_000
    alerts = risk_service.list_alerts(session, enterprise_id=ent.id)
    assert [a.signal_code for a in alerts] == ["collateral_shortfall"]
    assert alerts[0].level == "orange" and alerts[0].evidence["shortfall_fen"] == 700_000
    assert "0.9" in alerts[0].reasons[0]["zh"]
    history = collateral.valuations(session, item.id)
    assert [v.shortfall_fen for v in history] == [0, 700_000]


def test_a_guarantee_of_an_ended_line_is_released_and_no_longer_counted(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    at(clock, START)
    borrower = make_enterprise(session, clock)
    guarantor = make_enterprise(session, clock, "杭州解除测试有限公司")
    line = make_line(session, clock, borrower.id)
    loan = draw(session, clock, line.id, 1_000_000, term_months=3)
    signer = parties_service.create_person(
        session, clock, runtime.cipher,
        PersonCreate(name="赵测试", resident_id=make_resident_id(9), mobile="13900002222"),
    )  # fmt: skip
    row = Guarantee(  # a binding guarantee as `guarantees.sign` leaves it
        reference="GU-TEST-REL", line_id=line.id, enterprise_id=borrower.id,
        guarantor_kind="enterprise", guarantor_enterprise_id=guarantor.id,
        exposure_enterprise_id=guarantor.id, signer_person_id=signer.id,
        guarantor_name=guarantor.name, amount_fen=5_000_000, status="signed", consent_ids=[],
        snapshot_ids=[], check_summary={}, document_text="", document_sha256="",
        created_at=clock.now(), updated_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    assert decisioning_repository.exposure(session, guarantor.id).group_fen == 5_000_000
    lending.close(session, clock, line.id, "测试")
    assert guarantees_day(session, clock, START) == {
        "guarantees_called": 0, "guarantee_claims_fen": 0, "guarantees_released": 0,
    }  # fmt: skip  # the loan still runs: the guarantee still binds
    fund(session, clock, borrower.id, 2_000_000)
    lending.repay(session, clock, loan.id, 1_200_000, idempotency_key="payoff", kind="prepayment")
    session.refresh(loan)
    assert loan.status == LoanStatus.PAID_OFF
    assert guarantees_day(session, clock, START)["guarantees_released"] == 1
    session.refresh(row)
    assert row.status == GuaranteeStatus.RELEASED
    assert decisioning_repository.exposure(session, guarantor.id).group_fen == 0
