"""A payment's life, as a table (pure).

    created ─▶ submitted ─▶ accepted ─▶ settled ─▶ returned
                  │  ▲           │
                  │  └ (timeout: submitted again, same end-to-end id)
                  └──────────────┴──▶ rejected

`submitted → submitted` is the resubmission after a timeout: the message goes out again with the
same end-to-end id, which the bank's duplicate check (and the sandbox's) turns into the first
submission's answer — never a second payment. `settled` may still become `returned` (the
beneficiary's bank sends the money back: closed account, wrong name). A status report can skip
`accepted` (`submitted → settled`) and one can arrive twice: applying a status the payment
already has changes nothing (`is_noop`).
"""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    CREATED = "created"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    REJECTED = "rejected"
    RETURNED = "returned"


class PaymentKind(StrEnum):
    PAYOUT = "payout"  # credit transfer out of this bank (pain.001): a disbursement, a transfer
    DIRECT_DEBIT = "direct_debit"  # collection from another bank's account (pain.008)


TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.CREATED: frozenset({PaymentStatus.SUBMITTED, PaymentStatus.REJECTED}),
    PaymentStatus.SUBMITTED: frozenset(
        {
            PaymentStatus.SUBMITTED,
            PaymentStatus.ACCEPTED,
            PaymentStatus.SETTLED,
            PaymentStatus.REJECTED,
        }
    ),
    PaymentStatus.ACCEPTED: frozenset({PaymentStatus.SETTLED, PaymentStatus.REJECTED}),
    PaymentStatus.SETTLED: frozenset({PaymentStatus.RETURNED}),
    PaymentStatus.REJECTED: frozenset(),
    PaymentStatus.RETURNED: frozenset(),
}

FINAL = frozenset({PaymentStatus.REJECTED, PaymentStatus.RETURNED})
OPEN = frozenset({PaymentStatus.CREATED, PaymentStatus.SUBMITTED, PaymentStatus.ACCEPTED})


class InvalidPaymentTransition(ValueError):
    def __init__(self, current: PaymentStatus, target: PaymentStatus) -> None:
        super().__init__(f"a {current.value} payment cannot become {target.value}")
        self.current = current
        self.target = target


def is_noop(current: PaymentStatus, target: PaymentStatus) -> bool:
    """A repeated report of the status the payment already has (a duplicate notification)."""
    return current is target and current is not PaymentStatus.SUBMITTED


def check(current: PaymentStatus, target: PaymentStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidPaymentTransition(current, target)


def is_reachable(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in TRANSITIONS[current]
