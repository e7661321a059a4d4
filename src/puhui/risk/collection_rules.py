"""Collections rules (pure): days-past-due buckets, who works a bucket, when reminders go out,
and whether a promise to pay was kept.

* **Buckets**: M1 1–30 days past due, M2 31–60, M3 61–90, M3+ over 90.
* **Assignee**: M1 the service representatives (calls and messages), M2 and M3 the
  enterprise's customer manager (a visit), M3+ the risk officer (escalation: legal action,
  write-off proposal). A case escalates to the risk officer when it reaches M3+ or when a
  promise to pay is broken in M3.
* **Reminders** (through the outbox, one per instalment and kind, so at most one a day):
  T-3 and T-0 before the due date for an instalment not yet paid, T+1 and T+7 after it for one
  still unpaid.
* **Promise kept or broken**: a promise of ``amount`` by ``promised_date`` is *kept* as soon as
  the loan's repayments since the promise reach the amount (on or before the date), *broken*
  when the date has passed without that.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Bucket(StrEnum):
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    M3_PLUS = "M3+"


BUCKET_ORDER = (Bucket.M1, Bucket.M2, Bucket.M3, Bucket.M3_PLUS)


def bucket_of(dpd: int) -> Bucket | None:
    """The collections bucket for days past due (None when not past due)."""
    if dpd <= 0:
        return None
    if dpd <= 30:
        return Bucket.M1
    if dpd <= 60:
        return Bucket.M2
    if dpd <= 90:
        return Bucket.M3
    return Bucket.M3_PLUS


class CaseStatus(StrEnum):
    OPEN = "open"
    PROMISED = "promised"  # a promise to pay is pending
    ESCALATED = "escalated"  # with the risk officer
    CLOSED = "closed"


CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.PROMISED, CaseStatus.ESCALATED, CaseStatus.CLOSED}),
    CaseStatus.PROMISED: frozenset({CaseStatus.OPEN, CaseStatus.ESCALATED, CaseStatus.CLOSED}),
    CaseStatus.ESCALATED: frozenset({CaseStatus.PROMISED, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


def assignee_role(bucket: Bucket) -> str:
    """The role that works a bucket (a ``core.models.Role`` value)."""
    if bucket is Bucket.M1:
        return "service_rep"
    if bucket is Bucket.M3_PLUS:
        return "risk_officer"
    return "customer_manager"


class ReminderKind(StrEnum):
    T_MINUS_3 = "T-3"
    T_0 = "T0"
    T_PLUS_1 = "T+1"
    T_PLUS_7 = "T+7"

    @property
    def offset_days(self) -> int:
        """Days from the due date to the day the reminder goes out."""
        return {"T-3": -3, "T0": 0, "T+1": 1, "T+7": 7}[self.value]


def due_dates_for(day: date) -> dict[date, ReminderKind]:
    """Which instalments get which reminder on business date `day`: by their due date."""
    return {day - timedelta(days=k.offset_days): k for k in ReminderKind}


def promise_outcome(
    amount_fen: int, promised_date: date, repaid_since_fen: int, today: date
) -> PromiseStatus:
    """Kept once the repayments since the promise reach its amount; broken after its date."""
    if repaid_since_fen >= amount_fen:
        return PromiseStatus.KEPT
    if today > promised_date:
        return PromiseStatus.BROKEN
    return PromiseStatus.PENDING
