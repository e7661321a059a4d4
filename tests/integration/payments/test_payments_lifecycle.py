"""A payment's whole life through the sandbox rail, with its money and its messages:
settled, timeout → resubmission → exactly one settlement, rejected, returned after settlement,
duplicated notifications, the idempotency key."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import assert_books, fund, make_enterprise
from tests.integration.payments.payments_factories import (
    OTHER_BANK,
    balance,
    payout,
    verified_account,
)

from puhui.core.clock import FixedClock
from puhui.core.errors import IdempotencyConflict
from puhui.core.runtime import Runtime
from puhui.payments import accounts
from puhui.payments import iso20022 as iso
from puhui.payments import service as payments
from puhui.payments.errors import PayoutAccountNotVerified
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail
from puhui.payments.states import PaymentStatus

FEN = 1_234_56


def _run(session: Session, clock: FixedClock, runtime: Runtime, rail: SandboxRail) -> None:
    payments.dispatch(session, clock, runtime.cipher, rail)
    payments.process_inbox(session, clock, rail)


def _setup(session: Session, clock: FixedClock, runtime: Runtime, number: str = "6222000011112222"):  # type: ignore[no-untyped-def]
    enterprise = make_enterprise(session, clock)
    fund(session, clock, enterprise.id, 10 * FEN)
    account = verified_account(session, clock, runtime.cipher, enterprise.id, number)
    return enterprise, account


def test_a_payout_settles_and_every_message_validates(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, account = _setup(session, clock, runtime)
    rail = SandboxRail(SandboxBehaviour(settle_after_polls=1))
    with use_rail(rail):
        payment = payout(session, clock, account, FEN)
        own = payments.settlement_account(enterprise.id)
        assert balance(session, own) == 9 * FEN  # held at once
        assert balance(session, payments.PAYOUT_CLEARING) == FEN
        payments.dispatch(session, clock, runtime.cipher, rail)
        assert payment.status == PaymentStatus.ACCEPTED
        payments.process_inbox(session, clock, rail)  # the delay: one poll
        assert payment.status == PaymentStatus.ACCEPTED
        payments.process_inbox(session, clock, rail)
    assert payment.status == PaymentStatus.SETTLED
    assert balance(session, payments.PAYOUT_CLEARING) == 0
    assert [e.to_status for e in payments.history(session, payment.id)] == [
        "created",
        "submitted",
        "accepted",
        "settled",
    ]
    messages = payments.messages_for(session, payment.id)
    assert {m.message_type for m in messages} == {
        iso.MessageType.PAIN_001,
        iso.MessageType.PAIN_002,
        iso.MessageType.CAMT_054,
    }
    for message in messages:
        assert iso.schema_errors(message.xml.encode()) == []
    assert "6222000011112222" not in repr(payment.counterparty_account_enc)
    assert_books(session)


def test_timeout_then_resubmission_settles_exactly_once(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, account = _setup(session, clock, runtime)
    rail = SandboxRail(SandboxBehaviour(timeouts=2))
    with use_rail(rail):
        payment = payout(session, clock, account, FEN)
        first = payments.dispatch(session, clock, runtime.cipher, rail)
        assert first.timeouts == 1 and payment.status == PaymentStatus.SUBMITTED
        payments.dispatch(session, clock, runtime.cipher, rail)  # times out again
        payments.dispatch(session, clock, runtime.cipher, rail)  # answered: a duplicate
        for _ in range(3):
            payments.process_inbox(session, clock, rail)
    assert rail.submissions == 3
    assert payment.submissions == 3
    assert payment.status == PaymentStatus.SETTLED
    assert rail.settlements(payment.end_to_end_id) == 1
    assert balance(session, payments.settlement_account(enterprise.id)) == 9 * FEN
    assert balance(session, payments.BANK_CLEARING) == -FEN + 10 * FEN  # funded, paid once
    assert_books(session)


def test_a_rejected_payout_releases_the_money(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, account = _setup(session, clock, runtime, "6222000099990001")
    rail = SandboxRail(SandboxBehaviour(reject_accounts=frozenset({"6222000099990001"})))
    with use_rail(rail):
        payment = payout(session, clock, account, FEN)
        _run(session, clock, runtime, rail)
    assert payment.status == PaymentStatus.REJECTED and payment.failure == "AC04"
    assert balance(session, payments.settlement_account(enterprise.id)) == 10 * FEN
    assert balance(session, payments.PAYOUT_CLEARING) == 0
    assert_books(session)


def test_a_return_after_settlement_credits_the_money_back_once(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, account = _setup(session, clock, runtime, "6222000077770001")
    behaviour = SandboxBehaviour(
        return_accounts=frozenset({"6222000077770001"}), duplicate_notifications=True
    )
    rail = SandboxRail(behaviour)
    with use_rail(rail):
        payment = payout(session, clock, account, FEN)
        _run(session, clock, runtime, rail)
        assert payment.status == PaymentStatus.SETTLED
        payments.process_inbox(session, clock, rail)
        payments.process_inbox(session, clock, rail)
    assert payment.status == PaymentStatus.RETURNED
    assert balance(session, payments.settlement_account(enterprise.id)) == 10 * FEN
    statuses = [e.to_status for e in payments.history(session, payment.id)]
    assert statuses.count("settled") == 1 and statuses.count("returned") == 1
    assert_books(session)


def test_the_idempotency_key_returns_the_first_payment_or_refuses_another(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    _, account = _setup(session, clock, runtime)
    with use_rail(SandboxRail()):
        first = payout(session, clock, account, FEN, key="k-1")
        assert payout(session, clock, account, FEN, key="k-1").id == first.id
        with pytest.raises(IdempotencyConflict):
            payout(session, clock, account, FEN + 1, key="k-1")


def test_an_unverified_account_cannot_be_paid(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise = make_enterprise(session, clock)
    account = accounts.register_account(
        session,
        clock,
        runtime.cipher,
        enterprise.id,
        accounts.AccountInput("某某", "6222000011113333", OTHER_BANK),
    )
    with use_rail(SandboxRail()), pytest.raises(PayoutAccountNotVerified):
        payout(session, clock, account, FEN)
