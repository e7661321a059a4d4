"""The payment's status table."""

from __future__ import annotations

import pytest

from puhui.payments import states
from puhui.payments.states import FINAL, TRANSITIONS, PaymentStatus


def test_every_status_has_a_row_and_final_ones_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(PaymentStatus)
    for status in FINAL:
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (PaymentStatus.CREATED, PaymentStatus.SUBMITTED),
        (PaymentStatus.SUBMITTED, PaymentStatus.SUBMITTED),  # resubmission after a timeout
        (PaymentStatus.SUBMITTED, PaymentStatus.ACCEPTED),
        (PaymentStatus.SUBMITTED, PaymentStatus.SETTLED),
        (PaymentStatus.ACCEPTED, PaymentStatus.SETTLED),
        (PaymentStatus.ACCEPTED, PaymentStatus.REJECTED),
        (PaymentStatus.SETTLED, PaymentStatus.RETURNED),
    ],
)
def test_allowed(current: PaymentStatus, target: PaymentStatus) -> None:
    states.check(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (PaymentStatus.SETTLED, PaymentStatus.REJECTED),
        (PaymentStatus.SETTLED, PaymentStatus.ACCEPTED),
        (PaymentStatus.REJECTED, PaymentStatus.SETTLED),
        (PaymentStatus.RETURNED, PaymentStatus.SETTLED),
        (PaymentStatus.CREATED, PaymentStatus.SETTLED),
    ],
)
def test_refused(current: PaymentStatus, target: PaymentStatus) -> None:
    with pytest.raises(states.InvalidPaymentTransition):
        states.check(current, target)


def test_a_repeated_report_is_a_noop_but_a_resubmission_is_not() -> None:
    assert states.is_noop(PaymentStatus.SETTLED, PaymentStatus.SETTLED)
    assert not states.is_noop(PaymentStatus.SUBMITTED, PaymentStatus.SUBMITTED)
