"""Authorised agents act within the limits the legal representative sets (per payment, per
day, trusted payees only); "trusted payees only" is on by default for an older sole proprietor
or in large-type mode, and only the representative's code switches it off."""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep
from tests.integration.lending.lending_factories import fund, make_enterprise
from tests.integration.payments.payments_factories import record_representative, verified_account

from puhui.core import otp, outbox
from puhui.core.clock import FixedClock
from puhui.core.codes import org_code_check_char, resident_id_check_char, uscc_check_char
from puhui.core.runtime import Runtime
from puhui.identity import service as identity_service
from puhui.identity.errors import NotTheLegalRepresentative
from puhui.identity.rules import AgentScope
from puhui.parties import service as parties_service
from puhui.parties.models import SizeClass
from puhui.parties.schemas import EnterpriseCreate
from puhui.payments import agents, guardian
from puhui.payments.errors import (
    AgentDailyCapExceeded,
    AgentPayeeNotAllowed,
    AgentPaymentCapExceeded,
    RepresentativeCodeRequired,
)

REP = "13800000011"
AGENT = "13900000012"


def _resident_id(birth: str, mobile: str) -> str:
    first17 = "330106" + birth + mobile[-3:]
    return first17 + resident_id_check_char(first17)


def _agent(session: Session, clock: FixedClock, runtime: Runtime, ent: uuid.UUID) -> uuid.UUID:
    """The representative, verified by three factors, authorises an agent to draw down."""
    record_representative(session, clock, runtime.cipher, ent, REP)
    person_id = parties_service.legal_representatives_of(session, ent)[-1]
    verify_rep(
        session,
        clock,
        runtime.cipher,
        name="王法代",
        resident_id=_resident_id("19800101", REP),
        mobile=REP,
        face=False,
    )
    grant = identity_service.grant_authorisation(
        session,
        clock,
        runtime.cipher,
        enterprise_id=ent,
        rep_person_id=person_id,
        grantor_mobile=REP,
        grantor_user_id=None,
        agent_name="王女儿",
        agent_mobile=AGENT,
        scopes=[AgentScope.DRAWDOWN],
        days=30,
    )
    return grant.id


def test_an_agent_pays_within_the_representatives_limits(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock).id
    fund(session, clock, ent, 100_000_00)
    grant_id = _agent(session, clock, runtime, ent)
    stranger = verified_account(session, clock, runtime.cipher, ent, "6222000077770001", "某某")
    friend = verified_account(session, clock, runtime.cipher, ent, "6222000077770002", "老朋友")
    guardian.trust_payee(session, clock, friend)

    def pay(account: uuid.UUID, fen: int, key: str, mobile: str = AGENT) -> object:
        return agents.require_within_limits(
            session,
            clock,
            runtime.cipher,
            enterprise_id=ent,
            mobile=mobile,
            payout_account_id=account,
            amount_fen=fen,
            source_type="transfer",
            idempotency_key=key,
        )

    assert pay(stranger.id, 5_000_00, "before") is not None  # no limits yet: scopes only
    clock.set(clock.now() + timedelta(hours=25))  # the next day, past the cooling-off
    limits = agents.Limits(1_000_00, 1_500_00, trusted_only=True)
    with pytest.raises(NotTheLegalRepresentative):  # the agent cannot set their own limits
        agents.set_limits(
            session,
            clock,
            runtime.cipher,
            enterprise_id=ent,
            representative_mobile=AGENT,
            authorisation_id=grant_id,
            limits=limits,
        )
    agents.set_limits(
        session,
        clock,
        runtime.cipher,
        enterprise_id=ent,
        representative_mobile=REP,
        authorisation_id=grant_id,
        limits=limits,
    )
    with pytest.raises(AgentPaymentCapExceeded):
        pay(friend.id, 1_000_01, "k1")
    with pytest.raises(AgentPayeeNotAllowed):
        pay(stranger.id, 100_00, "k2")
    first = pay(friend.id, 900_00, "k3")
    assert pay(friend.id, 900_00, "k3") == first  # a replay counts once
    assert agents.paid_today(session, clock, grant_id) == 900_00
    with pytest.raises(AgentDailyCapExceeded):
        pay(friend.id, 700_00, "k4")
    assert pay(stranger.id, 50_000_00, "rep", mobile=REP) is None  # the representative: no limit
    clock.set(clock.now() + timedelta(days=1))
    assert pay(friend.id, 700_00, "k5") is not None  # a new day


def _code(session: Session, runtime: Runtime, message_id: uuid.UUID) -> str:
    row = outbox.get_message(session, message_id)
    assert row is not None
    found = re.search(r"验证码 (\d{6})", outbox.read_body(runtime.cipher, row))
    assert found is not None
    return found.group(1)


def _sole_proprietor(session: Session, clock: FixedClock) -> uuid.UUID:
    rng = random.Random(7)
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "92330100" + org + org_code_check_char(org)
    return parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name="杭州老王便利店",
            uscc=first17 + uscc_check_char(first17),
            industry_section="F",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=10_000_00,
            established_date=clock.now().date() - timedelta(days=3000),
            size_class=SizeClass.MICRO,
        ),
    ).id


def test_an_older_sole_proprietor_starts_protected_and_only_the_representative_turns_it_off(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = _sole_proprietor(session, clock)
    from puhui.parties.models import RelationKind
    from puhui.parties.schemas import PersonCreate, RelationshipCreate

    person = parties_service.create_person(
        session,
        clock,
        runtime.cipher,
        PersonCreate(name="王老板", resident_id=_resident_id("19500101", REP), mobile=REP),
    )
    parties_service.add_relationship(
        session,
        clock,
        ent,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
    )
    setting = guardian.protection_of(session, clock, runtime.cipher, ent)
    assert setting.trusted_only and setting.trusted_only_by == "age"
    with pytest.raises(RepresentativeCodeRequired):
        guardian.set_trusted_only(session, clock, ent, False)
    sms = guardian.request_trusted_only_off(session, clock, runtime.cipher, ent)
    row = outbox.get_message(session, sms)
    assert row is not None and outbox.read_recipient(runtime.cipher, row) == REP
    with pytest.raises(otp.OtpWrong):
        guardian.turn_off_trusted_only(session, clock, runtime.cipher, ent, "000000")
    guardian.turn_off_trusted_only(
        session, clock, runtime.cipher, ent, _code(session, runtime, sms)
    )
    # the representative decided: no default switches it back on, not even large type
    again = guardian.protection_of(session, clock, runtime.cipher, ent, large_type=True)
    assert not again.trusted_only and again.trusted_only_by == "representative"


def test_large_type_mode_switches_trusted_payees_only_on_by_default(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock).id
    record_representative(session, clock, runtime.cipher, ent, REP)  # born 1980: no age rule
    assert not guardian.protection_of(session, clock, runtime.cipher, ent).trusted_only
    setting = guardian.protection_of(session, clock, runtime.cipher, ent, large_type=True)
    assert setting.trusted_only and setting.trusted_only_by == "large_type"
