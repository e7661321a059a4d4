"""Trusted payees and the transfer guardian: a payout to a non-trusted payee waits for the
guardian's code and is created only after it; a cap breach is refused; a new payee waits its
cooling-off; changing the guardian needs the representative's code and waits the delay."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import fund, make_enterprise
from tests.integration.payments.payments_factories import record_representative, verified_account

from puhui.core import otp, outbox
from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.payments import guardian
from puhui.payments import service as payments
from puhui.payments.errors import GuardianRequired, PayeeCapExceeded
from puhui.payments.rails import SandboxRail, use_rail

REP = "13800000001"
GUARDIAN = "13900000002"


def _code(session: Session, runtime: Runtime, message_id: uuid.UUID) -> str:
    row = outbox.get_message(session, message_id)
    assert row is not None
    found = re.search(r"验证码 (\d{6})", outbox.read_body(runtime.cipher, row))
    assert found is not None
    return found.group(1)


def _name_guardian(
    session: Session, clock: FixedClock, runtime: Runtime, ent: uuid.UUID, mobile: str
) -> guardian.GuardianSetting:  # type: ignore[name-defined]
    sms = guardian.request_guardian_change(session, clock, runtime.cipher, ent)
    return guardian.confirm_guardian_change(
        session, clock, runtime.cipher, ent, "张女儿", mobile, _code(session, runtime, sms)
    )


def test_a_non_trusted_payee_waits_for_the_guardian_and_a_cap_breach_is_refused(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock).id
    fund(session, clock, ent, 2_000_000_00)
    stranger = verified_account(session, clock, runtime.cipher, ent, "6222000088880001", "某某")
    friend = verified_account(session, clock, runtime.cipher, ent, "6222000088880002", "老朋友")
    guardian.set_trusted_only(session, clock, ent, True)
    record_representative(session, clock, runtime.cipher, ent, REP)
    with pytest.raises(GuardianRequired):
        guardian.transfer(session, clock, runtime.cipher, ent, stranger.id, 1_000_00, "t-0")
    setting = _name_guardian(session, clock, runtime, ent, GUARDIAN)
    assert setting.guardian_mobile_masked == "139****0002"  # the first guardian: at once

    with use_rail(SandboxRail()):
        waiting = guardian.transfer(
            session, clock, runtime.cipher, ent, stranger.id, 1_000_00, "t-1"
        )
        assert (
            waiting.transfer.status == "awaiting_guardian" and waiting.transfer.payment_id is None
        )
        assert payments.payments_of(session, ent) == []  # nothing is sent before the code
        assert waiting.sms_id is not None
        with pytest.raises(otp.OtpWrong):
            guardian.confirm_transfer(
                session, clock, runtime.cipher, ent, waiting.transfer.id, "000000"
            )
        code = _code(session, runtime, waiting.sms_id)
        sent = guardian.confirm_transfer(
            session, clock, runtime.cipher, ent, waiting.transfer.id, code
        )
        assert sent.status == "sent" and sent.payment_id is not None

        guardian.trust_payee(session, clock, friend)
        cooling = guardian.transfer(session, clock, runtime.cipher, ent, friend.id, 2_000_00, "t-2")
        assert cooling.transfer.status == "awaiting_guardian"  # a new payee waits its cooling-off
        clock.set(clock.now() + timedelta(hours=25))
        quick = guardian.transfer(session, clock, runtime.cipher, ent, friend.id, 2_000_00, "t-3")
        assert quick.transfer.status == "sent" and quick.sms_id is None
        with pytest.raises(PayeeCapExceeded):
            guardian.transfer(session, clock, runtime.cipher, ent, friend.id, 500_000_01, "t-4")


def test_changing_the_guardian_needs_the_representatives_code_and_waits_the_delay(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock).id
    record_representative(session, clock, runtime.cipher, ent, REP)
    _name_guardian(session, clock, runtime, ent, GUARDIAN)
    sms = guardian.request_guardian_change(session, clock, runtime.cipher, ent)
    row = outbox.get_message(session, sms)
    assert row is not None and outbox.read_recipient(runtime.cipher, row) == REP
    with pytest.raises(otp.OtpWrong):
        guardian.confirm_guardian_change(
            session, clock, runtime.cipher, ent, "陌生人", "13700000003", "000000"
        )
    setting = guardian.confirm_guardian_change(
        session, clock, runtime.cipher, ent, "李儿子", "13700000003", _code(session, runtime, sms)
    )
    assert setting.guardian_mobile_masked == "139****0002"  # the old one still decides
    assert setting.pending_mobile_masked == "137****0003"
    clock.set(clock.now() + timedelta(hours=24, minutes=1))
    assert guardian.setting_of(session, clock, ent).guardian_mobile_masked == "137****0003"
