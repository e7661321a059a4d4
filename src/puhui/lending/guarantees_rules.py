"""Guarantees (保证担保): statuses, who may follow whom, and the amount of a call. Pure.

Life of a guarantee::

    proposed ──check (consent + bureau/registry pull)──▶ checked ──send code──▶ sent_for_signature
       │                                                   │                      │  ▲ (send again)
       └──────────────── cancel ───────────────────────────┴──────────────────────┴──┘──▶ cancelled
    sent_for_signature ──sign (the guarantor's one-time code)──▶ signed ──call──▶ called
    signed ──release (the line closed, nothing owed)──▶ released

A **call** (代偿) is a claim on the guarantor for one loan when the loan is written off or
reaches 90 days past due: ``min(amount still guaranteed, the loan's claim)``, where the amount
still guaranteed is the guarantee's amount less what earlier calls already claimed, and the
claim is the loan's principal, interest and penalty outstanding when called.
"""

from __future__ import annotations

from enum import StrEnum

CALL_FROM_DPD = 90


class GuarantorKind(StrEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"


class GuaranteeStatus(StrEnum):
    PROPOSED = "proposed"
    CHECKED = "checked"
    SENT_FOR_SIGNATURE = "sent_for_signature"
    SIGNED = "signed"
    CALLED = "called"
    RELEASED = "released"
    CANCELLED = "cancelled"


GUARANTEE_TRANSITIONS: dict[GuaranteeStatus, frozenset[GuaranteeStatus]] = {
    GuaranteeStatus.PROPOSED: frozenset({GuaranteeStatus.CHECKED, GuaranteeStatus.CANCELLED}),
    GuaranteeStatus.CHECKED: frozenset(
        {GuaranteeStatus.CHECKED, GuaranteeStatus.SENT_FOR_SIGNATURE, GuaranteeStatus.CANCELLED}
    ),
    GuaranteeStatus.SENT_FOR_SIGNATURE: frozenset(
        {
            GuaranteeStatus.SENT_FOR_SIGNATURE,
            GuaranteeStatus.SIGNED,
            GuaranteeStatus.CANCELLED,
        }
    ),
    GuaranteeStatus.SIGNED: frozenset({GuaranteeStatus.CALLED, GuaranteeStatus.RELEASED}),
    GuaranteeStatus.CALLED: frozenset({GuaranteeStatus.CALLED}),
    GuaranteeStatus.RELEASED: frozenset(),
    GuaranteeStatus.CANCELLED: frozenset(),
}

# A guarantee that binds the guarantor: counted in its related-party group's exposure.
BINDING = (GuaranteeStatus.SIGNED, GuaranteeStatus.CALLED)


class CallTrigger(StrEnum):
    DAYS_PAST_DUE = "days_past_due"  # 逾期 90 天
    WRITTEN_OFF = "written_off"  # 核销


class CallStatus(StrEnum):
    CALLED = "called"  # the claim is open


def can_move(current: GuaranteeStatus, to: GuaranteeStatus) -> bool:
    return to in GUARANTEE_TRANSITIONS[current]


def call_amount_fen(guaranteed_fen: int, already_called_fen: int, claim_fen: int) -> int:
    """What a call claims from the guarantor: the loan's claim, at most what is still
    guaranteed; never negative."""
    return max(0, min(guaranteed_fen - already_called_fen, claim_fen))


def call_trigger(loan_status: str, dpd: int) -> CallTrigger | None:
    """Why a loan calls its guarantees now, or None (a write-off first; else 90 dpd)."""
    if loan_status == "written_off":
        return CallTrigger.WRITTEN_OFF
    if loan_status == "active" and dpd >= CALL_FROM_DPD:
        return CallTrigger.DAYS_PAST_DUE
    return None
